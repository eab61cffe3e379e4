from django.urls import path

from approvals import views

app_name = "approvals"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/trang-thai/", views.status, name="status"),
    path("<int:pk>/phe-duyet/", views.approve, name="approve"),
    path("<int:pk>/tu-choi/", views.reject, name="reject"),
    path("<int:pk>/huy/", views.cancel, name="cancel"),
]
