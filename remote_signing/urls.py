"""The portal's authorisation page (remote_signing/views.py) and the CSC API under its two
versions' names (remote_signing/api/csc.py)."""

from django.urls import path, register_converter

from remote_signing import views
from remote_signing.api import csc


class Version:
    regex = "v1|v2"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(Version, "csc_version")

app_name = "remote_signing"
urlpatterns = [
    path("ky-so-tap-trung/", views.credentials_mine, name="mine"),
    path(
        "ky-so-tap-trung/khoa/<str:credential_id>/kich-hoat/",
        views.credential_activate,
        name="activate",
    ),
    path("ky-so-tap-trung/khoa/<str:credential_id>/khoa-ngay/", views.credential_lock, name="lock"),
    path(
        "ky-so-tap-trung/khoa/<str:credential_id>/ma-kich-hoat/",
        views.credential_code_issue,
        name="code_issue",
    ),
    path("ky-so-tap-trung/<uuid:desk_id>/", views.desk_authorize, name="desk_authorize"),
    path("dien-thoai-ky-so/", views.phone, name="phone"),
    path("dien-thoai-ky-so/<uuid:transaction_id>/", views.phone_answer, name="phone_answer"),
    path("ky-so-tap-trung/<uuid:desk_id>/ket-qua/", views.desk_progress, name="desk_progress"),
    path("csc/<csc_version:version>/info", csc.info, name="csc_info"),
    path("csc/<csc_version:version>/credentials/list", csc.credentials_list, name="csc_list"),
    path("csc/<csc_version:version>/credentials/info", csc.credentials_info, name="csc_cred_info"),
    path(
        "csc/<csc_version:version>/credentials/authorize",
        csc.credentials_authorize,
        name="csc_authorize",
    ),
    path(
        "csc/<csc_version:version>/signatures/signHash",
        csc.signatures_sign_hash,
        name="csc_sign_hash",
    ),
]
