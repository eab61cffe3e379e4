"""The account pages: second factor (sign-in step, enrolment, recovery codes)."""

from django.urls import path

from agencies.accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.account, name="account"),
    path("xac-minh/", views.verify, name="verify"),
    path("dang-ky-xac-thuc/", views.enrol, name="enrol"),
    path("ma-khoi-phuc/", views.recovery_codes, name="recovery_codes"),
    path("tat-xac-thuc/", views.disable, name="disable"),
]
