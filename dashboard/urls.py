from django.urls import path

from dashboard import report_views

app_name = "monthly_reports"

urlpatterns = [
    path("", report_views.report_list, name="list"),
    path("xem-truoc/", report_views.report_preview, name="preview"),
    path("ky/", report_views.report_sign, name="sign"),
    path("<int:pk>/tai-ve/", report_views.report_download, name="download"),
]
