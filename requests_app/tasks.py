"""Celery adapters: primary key in, one service call (docs/architecture.md §4). Both are safe
to run twice: rows already done are never taken again."""

from celery import shared_task

from requests_app.excel.jobs import letter_import_parse
from requests_app.services import cert_request_resume_stalled, cert_request_run_processing


@shared_task
def cert_request_run_processing_task(cert_request_id: int) -> None:
    """Process a letter's accepted rows in the worker."""
    cert_request_run_processing(cert_request_id=cert_request_id)


@shared_task
def cert_request_resume_stalled_task() -> int:
    """Beat: queue again the letters whose processing task was lost."""
    return cert_request_resume_stalled()


@shared_task
def letter_import_parse_task(job_id: int) -> str:
    """Read and check a letter's uploaded sheet (an import job); a duplicate delivery finds
    the job no longer queued and changes nothing."""
    return letter_import_parse(job_id=job_id)
