"""The exchange's URLs (docs/exchange.md, docs/mail.md): a letter's edXML package, the page
where a receiving office takes a package in and a sender a status message, a status message
sent, and "Gửi lại" for a letter's e-mail. Their paths are the ones they had under the
letters."""

from django.urls import path

from exchange.views import edxml, mail

app_name = "exchange"
urlpatterns = [
    path("van-ban/<int:pk>/edxml/", edxml.letter_edxml_download, name="edxml"),
    path("edxml/nhan/", edxml.edxml_upload, name="edxml_upload"),
    path("edxml/trang-thai/<int:pk>/", edxml.edxml_status_download, name="edxml_status"),
    path(
        "van-ban/<int:pk>/thu/<int:mail_pk>/gui-lai/", mail.letter_mail_resend, name="mail_resend"
    ),
]
