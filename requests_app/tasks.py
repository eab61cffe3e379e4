"""Celery adapters: primary key in, one service call (docs/processing.md §4). Both are safe
to run twice: rows already done are never taken again."""

from celery import shared_task

from requests_app.deadlines import deadlines_sweep
from requests_app.excel.jobs import letter_import_parse, letter_import_save
from requests_app.services import (
    cert_request_resume_stalled,
    cert_request_run_processing,
    letter_archive_and_report,
    letter_document_render,
    letter_document_render_missing,
    letters_archive_due,
)
from requests_app.services.retention import requests_retention_sweep


@shared_task
def cert_request_run_processing_task(cert_request_id: int) -> None:
    """Process a letter's accepted rows in the worker."""
    cert_request_run_processing(cert_request_id=cert_request_id)


@shared_task
def cert_request_resume_stalled_task() -> int:
    """Beat: queue again the letters whose processing task was lost."""
    return cert_request_resume_stalled()


@shared_task(name="requests_app.tasks.letter_import_parse_task")
def letter_import_parse_task(job_id: int) -> str:
    """Read and check a letter's uploaded sheet (an import job); a duplicate delivery finds
    the job no longer queued and changes nothing."""
    return letter_import_parse(job_id=job_id)


@shared_task(name="requests_app.tasks.letter_import_save_task")
def letter_import_save_task(job_id: int) -> str:
    """Check a confirmed import job's rows again and add them to the letter, all or none;
    idempotent: one `LetterImport` per job (a constraint), and a duplicate delivery finds the
    job no longer waiting to be saved and changes nothing."""
    return letter_import_save(job_id=job_id)


@shared_task
def letter_document_render_task(letter_pk: int) -> int | None:
    """Render an issued letter's PDF, the version its head signs; idempotent: one version of
    each kind per issuance (a constraint)."""
    document = letter_document_render(cert_request_id=letter_pk)
    return document.pk if document is not None else None


@shared_task
def letter_document_render_missing_task() -> int:
    """Beat: queue again the rendering of issued letters that have no document yet."""
    return letter_document_render_missing()


@shared_task(name="requests_app.tasks.letter_archive_extend_task")
def letter_archive_extend_task(document_id: int) -> int | None:
    """A signed version's long-term proofs (docs/ca.md, "Long-term signatures"), then its
    validation report if the receipt's check has none (docs/ca.md, "Validation report"); safe
    twice: each is decided on the locked row."""
    document = letter_archive_and_report(document_id=document_id)
    return document.pk if document is not None else None


@shared_task(name="requests_app.tasks.letters_archive_due_task")
def letters_archive_due_task() -> int:
    """Beat: long-term proofs for signed letters that lack them or whose newest document
    time-stamp's certificate nears its end (docs/ca.md, "Long-term signatures")."""
    return letters_archive_due()


@shared_task(name="requests_app.tasks.deadlines_sweep_task")
def deadlines_sweep_task() -> dict[str, int]:
    """Beat: the SLA watch (docs/processing.md §4.9). Takes no rows; set-based and keyed,
    so a redelivery or a concurrent run inserts nothing twice."""
    return deadlines_sweep()


@shared_task(name="requests_app.tasks.retention_sweep_task")
def retention_sweep_task() -> dict[str, int]:
    """Beat, daily: drafts never submitted deleted, letters and people past their retention
    period minimised (docs/retention.md). Each batch locks its rows (SKIP LOCKED) and
    re-checks its conditions, so a redelivery or a concurrent run changes nothing more."""
    return requests_retention_sweep()
