"""The account pages: second factor (sign-in step, enrolment, recovery codes), API tokens."""

from django.urls import path

from agencies.accounts import token_views, views

app_name = "accounts"

urlpatterns = [
    path("", views.account, name="account"),
    path("xac-minh/", views.verify, name="verify"),
    path("dang-ky-xac-thuc/", views.enrol, name="enrol"),
    path("ma-khoi-phuc/", views.recovery_codes, name="recovery_codes"),
    path("tat-xac-thuc/", views.disable, name="disable"),
    path("khoa-api/", token_views.api_tokens, name="api_tokens"),
    path("khoa-api/<int:pk>/thu-hoi/", token_views.api_token_revoke_view, name="api_token_revoke"),
]
