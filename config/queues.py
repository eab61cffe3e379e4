"""Celery's queues, one per kind of work, and which task goes to which (docs/deployment.md,
"Queues"). A worker started without `-Q` consumes them all (`make run`, the tests); a deployment
runs workers per queue, so a nationwide sweep or a 300,000-row export never waits in front of a
clerk's "Xử lý". Every task is named here: tests/test_task_names.py fails for one that is not."""

from kombu import Queue

INTERACTIVE = "interactive"  # what someone is waiting for: processing a letter, signing it
DOCUMENTS = "documents"  # rendering the official PDFs
BULK = "bulk"  # sweeps, exports, imports, mergers, tallies, digests, keys made ahead
CA = "ca"  # the CA's own publications: CRLs, the time-stamping unit
# posts to other systems: waiting on their answers (up to PORTAL_WEBHOOK_TIMEOUT_SECONDS each),
# never in front of a sweep or an export, and never held up by them (docs/webhooks.md)
WEBHOOKS = "webhooks"
# mail to other offices over SMTP: waiting on the mail server (up to EMAIL_TIMEOUT each),
# never in front of a clerk's processing or behind a sweep (docs/mail.md)
MAIL = "mail"

QUEUES = [Queue(name) for name in (INTERACTIVE, DOCUMENTS, BULK, CA, WEBHOOKS, MAIL)]

_BY_QUEUE = {
    INTERACTIVE: [
        "requests_app.tasks.cert_request_run_processing_task",
        "requests_app.tasks.letter_archive_extend_task",
        "approvals.tasks.approval_run_task",
    ],
    DOCUMENTS: [
        "requests_app.tasks.letter_document_render_task",
        "requests_app.tasks.letter_document_render_missing_task",
    ],
    CA: [
        "certificates.tasks.crl_publish_task",
        "certificates.tasks.crl_refresh_task",
        "certificates.tasks.timestamp_unit_ensure_task",
    ],
    WEBHOOKS: [
        "webhooks.tasks.webhook_events_fan_out_task",
        "webhooks.tasks.webhook_deliveries_send_task",
        "webhooks.tasks.webhook_deliveries_sweep_task",
    ],
    MAIL: [
        "mailing.tasks.mail_send_task",
        "mailing.tasks.mail_sweep_task",
    ],
    BULK: [
        "bulk.tasks.bulk_job_run_task",
        "bulk.tasks.bulk_jobs_sweep_task",
        "approvals.tasks.approvals_expire_due_task",
        "approvals.tasks.approvals_resume_stalled_task",
        "agencies.tasks.organization_codes_parse_task",
        "agencies.tasks.organization_codes_save_task",
        "certificates.tasks.certificate_expire_due_task",
        "certificates.tasks.renewal_ladder_sweep_task",
        "certificates.tasks.device_key_pool_fill_task",
        "certificates.tasks.desk_signing_sweep_task",
        "certificates.tasks.remote_keys_sweep_task",
        "dashboard.tasks.certificate_event_months_tally_task",
        "dashboard.tasks.signing_monitor_roll_up_task",
        "dashboard.tasks.idle_certificates_refresh_task",
        "dashboard.tasks.signing_bursts_check_task",
        "demand.tasks.demand_deadlines_sweep_task",
        "devices.tasks.return_obligation_notify_overdue_task",
        "devices.tasks.stock_import_parse_task",
        "devices.tasks.device_tokens_key_ahead_task",
        "orgmerge.tasks.merger_plan_apply_task",
        "orgmerge.tasks.merger_plan_resume_stalled_task",
        "portal.tasks.audit_checkpoint_task",
        "webhooks.tasks.webhook_history_prune_task",
        "portal.tasks.import_jobs_sweep_task",
        "portal.tasks.export_job_build_task",
        "portal.tasks.export_jobs_sweep_task",
        "portal.tasks.daily_digest_task",
        "privacy.tasks.incident_deadlines_remind_task",
        "privacy.tasks.access_log_check_task",
        "requests_app.tasks.cert_request_resume_stalled_task",
        "requests_app.tasks.letter_import_parse_task",
        "requests_app.tasks.letter_import_save_task",
        "requests_app.tasks.letters_archive_due_task",
        "requests_app.tasks.deadlines_sweep_task",
        "portal.tasks.retention_sweep_task",
        "mailing.tasks.mail_retention_sweep_task",
        "requests_app.tasks.retention_sweep_task",
    ],
}
ROUTES = {task: {"queue": queue} for queue, tasks in _BY_QUEUE.items() for task in tasks}
