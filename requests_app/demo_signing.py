"""The demo's letters signed the way an official signs with their own token (docs/ca.md,
"Subscribers' tokens"): with the token store, the demo head's key is inside a SoftHSM2 token
(a demo device, its PIN the documented DEMO_PIN), which the portal's server-side signer
cannot use. So the demo signs the rendered PDF outside the portal's signer, with pyHanko's
PKCS#11 signer on the head's token and then on the agency's seal token, and uploads it
through `letter_signed_upload`, which checks it like any file signed outside the portal."""

from io import BytesIO

from asn1crypto import x509 as asn1_x509
from django.utils import timezone
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.pkcs11 import PKCS11Signer

from certificates.signing import (
    SEAL_FIELD,
    SIGNATURE_FIELD,
    Appearance,
    SigningPair,
    anchor_position,
    signature_appearance,
)
from certificates.signing.appearance import stamp_style, stamp_text_params
from certificates.signing.loops import outside_event_loop
from devices.services import DEMO_PIN
from portal.lib import pkcs11 as p11
from requests_app.documents import SIGNATURE_ANCHOR


def _chain(certificate) -> list[asn1_x509.Certificate]:
    chain, authority = [], certificate.issuer
    while authority is not None:
        chain.append(asn1_x509.Certificate.load(bytes(authority.certificate_der)))
        authority = authority.parent
    return chain


def _sign_on_token(pdf: bytes, *, certificate, field_name: str, appearance, reason: str) -> bytes:
    token = certificate.device.token
    position = appearance.position
    with p11.session(token.serial, user_pin=DEMO_PIN) as session:
        pdf_signer = signers.PdfSigner(
            signers.PdfSignatureMetadata(
                field_name=field_name,
                md_algorithm="sha256",
                subfilter=fields.SigSeedSubFilter.PADES,
                reason=reason,
            ),
            signer=PKCS11Signer(
                pkcs11_session=session,
                key_id=token.key_id_bytes,
                signing_cert=asn1_x509.Certificate.load(bytes(certificate.der)),
                ca_chain=_chain(certificate),
                bulk_fetch=False,
            ),
            stamp_style=stamp_style(appearance),
            new_field_spec=fields.SigFieldSpec(
                sig_field_name=field_name, on_page=position.page, box=position.box
            ),
        )
        writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
        params = stamp_text_params(appearance, signed_at=timezone.now())
        output = outside_event_loop(
            lambda: pdf_signer.sign_pdf(writer, appearance_text_params=params)
        )
    return output.getvalue()


def sign_on_demo_tokens(pdf: bytes, *, pair: SigningPair, agency_name: str) -> bytes:
    """The head's signature, then the agency's seal over its left third, each made inside its
    demo token."""
    position = anchor_position(pdf, SIGNATURE_ANCHOR)
    signed = _sign_on_token(
        pdf,
        certificate=pair.personal,
        field_name=SIGNATURE_FIELD,
        appearance=signature_appearance(position, pair.personal, agency_name=agency_name),
        reason="Ký ban hành",
    )
    return _sign_on_token(
        signed,
        certificate=pair.seal,
        field_name=SEAL_FIELD,
        appearance=Appearance.seal(position, agency=agency_name),
        reason="Đóng dấu cơ quan",
    )
