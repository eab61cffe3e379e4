"""Celery beat's schedule: every deadline and sweep the portal runs by itself
(docs/processing.md §4.5–§4.9). Tasks are idempotent: a missed or doubled run changes nothing.
Read by config/settings.py; the intervals come from the environment (.env.example)."""

from celery.schedules import crontab

from portal.lib.env import env_int


def beat_schedule(*, audit_checkpoint_minutes: int) -> dict:
    return {
        "certificates-expire-due": {
            "task": "certificates.tasks.certificate_expire_due_task",
            "schedule": 15 * 60,
        },
        # The TSA's certificate replaced before it ends (docs/ca.md, "Time-stamping authority").
        "certificates-tsa-renew": {
            "task": "certificates.tasks.timestamp_unit_ensure_task",
            "schedule": 24 * 60 * 60,
        },
        # Signed letters' long-term proofs: added where the worker's task was lost or could
        # not get them, extended before the newest time-stamp's certificate ends (docs/ca.md,
        # "Long-term signatures").
        "requests-archive-due": {
            "task": "requests_app.tasks.letters_archive_due_task",
            "schedule": 60 * 60,
        },
        # Keys in the remote-signing slot the registry does not account for
        # (docs/remote-signing.md, "Nothing half done").
        "certificates-remote-keys-sweep": {
            "task": "certificates.tasks.remote_keys_sweep_task",
            "schedule": 60 * 60,
        },
        # Desk signing requests nobody answered (docs/ca.md, "Signing at the signer's desk").
        "certificates-desk-signing-sweep": {
            "task": "certificates.tasks.desk_signing_sweep_task",
            "schedule": 5 * 60,
        },
        "certificates-crl-refresh": {
            "task": "certificates.tasks.crl_refresh_task",
            "schedule": 15 * 60,
        },
        "requests-resume-stalled": {
            "task": "requests_app.tasks.cert_request_resume_stalled_task",
            "schedule": env_int("PORTAL_PROCESSING_SWEEP_SECONDS", 60),
        },
        "approvals-resume-stalled": {
            "task": "approvals.tasks.approvals_resume_stalled_task",
            "schedule": env_int("PORTAL_PROCESSING_SWEEP_SECONDS", 60),
        },
        "approvals-expire-due": {
            "task": "approvals.tasks.approvals_expire_due_task",
            "schedule": 15 * 60,
        },
        # Bulk jobs: cancelled when their approval was refused, queued again when their task
        # was lost (docs/bulk.md).
        "bulk-jobs-sweep": {
            "task": "bulk.tasks.bulk_jobs_sweep_task",
            "schedule": env_int("PORTAL_PROCESSING_SWEEP_SECONDS", 60),
        },
        "orgmerge-resume-stalled": {
            "task": "orgmerge.tasks.merger_plan_resume_stalled_task",
            "schedule": env_int("PORTAL_PROCESSING_SWEEP_SECONDS", 60),
        },
        "portal-imports-resume-stalled": {
            "task": "portal.tasks.import_jobs_sweep_task",
            "schedule": env_int("PORTAL_PROCESSING_SWEEP_SECONDS", 60),
        },
        "portal-exports-sweep": {
            "task": "portal.tasks.export_jobs_sweep_task",
            "schedule": env_int("PORTAL_PROCESSING_SWEEP_SECONDS", 60),
        },
        "requests-render-missing-documents": {
            "task": "requests_app.tasks.letter_document_render_missing_task",
            "schedule": 5 * 60,
        },
        # The simulated CA's device keys generated ahead, off the processing's path
        # (docs/scale.md §12.3); CA_KEY_POOL_SIZE=0 turns it into a no-op.
        "certificates-key-pool": {
            "task": "certificates.tasks.device_key_pool_fill_task",
            "schedule": env_int("CA_KEY_POOL_SWEEP_SECONDS", 60),
        },
        # Stock devices' tokens keyed ahead (key pair generated inside the token), off the
        # processing's path (docs/ca.md, "Subscribers' tokens"); a no-op with the software store.
        "devices-tokens-key-ahead": {
            "task": "devices.tasks.device_tokens_key_ahead_task",
            "schedule": env_int("PORTAL_TOKEN_KEY_AHEAD_SWEEP_SECONDS", 60),
        },
        "devices-return-overdue": {
            "task": "devices.tasks.return_obligation_notify_overdue_task",
            "schedule": 60 * 60,
        },
        # Deadlines (docs/processing.md §4.9): the renewal ladder; deadline rows, SLA watch and
        # escalation, closing notifications whose reason passed; the daily digest.
        "certificates-renewal-ladder": {
            "task": "certificates.tasks.renewal_ladder_sweep_task",
            "schedule": env_int("PORTAL_DEADLINE_SWEEP_SECONDS", 60 * 60),
        },
        "requests-deadlines-sweep": {
            "task": "requests_app.tasks.deadlines_sweep_task",
            "schedule": env_int("PORTAL_DEADLINE_SWEEP_SECONDS", 60 * 60),
        },
        "demand-deadlines-sweep": {
            "task": "demand.tasks.demand_deadlines_sweep_task",
            "schedule": env_int("PORTAL_DEADLINE_SWEEP_SECONDS", 60 * 60),
        },
        # A personal-data incident's 72 hours to notify A05: the data protection officers are
        # reminded REMIND_BEFORE ahead and told once overdue (docs/privacy.md).
        "privacy-incident-deadlines": {
            "task": "privacy.tasks.incident_deadlines_remind_task",
            "schedule": 15 * 60,
        },
        # The personal-data access log checked against the audit trail; the data protection
        # officers told of what does not match, once a day per set of problems (docs/privacy.md).
        "privacy-access-log-check": {
            "task": "privacy.tasks.access_log_check_task",
            "schedule": crontab(hour=3, minute=20),
        },
        "portal-daily-digest": {
            "task": "portal.tasks.daily_digest_task",
            "schedule": crontab(hour=env_int("PORTAL_DIGEST_HOUR", 7), minute=0),
        },
        # The statistics' tally of ended months (docs/statistics.md §10): daily, so a month
        # is tallied on the second day of the next (when it settles) or on the first run
        # after a missed one; until then the page counts it from the events.
        "dashboard-event-months-tally": {
            "task": "dashboard.tasks.certificate_event_months_tally_task",
            "schedule": crontab(hour=1, minute=30),
        },
        # The signing-activity monitor (docs/architecture.md §13): the month's rollups hourly,
        # the idle certificates daily after them, today's bursts every ten minutes.
        "dashboard-signing-roll-up": {
            "task": "dashboard.tasks.signing_monitor_roll_up_task",
            "schedule": env_int("PORTAL_SIGNING_ROLLUP_SECONDS", 60 * 60),
        },
        "dashboard-idle-certificates": {
            "task": "dashboard.tasks.idle_certificates_refresh_task",
            "schedule": crontab(hour=2, minute=15),
        },
        "dashboard-signing-bursts": {
            "task": "dashboard.tasks.signing_bursts_check_task",
            "schedule": env_int("PORTAL_SIGNING_BURST_SECONDS", 10 * 60),
        },
        # Webhook events and deliveries whose message was lost (docs/webhooks.md).
        "webhooks-sweep": {
            "task": "webhooks.tasks.webhook_deliveries_sweep_task",
            "schedule": env_int("PORTAL_WEBHOOK_SWEEP_SECONDS", 60),
        },
        # Webhook history past PORTAL_WEBHOOK_KEEP_DAYS (docs/webhooks.md).
        "webhooks-prune": {
            "task": "webhooks.tasks.webhook_history_prune_task",
            "schedule": crontab(hour=3, minute=40),
        },
        # Outgoing mails whose message was lost or whose retry waits longer than a lease
        # (docs/mail.md).
        "mail-sweep": {
            "task": "mailing.tasks.mail_sweep_task",
            "schedule": env_int("PORTAL_MAIL_SWEEP_SECONDS", 60),
        },
        # Retention of personal data (docs/retention.md): what passed its period deleted or
        # minimised, by short audited batches, at night.
        "portal-retention-sweep": {
            "task": "portal.tasks.retention_sweep_task",
            "schedule": crontab(hour=2, minute=40),
        },
        "mail-retention-sweep": {
            "task": "mailing.tasks.mail_retention_sweep_task",
            "schedule": crontab(hour=2, minute=45),
        },
        "requests-retention-sweep": {
            "task": "requests_app.tasks.retention_sweep_task",
            "schedule": crontab(hour=2, minute=50),
        },
        "portal-audit-checkpoint": {
            "task": "portal.tasks.audit_checkpoint_task",
            "schedule": audit_checkpoint_minutes * 60,
        },
    }
