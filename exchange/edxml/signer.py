"""The signature of the status messages this portal sends (docs/exchange.md, "Signed status
messages"): made with the portal's exchange certificate, an organisation's seal or system
certificate whose key stays on the PKCS#11 token named by the EDXML_SIGNING_* settings."""

from django.conf import settings
from django.utils.translation import gettext as _

from certificates.signing.detached import sign_detached
from exchange.edxml.messages import EdxmlError
from portal.lib import pkcs11


def _unavailable(why: str) -> EdxmlError:
    return EdxmlError(
        _(
            "Không ký được thông điệp trạng thái edXML bằng chứng thư của hệ thống (%(why)s): "
            "hãy kiểm tra thiết bị ký khai báo ở EDXML_SIGNING_TOKEN_SERIAL."
        )
        % {"why": why},
        code="edxml_signer_unavailable",
    )


def status_signature(content: bytes) -> bytes | None:
    """A detached CMS signature over `content`, or None when no exchange token is set (the
    message then goes unsigned, and its receiver takes it as unauthenticated)."""
    serial = settings.EDXML_SIGNING_TOKEN_SERIAL
    if not serial:
        return None
    try:
        key_id = bytes.fromhex(settings.EDXML_SIGNING_KEY_ID)
    except ValueError:
        raise _unavailable("EDXML_SIGNING_KEY_ID") from None
    try:
        with pkcs11.session(serial, user_pin=settings.EDXML_SIGNING_PIN) as session:
            certified = pkcs11.certified_signing_key(session, key_id=key_id)
            if certified is None:
                raise _unavailable(_("thiết bị không có chứng thư của khóa"))
            key, certificate_der = certified
            return sign_detached(content, key=key, certificate_der=certificate_der)
    except pkcs11.TokenError as error:
        raise _unavailable(error.code) from error
