from django.urls import path

from privacy import access_views, views

app_name = "privacy"
urlpatterns = [
    path("bao-ve-du-lieu/", views.inventory, name="inventory"),
    path("bao-ve-du-lieu/su-co/", views.incident_list, name="incidents"),
    path("bao-ve-du-lieu/su-co/moi/", views.incident_create, name="incident_create"),
    path("bao-ve-du-lieu/su-co/<int:pk>/", views.incident_detail, name="incident_detail"),
    path(
        "bao-ve-du-lieu/su-co/<int:pk>/da-thong-bao/", views.incident_notify, name="incident_notify"
    ),
    path("bao-ve-du-lieu/su-co/<int:pk>/ket-thuc/", views.incident_close, name="incident_close"),
    path("bao-ve-du-lieu/su-co/<int:pk>/thong-bao/", views.incident_notice, name="incident_notice"),
    path("bao-ve-du-lieu/truy-cap/", access_views.access_list, name="accesses"),
    path("bao-ve-du-lieu/truy-cap/<int:pk>/", access_views.access_detail, name="access_detail"),
    path("bao-ve-du-lieu/cua-toi/truy-cap/", access_views.my_accesses, name="my_accesses"),
    # a masked value in full, with a reason (docs/privacy.md §masking): "requests_app.RequestRow"
    path("bao-ve-du-lieu/hien/<str:label>/<int:pk>/<str:field>/", views.reveal, name="reveal"),
]
