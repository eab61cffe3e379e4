from django.urls import path

from certificates import views

app_name = "certificates"
urlpatterns = [
    # Public CA artefacts (relying parties fetch them without an account).
    path("ca/crl", views.crl, name="crl"),
    path("ca/crl.pem", views.crl, {"fmt": "pem"}, name="crl_pem"),
    path("ca/chain", views.chain, name="chain"),
    path("ca/<int:pk>/crl", views.authority_crl, name="authority_crl"),
    path("ca/<int:pk>/crl.pem", views.authority_crl, {"fmt": "pem"}, name="authority_crl_pem"),
    path("ca/<int:pk>.cer", views.authority_certificate, name="authority_cert"),
    path("ca/ocsp", views.ocsp_post, name="ocsp"),
    path("ca/ocsp/<path:encoded>", views.ocsp_get, name="ocsp_get"),
    path("ca/tsa", views.tsa_post, name="tsa"),
    # The registry (scoped by visible_to).
    path("chung-thu/", views.certificate_list, name="list"),
    path("chung-thu/<str:serial>/", views.certificate_detail, name="detail"),
    path(
        "chung-thu/<str:serial>/thu-hoi-theo-yeu-cau/",
        views.certificate_revocation_register,
        name="revocation_register",
    ),
    path("thu-hoi-theo-yeu-cau/<int:pk>.pdf", views.revocation_letter, name="revocation_letter"),
    path("chung-thu/<str:serial>.cer", views.certificate_download, {"fmt": "der"}, name="cer"),
    path("chung-thu/<str:serial>.pem", views.certificate_download, {"fmt": "pem"}, name="pem"),
]
