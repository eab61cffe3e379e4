"""Signed letters kept as long-term signatures (docs/ca.md, "Long-term signatures"): once a
letter's signed version is stored (by the worker), and again before the newest document
time-stamp's certificate ends, the validation data and a document time-stamp are added to it.
The version keeps its identity; its bytes grow by one incremental update (the earlier bytes are
a prefix of the new ones, so nothing signed changes), audited with both hashes.

The update is built from the version as read, outside any lock (path building, OCSP answers
and the time-stamp take a quarter of a second, and publishing a lapsed CRL writes the audit
chain); it is saved only if, on the row as locked, the version is still due and still holds
the bytes it was built from. A version whose last check found its signatures invalid is not
archived (nothing could vouch for it), nor is one the TSA could only stamp with a unit that
ends within the renewal window (it would be due again at once)."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from certificates.exceptions import CertificateError
from certificates.services import document_archive_extend
from portal.audit import audit_record
from portal.documents import document_bytes_keep
from portal.lib.queueing import enqueue
from requests_app.models import LetterDocument
from requests_app.services.verification import letter_report_if_missing

log = logging.getLogger(__name__)

ARCHIVE_BATCH = 100
ARCHIVE_TASK = "requests_app.tasks.letter_archive_extend_task"


def _due_before():
    return timezone.now() + timedelta(days=settings.CA_ARCHIVE_RENEW_DAYS)


def enqueue_archive_extend(document_id: int) -> bool:
    """Queue the long-term proofs of a signed version just stored; False (logged) when the
    broker cannot be reached: the archive beat finds it (never archived) and does it."""
    return enqueue(ARCHIVE_TASK, document_id, what=f"archive of letter document {document_id}")


def _archivable(document_id: int) -> LetterDocument | None:
    """The version as read now, if due and not known to carry invalid signatures."""
    document = (
        LetterDocument.objects.archive_due(before=_due_before()).filter(pk=document_id).first()
    )
    if document is None:
        return None
    newest = document.verifications.order_by("-checked_at", "-pk").first()
    if newest is not None and not newest.ok:
        return None
    return document


def letter_archive_extend(*, document_id: int, by=None) -> LetterDocument | None:
    """Extend the long-term proofs of one signed version (see the module): only while still
    due, so a second run, or a second worker, does nothing. None when not due, or when it
    could not be done now (no CRL, no time-stamp, a unit about to end: logged; the beat tries
    again)."""
    document = _archivable(document_id)
    if document is None:
        return None
    try:
        extended = document_archive_extend(pdf=bytes(document.content))
    except CertificateError as exc:
        log.warning("Archive of letter document %s not extended: %s", document_id, exc)
        return None
    if extended.stamp_valid_until <= _due_before():
        log.warning(
            "Archive of letter document %s not extended: the TSA's unit ends on %s, within "
            "CA_ARCHIVE_RENEW_DAYS",
            document_id,
            extended.stamp_valid_until,
        )
        return None
    document_bytes_keep(extended.pdf)
    with transaction.atomic():
        locked = (
            LetterDocument.objects.select_for_update()
            .archive_due(before=_due_before())
            .filter(pk=document_id, sha256=document.sha256)
            .first()
        )
        if locked is None:  # done meanwhile by another run
            return None
        locked.set_content(extended.pdf)
        locked.archive_until = extended.stamp_valid_until
        locked.save(update_fields=["in_row", "size", "sha256", "archive_until"])
        audit_record(
            actor=by,
            action="letter_document.archive",
            obj=locked.letter,
            before={"sha256": document.sha256},
            after={
                "version": locked.version,
                "sha256": locked.sha256,
                "size": locked.size,
                "stamped_at": extended.stamped_at.isoformat(),
                "archive_until": extended.stamp_valid_until.isoformat(),
            },
        )
    return locked


def letter_archive_and_report(*, document_id: int) -> LetterDocument | None:
    """The worker's whole step for one stored version: its long-term proofs, then its
    validation report if its newest check has none of these bytes (the report is made even
    when the archive could not be)."""
    try:
        return letter_archive_extend(document_id=document_id)
    finally:
        letter_report_if_missing(document_id=document_id)


def letters_archive_due() -> int:
    """Beat: every signed version due for its long-term proofs, then its report, one at a
    time (a failure is logged and leaves the others done). How many were archived."""
    done = 0
    last = 0
    while True:
        ids = list(
            LetterDocument.objects.archive_due(before=_due_before())
            .filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", flat=True)[:ARCHIVE_BATCH]
        )
        if not ids:
            return done
        for document_id in ids:
            try:
                done += letter_archive_and_report(document_id=document_id) is not None
            except Exception:  # one broken version must not stop the others
                log.exception("Archive of letter document %s failed", document_id)
        last = ids[-1]
