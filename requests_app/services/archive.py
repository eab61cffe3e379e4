"""Signed letters kept as long-term signatures (docs/ca.md, "Long-term signatures"): once a
letter's signed version is stored (by the worker), and again before the newest document time-stamp's
certificate ends, the validation data and a document time-stamp are added to it. The version
keeps its identity; its bytes grow by one incremental update (the earlier bytes are a prefix
of the new ones, so nothing signed changes), audited with both hashes."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from certificates.exceptions import CertificateError
from certificates.services import document_archive_extend
from portal.audit import audit_record
from portal.lib.queueing import enqueue_named
from requests_app.models import LetterDocument

log = logging.getLogger(__name__)

ARCHIVE_BATCH = 100


def _due_before():
    return timezone.now() + timedelta(days=settings.CA_ARCHIVE_RENEW_DAYS)


ARCHIVE_TASK = "requests_app.tasks.letter_archive_extend_task"


def enqueue_archive_extend(document_id: int) -> bool:
    """Queue the long-term proofs of a signed version just stored; False (logged) when the
    broker cannot be reached: the archive beat finds it (never archived) and does it."""
    return enqueue_named(
        ARCHIVE_TASK, document_id, what=f"archive of letter document {document_id}"
    )


def letter_archive_extend(*, document_id: int, by=None) -> LetterDocument | None:
    """Extend the long-term proofs of one signed version, decided on the row as locked: only
    when still due (never archived, or its newest time-stamp's certificate ends within
    CA_ARCHIVE_RENEW_DAYS), so a second run does nothing. None when not due, or when it
    could not be done now (no CRL, no time-stamp: logged, and the beat tries again)."""
    with transaction.atomic():
        locked = (
            LetterDocument.objects.select_for_update()
            .archive_due(before=_due_before())
            .filter(pk=document_id)
            .first()
        )
        if locked is None:
            return None
        before = locked.sha256
        try:
            with transaction.atomic():
                extended = document_archive_extend(bytes(locked.content))
        except CertificateError as exc:
            log.warning("Archive of letter document %s not extended: %s", document_id, exc)
            return None
        locked.set_content(extended.pdf)
        locked.archive_until = extended.stamp_valid_until
        locked.save(update_fields=["content", "size", "sha256", "archive_until"])
        audit_record(
            actor=by,
            action="letter_document.archive",
            obj=locked.letter,
            before={"sha256": before},
            after={
                "version": locked.version,
                "sha256": locked.sha256,
                "size": locked.size,
                "stamped_at": extended.stamped_at.isoformat(),
                "archive_until": extended.stamp_valid_until.isoformat(),
            },
        )
    return locked


def letters_archive_due() -> int:
    """Beat: every signed version due for its long-term proofs, one transaction each (a
    failure leaves the others done and itself due for the next run). How many were done."""
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
            done += letter_archive_extend(document_id=document_id) is not None
        last = ids[-1]
