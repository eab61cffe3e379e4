from django.urls import path

from bulk import views

app_name = "bulk"

urlpatterns = [
    path("hang-loat/moi/", views.new, name="new"),
    path("hang-loat/moi/<slug:slug>/", views.new, name="new_in"),
    path("hang-loat/<int:pk>/", views.detail, name="detail"),
    path("hang-loat/<int:pk>/tien-do/", views.progress, name="progress"),
]
