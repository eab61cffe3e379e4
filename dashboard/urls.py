from django.urls import path

from dashboard import report_views

app_name = "monthly_reports"

urlpatterns = [
    path("", report_views.report_list, name="list"),
    path("xem-truoc/", report_views.report_preview, name="preview"),
    path("ky/", report_views.report_sign, name="sign"),
    # The officer's "Ký" at their own desk, through the signing client (report_views).
    path(
        "ky-tai-may/<int:province>/<int:year>/<int:month>/chuan-bi/",
        report_views.report_desk_prepare,
        name="desk_prepare",
    ),
    path(
        "ky-tai-may/<int:province>/<int:year>/<int:month>/hoan-tat/",
        report_views.report_desk_complete,
        name="desk_complete",
    ),
    path("<int:pk>/tai-ve/", report_views.report_download, name="download"),
]
