"""A letter's PDF (docs/documents.md §8): rendered in the worker once the head has issued
the letter, stored as a new version carrying the number and date of that issuance.

At least once, never twice: the task may run twice or concurrently; the unique constraints
(letter, version) and (letter, kind, number) let only one version per issuance exist, and a
second run finds it and stops. A task lost with the broker is queued again by beat's sweep
(`letter_document_render_missing`), which looks for issued letters with no version for their
current number."""

from django.db import IntegrityError, transaction
from django.db.models import Exists, Max, OuterRef

from portal.audit import audit_record
from portal.documents import DocumentKind, document_bytes_keep
from portal.lib.pdf import render_pdf
from portal.lib.queueing import enqueue
from requests_app.documents import TEMPLATES, letter_document
from requests_app.models import CertRequest, LetterDocument, Transition

SWEEP_BATCH = 100


def issuer_of(cert_request: CertRequest):
    transition = (
        Transition.objects.filter(cert_request=cert_request, action="issue")
        .select_related("by__person")
        .order_by("-at", "-pk")
        .first()
    )
    return transition.by if transition is not None else None


def rendered_current(cert_request: CertRequest) -> LetterDocument | None:
    return LetterDocument.objects.filter(
        letter=cert_request, kind=DocumentKind.RENDERED, number=cert_request.number
    ).first()


def letter_document_render(*, cert_request_id: int) -> LetterDocument | None:
    """The rendered PDF of the letter as issued now: made once per issuance, then found.
    None for a letter that does not exist or has not been issued."""
    cert_request = (
        CertRequest.objects.select_related("agency__parent", "agency__province")
        .filter(pk=cert_request_id)
        .first()
    )
    if cert_request is None or not cert_request.number or cert_request.issued_on is None:
        return None
    existing = rendered_current(cert_request)
    if existing is not None:
        return existing
    number, issued_on = cert_request.number, cert_request.issued_on
    issuer = issuer_of(cert_request)
    # Rendering takes a while: outside any transaction, then stored under the letter's lock.
    pdf = render_pdf(
        TEMPLATES[cert_request.form],
        letter_document(cert_request, number=number, issued_on=issued_on, signer=issuer),
    )
    document_bytes_keep(pdf)
    with transaction.atomic():
        locked = CertRequest.objects.select_for_update().get(pk=cert_request.pk)
        if locked.number != number:
            return None  # issued again meanwhile: that issuance's own task renders it
        existing = rendered_current(locked)
        if existing is not None:
            return existing
        document = letter_version_store(
            locked,
            kind=DocumentKind.RENDERED,
            pdf=pdf,
            created_by=issuer,
            actor=None,
            action="letter_document.render",
        )
    return document


def letter_version_store(
    locked: CertRequest, *, kind: str, pdf: bytes, created_by, actor, action: str, **audited
) -> LetterDocument:
    """Store `pdf` as the next version of kind `kind` for the issuance the letter (locked by
    the caller) carries now, with its audit event; the version already stored when a
    concurrent call won the unique constraint (letter, kind, number)."""
    last = locked.documents.aggregate(last=Max("version"))["last"] or 0
    document = LetterDocument(
        letter=locked,
        version=last + 1,
        kind=kind,
        number=locked.number,
        issued_on=locked.issued_on,
        created_by=created_by,
    )
    document.set_content(pdf)
    try:
        with transaction.atomic():
            document.save()
    except IntegrityError:  # a concurrent call stored it first
        return LetterDocument.objects.get(letter=locked, kind=kind, number=locked.number)
    audit_record(
        actor=actor,
        obj=locked,
        action=action,
        after={
            "version": document.version,
            "number": locked.number,
            "sha256": document.sha256,
            "size": document.size,
            **audited,
        },
    )
    return document


def enqueue_document_render(cert_request_id: int) -> bool:
    """Queue the rendering task; False (logged) when the broker cannot be reached: the
    sweep queues it again later, nobody has to click anything."""
    return enqueue(
        "requests_app.tasks.letter_document_render_task",
        cert_request_id,
        what=f"document of letter {cert_request_id}",
    )


def letters_missing_document():
    """Issued letters with no rendered version for the number they carry now."""
    rendered = LetterDocument.objects.filter(
        letter=OuterRef("pk"), kind=DocumentKind.RENDERED, number=OuterRef("number")
    )
    return (
        CertRequest.objects.exclude(number="")
        .filter(issued_on__isnull=False)
        .filter(~Exists(rendered))
        .order_by("pk")
    )


def letter_document_render_missing() -> int:
    """Beat: queue the rendering of every issued letter still missing it."""
    queued = 0
    for pk in letters_missing_document().values_list("pk", flat=True)[:SWEEP_BATCH]:
        if enqueue_document_render(pk):
            queued += 1
    return queued
