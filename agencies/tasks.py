"""Celery tasks of the agencies app: thin, idempotent adapters around services
(docs/processing.md §4)."""

from celery import shared_task

from agencies.code_imports import codes_import_parse, codes_import_save


@shared_task
def organization_codes_parse_task(job_id: int) -> str:
    """Read and check an uploaded official list of agency codes (an import job); a duplicate
    delivery finds the job no longer queued and changes nothing."""
    return codes_import_parse(job_id=job_id)


@shared_task
def organization_codes_save_task(job_id: int) -> str:
    """Write a confirmed list of agency codes, every code or none; a duplicate delivery finds
    the job no longer confirming and changes nothing."""
    return codes_import_save(job_id=job_id)
