"""The JSON API (session authentication; every endpoint scoped by visible_to) and its
OpenAPI schema."""

from django.urls import include, path
from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from agencies.api.views import DeadlineViewSet
from approvals.api.views import ApprovalViewSet
from bulk.api.views import BulkJobViewSet
from certificates.api.views import CertificateViewSet
from devices.api.views import DeviceViewSet
from orgmerge.api.views import MergerPlanViewSet
from paperwork.api import DeviceLossView
from portal.api.notifications import NotificationViewSet
from requests_app.api.views import CertRequestViewSet

router = DefaultRouter()
router.register("chung-thu", CertificateViewSet, basename="certificate")
router.register("thiet-bi", DeviceViewSet, basename="device")
router.register("van-ban", CertRequestViewSet, basename="cert-request")
router.register("sap-nhap", MergerPlanViewSet, basename="merger-plan")
router.register("han-xu-ly", DeadlineViewSet, basename="deadline")
router.register("thong-bao", NotificationViewSet, basename="notification")
router.register("phe-duyet", ApprovalViewSet, basename="approval")
router.register("hang-loat", BulkJobViewSet, basename="bulk-job")

urlpatterns = [
    # A loss starts from a device but ends in a letter: a flow of requests_app (§1).
    path("v1/thiet-bi/<int:pk>/bao-mat/", DeviceLossView.as_view(), name="device-loss"),
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The schema rendered by the vendored Swagger UI (templates/portal/api_docs.html).
    path("tai-lieu/", TemplateView.as_view(template_name="portal/api_docs.html"), name="api-docs"),
]
