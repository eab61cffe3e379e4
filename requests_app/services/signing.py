"""The signed version of a letter (docs/documents.md §8, docs/domain.md §9): signed by the
head and sealed with the agency's devices, at the desk or outside and uploaded. Either way it is
stored here, once per issuance, and an issued letter reaches the Sở KH&CN only with it.

The stored version becomes a long-term signature (docs/ca.md, "Long-term signatures"): the
worker adds the validation data and a document time-stamp once it is stored.

At least once, never twice: the unique constraint (letter, kind, number) lets one signed
version exist per issuance; a second call finds it and returns it."""

from functools import partial

from django.db import transaction

from portal.documents import DocumentKind
from requests_app import extensions, notify
from requests_app.choices import Status
from requests_app.models import CertRequest, LetterDocument
from requests_app.services.archive import enqueue_archive_extend
from requests_app.services.documents import letter_version_store
from requests_app.services.review import letter_receive
from requests_app.services.verification import letter_signed_verify


def letter_signed_current(cert_request: CertRequest) -> LetterDocument | None:
    """The signed version for the number the letter carries now, if stored."""
    return LetterDocument.objects.signed_for(cert_request).first()


def letter_signed_store(
    *, cert_request_id: int, number: str, pdf: bytes, by, source: str, reports=None
) -> LetterDocument | None:
    """Store `pdf` as the signed version of issuance `number`, and hand a letter still
    waiting for it (`issued`) to the province. None when the letter was issued again
    meanwhile (that issuance is signed on its own). `source` ("desk" or "upload") is
    audited; `by` is the user who signed or uploaded it. `reports`: the verification of these
    very bytes the caller has just made, taken as the verification on receipt."""
    received = False
    with transaction.atomic():
        locked = CertRequest.objects.select_for_update().filter(pk=cert_request_id).first()
        if locked is None or not locked.number or locked.number != number:
            return None
        existing = letter_signed_current(locked)
        if existing is not None:
            return existing
        document = letter_version_store(
            locked,
            kind=DocumentKind.SIGNED,
            pdf=pdf,
            created_by=by,
            actor=by,
            action="letter_document.sign",
            source=source,
        )
        # Kept as a long-term signature (B-LT, B-LTA): the worker adds the proofs and a
        # document time-stamp once this commits; the archive beat picks up what it missed.
        transaction.on_commit(partial(enqueue_archive_extend, document.pk))
        if locked.status == Status.ISSUED:
            letter_receive(locked)
            # Verification on receipt, in the same transaction: the letter reaches the
            # province with the result the page shows and the forward gate reads.
            letter_signed_verify(document=document, reports=reports, with_report=False)
            # What the floors above do with it, in this transaction: the exchange sends
            # this very PDF on to the receiving office after the commit (docs/mail.md).
            extensions.arrived(locked, document)
            received = True
    if received:
        notify.to_province(locked)
    return document
