from django.urls import path

from demand import views

app_name = "demand"

urlpatterns = [
    path("nhu-cau/", views.campaign_list, name="list"),
    path("nhu-cau/mo-dot/", views.campaign_create, name="create"),
    path("nhu-cau/<int:pk>/", views.campaign_detail, name="campaign"),
    path("nhu-cau/<int:pk>/xuat-excel/", views.campaign_export, name="export"),
    path("nhu-cau/<int:pk>/nhac/", views.campaign_remind, name="remind"),
    path("nhu-cau/<int:pk>/ket-thuc/", views.campaign_close, name="close"),
    path("nhu-cau/<int:pk>/dang-ky/", views.register, name="register"),
    path("nhu-cau/dang-ky/<int:pk>/pdf/", views.registration_pdf, name="registration_pdf"),
    path("nhu-cau/<int:pk>/tong-hop/<int:province_id>/pdf/", views.summary_pdf, name="summary_pdf"),
    path(
        "nhu-cau/dang-ky/<int:pk>/ky-tai-may/<int:revision>/chuan-bi/",
        views.registration_desk_prepare,
        name="registration_desk_prepare",
    ),
    path(
        "nhu-cau/dang-ky/<int:pk>/ky-tai-may/hoan-tat/",
        views.registration_desk_complete,
        name="registration_desk_complete",
    ),
    path(
        "nhu-cau/<int:pk>/tong-hop/<int:province_id>/ky-tai-may/chuan-bi/",
        views.summary_desk_prepare,
        name="summary_desk_prepare",
    ),
    path(
        "nhu-cau/<int:pk>/tong-hop/<int:province_id>/ky-tai-may/hoan-tat/",
        views.summary_desk_complete,
        name="summary_desk_complete",
    ),
]
