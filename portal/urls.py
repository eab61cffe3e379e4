"""The ground floor's pages: the notification centre and the export jobs."""

from django.urls import path

from portal import views
from portal.export_jobs import views as export_views

app_name = "portal"

urlpatterns = [
    path("thong-bao/", views.notification_list, name="notifications"),
    path("thong-bao/tuy-chon/", views.notification_preferences, name="notification_preferences"),
    path("thong-bao/da-doc/", views.notification_read, name="notifications_read_all"),
    path("thong-bao/<int:pk>/da-doc/", views.notification_read, name="notification_read"),
    path("xuat-excel/<int:pk>/", export_views.export_job, name="export_job"),
    path("xuat-excel/<int:pk>/tai-ve/", export_views.export_download, name="export_download"),
]
