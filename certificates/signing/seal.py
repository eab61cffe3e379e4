"""Signing an official document as an agency does it (docs/domain.md §9): the competent
person's signature with their personal certificate, then the agency's seal with its
organisation certificate over the left third of that signature.

The one helper every signed document of the portal goes through (the letters Mẫu 01–06 and the
device documents Mẫu 07–09), whatever `Signer` the deployment configures.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from certificates.choices import SubjectKind
from certificates.exceptions import CertificateError
from certificates.models import Certificate
from certificates.signing.appearance import signature_position
from certificates.signing.base import Appearance, Position, get_signer

SIGNATURE_FIELD = "ChuKyLanhDao"
SEAL_FIELD = "DauCoQuan"


@dataclass(frozen=True)
class SigningPair:
    """Who signs for an agency: the signer's personal certificate and the agency's seal."""

    personal: Certificate
    # None only where the seal is optional (`signing_pair(seal_required=False)`).
    seal: Certificate | None


def personal_signing_certificate(user) -> Certificate | None:
    """The newest valid personal certificate of the person behind `user`, if any."""
    return (
        Certificate.objects.valid()
        .filter(subject_kind=SubjectKind.PERSON, person__user=user)
        .select_related("person")
        .order_by("-not_before", "-pk")
        .first()
    )


def seal_certificate(agency) -> Certificate | None:
    """The newest valid organisation certificate of `agency`: its digital seal."""
    return (
        Certificate.objects.valid()
        .filter(subject_kind=SubjectKind.ORGANIZATION, subject_organization=agency)
        .order_by("-not_before", "-pk")
        .first()
    )


def signature_appearance(
    position: Position, personal: Certificate, *, agency_name: str
) -> Appearance:
    """The visible block of the signer's signature made with `personal`: their name and
    position as the registry has them (the certificate's common name when it names no person),
    and the agency they sign for."""
    person = personal.person
    return Appearance.signature(
        position,
        signer_name=person.full_name if person else personal.common_name,
        title=person.position if person else "",
        agency=agency_name,
    )


def signing_pair(*, user, agency, seal_required: bool = True) -> SigningPair:
    """Both certificates an issuance needs, or a `CertificateError` saying which is missing.
    Called before anything changes, so a head without a certificate is told at the click.
    With `seal_required=False` an organisation without a seal signs with the personal
    certificate alone (a province's Sở KH&CN, docs/domain.md §11)."""
    personal = personal_signing_certificate(user)
    if personal is None:
        raise CertificateError(
            _(
                "Người ký chưa có chứng thư số cá nhân còn hiệu lực: không thể ký số văn bản "
                "trên cổng. Hãy ký bằng thiết bị của mình và tải bản đã ký lên."
            ),
            code="no_personal_certificate",
        )
    seal = seal_certificate(agency)
    if seal is None and seal_required:
        raise CertificateError(
            _(
                "Cơ quan %(agency)s chưa có chứng thư số cơ quan, tổ chức còn hiệu lực: "
                "không thể đóng dấu số văn bản."
            )
            % {"agency": agency.name},
            code="no_seal_certificate",
        )
    return SigningPair(personal=personal, seal=seal)


def sign_and_seal(
    pdf: bytes,
    *,
    pair: SigningPair,
    agency_name: str,
    by,
    reason: str,
    location: str = "",
    position: Position | None = None,
) -> bytes:
    """`pdf` with the signer's signature, then the agency's seal over its left third: two
    PAdES signatures, each an incremental update, so the first stays verifiable (one when the
    pair has no seal)."""
    position = position or signature_position(pdf)
    signer = get_signer()
    signed = signer.sign(
        pdf,
        certificate=pair.personal,
        field_name=SIGNATURE_FIELD,
        appearance=signature_appearance(position, pair.personal, agency_name=agency_name),
        reason=reason,
        location=location,
        by=by,
    )
    if pair.seal is None:
        return signed
    return signer.sign(
        signed,
        certificate=pair.seal,
        field_name=SEAL_FIELD,
        appearance=Appearance.seal(position, agency=agency_name),
        reason=_("Đóng dấu cơ quan"),
        location=location,
        by=by,
    )
