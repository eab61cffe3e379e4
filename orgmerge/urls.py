from django.urls import path

from orgmerge import views

app_name = "orgmerge"
urlpatterns = [
    path("sap-nhap/", views.plan_list, name="list"),
    path("sap-nhap/moi/", views.plan_create, name="create"),
    path("sap-nhap/<int:pk>/", views.plan_detail, name="detail"),
    path("sap-nhap/<int:pk>/lua-chon/", views.plan_choices, name="choices"),
    path("sap-nhap/<int:pk>/huy/", views.plan_discard, name="discard"),
    path("sap-nhap/<int:pk>/thuc-hien/", views.plan_apply, name="apply"),
    path("sap-nhap/<int:pk>/excel/", views.plan_excel, name="excel"),
]
