"""The ground floor's pages: the notification centre."""

from django.urls import path

from portal import views

app_name = "portal"

urlpatterns = [
    path("thong-bao/", views.notification_list, name="notifications"),
    path("thong-bao/tuy-chon/", views.notification_preferences, name="notification_preferences"),
    path("thong-bao/da-doc/", views.notification_read, name="notifications_read_all"),
    path("thong-bao/<int:pk>/da-doc/", views.notification_read, name="notification_read"),
]
