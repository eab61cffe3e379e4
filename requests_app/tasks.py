from celery import shared_task

from requests_app.services import cert_request_run_processing


@shared_task(acks_late=True)
def cert_request_run_processing_task(cert_request_id: int) -> None:
    """Process a letter's accepted rows in the worker (idempotent: done rows are skipped)."""
    cert_request_run_processing(cert_request_id=cert_request_id)
