"""What the demand documents share when signed at the signer's desk (docs/ca.md, "Signing at
the signer's desk"; docs/domain.md §11): an agency's registration (the head's signature, then
the agency's seal) and a province's summary (the officer's signature, then the Sở KH&CN's seal
when it has one), each round prepared and completed by `certificates.desk.rounds`.

Here: the outcome of a round, the refusal's audit on the demand document, and the signing
monitor's events once the last round is done (the desk services record none themselves)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

from certificates.choices import SignedDocumentKind, SigningEventKind
from certificates.desk.models import DeskSigning, DeskState
from certificates.services import signing_events_record_bulk
from certificates.signing import SEAL_FIELD, SIGNATURE_FIELD
from demand.models import DemandDocument
from portal.audit import audit_record
from portal.errors import DomainError


@dataclass(frozen=True)
class DemandRound:
    """One completed round: the stored signed document after the last round, else None
    (the seal comes next)."""

    field_name: str
    document: DemandDocument | None


def audit_refusal(obj, *, action: str, by, desk_signing_id, error: DomainError, **noted) -> None:
    """A refused step, on the demand document it concerns (nothing else changed)."""
    with transaction.atomic():
        audit_record(
            actor=by,
            action=action,
            obj=obj,
            after={"request_id": str(desk_signing_id or ""), "code": error.code, **noted},
            reason=str(error.message),
        )


def record_signed(
    *, purpose: Callable[[str], str], agency, document_id: int | None, document_number: str
) -> int:
    """The signing monitor's `signed` events of the finished document: one per certificate its
    completed rounds used (the signer's, then the seal's). In the caller's transaction."""
    done = (
        DeskSigning.objects.filter(purpose__in=[purpose(SIGNATURE_FIELD), purpose(SEAL_FIELD)])
        .filter(state=DeskState.DONE)
        .select_related("certificate")
        .order_by("created_at")
    )
    return signing_events_record_bulk(
        events=(
            {
                "kind": SigningEventKind.SIGNED,
                "certificate": desk.certificate,
                "agency_id": agency.pk,
                "document_kind": SignedDocumentKind.DEMAND,
                "document_id": document_id,
                "document_number": document_number,
            }
            for desk in done
        )
    )
