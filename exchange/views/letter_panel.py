"""The exchange's card on a letter's page (registered in exchange/apps.py, shown through
requests_app/extensions.py): the edXML package of an issued letter, the receivers' status
messages (docs/exchange.md) and the e-mails to the receiving office (docs/mail.md), with
"Gửi lại" for whoever may resend. Mails and messages exist only once a version is signed:
no query for a letter that has none."""

from django.template.loader import render_to_string
from django.urls import reverse

from exchange import services
from portal.documents import DocumentKind


def letter_panel(request, letter, documents) -> str:
    signed = any(d.kind == DocumentKind.SIGNED for d in documents)
    mails = list(services.letter_mails(letter)) if signed else []
    if mails and services.may_resend(request.user, letter):
        for mail in mails:
            mail.resend_url = reverse("exchange:mail_resend", args=[letter.pk, mail.pk])
    context = {
        "letter": letter,
        "package": bool(letter.issued_on and documents),
        "notices": (
            services.letter_edxml_status_notices(letter)
            if getattr(letter, "edxml_status_received", True)
            else []
        ),
        "mails": mails,
        "missing": services.offices_without_address(letter) if signed else [],
    }
    return render_to_string("exchange/letter_panel.html", context, request=request)
