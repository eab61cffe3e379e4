"""System checks of the mail settings (`manage.py check`, run by migrate and runserver;
docs/mail.md §5)."""

from django.conf import settings
from django.core.checks import Error, register
from django.core.exceptions import ValidationError
from django.core.validators import validate_email


@register()
def check_ca_address(app_configs, **kwargs):
    """PORTAL_MAIL_CA_ADDRESS, when set, is one valid address: a malformed one would make every
    mail to the CA fail at sending, after the letter is signed."""
    address = settings.PORTAL_MAIL_CA_ADDRESS
    if not address:
        return []
    try:
        validate_email(address)
    except ValidationError:
        return [
            Error(
                f"PORTAL_MAIL_CA_ADDRESS ({address!r}) is not a valid e-mail address.",
                hint="One address, such as ca@bcy.gov.vn, or empty to mail nothing to the CA.",
                id="mailing.E001",
            )
        ]
    return []


@register()
def check_mail_really_sent(app_configs, **kwargs):
    """Mailing the CA without an SMTP server (EMAIL_HOST empty: Django's console backend)
    would mark the mails sent while their content, personal data and signed PDFs, goes to
    the worker's log. `make run` (DEBUG, no CA address) is not concerned."""
    if settings.DEBUG or not settings.PORTAL_MAIL_CA_ADDRESS or settings.EMAIL_HOST:
        return []
    return [
        Error(
            "PORTAL_MAIL_CA_ADDRESS is set but EMAIL_HOST is empty: the mails would be "
            "printed to the worker's log and counted as sent.",
            hint="Set EMAIL_HOST (and the other EMAIL_* settings), or leave "
            "PORTAL_MAIL_CA_ADDRESS empty.",
            id="mailing.E002",
        )
    ]
