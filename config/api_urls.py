"""The JSON API (session authentication; every endpoint scoped by visible_to) and its
OpenAPI schema."""

from django.urls import include, path
from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from certificates.api.views import CertificateViewSet
from devices.api.views import DeviceViewSet
from requests_app.api.views import CertRequestViewSet

router = DefaultRouter()
router.register("chung-thu", CertificateViewSet, basename="certificate")
router.register("thiet-bi", DeviceViewSet, basename="device")
router.register("van-ban", CertRequestViewSet, basename="cert-request")

urlpatterns = [
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The schema rendered by the vendored Swagger UI (templates/portal/api_docs.html).
    path("tai-lieu/", TemplateView.as_view(template_name="portal/api_docs.html"), name="api-docs"),
]
