"""Who signs an official document for an agency (docs/domain.md §9): the competent person with
their personal certificate, then the agency's seal with its organisation certificate over the
left third of that signature. Both are made at the signers' desks (certificates.desk); this
module names the certificates, the fields and the visible block."""

from __future__ import annotations

from dataclasses import dataclass

from certificates.choices import SubjectKind
from certificates.models import Certificate
from certificates.signing.base import Appearance, Position

SIGNATURE_FIELD = "ChuKyLanhDao"
SEAL_FIELD = "DauCoQuan"


@dataclass(frozen=True)
class SigningPair:
    """Who signs for an agency: the signer's personal certificate and the agency's seal."""

    personal: Certificate
    # None where the organisation signed without a seal (a Sở KH&CN without one).
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
