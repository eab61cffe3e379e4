"""How long personal data is kept (read by config/settings.py): the retention sweep's periods
per record type, what happens at their end and their legal source are in docs/retention.md.
Every period is a setting because the agency's retention schedule decides it, not the code."""

from portal.lib.env import env_int

# --- Retention of personal data (docs/retention.md) ---
# Letters never submitted (still drafts), deleted with their rows this long after their last
# change.
PORTAL_RETENTION_DRAFT_DAYS = env_int("PORTAL_RETENTION_DRAFT_DAYS", 180)
# Finished Excel imports (confirmed, discarded, failed), deleted with their file and parsed rows
# this long after they finished.
PORTAL_RETENTION_IMPORT_DAYS = env_int("PORTAL_RETENTION_IMPORT_DAYS", 30)
# Export jobs (their file is already gone after PORTAL_EXPORT_KEEP_HOURS), deleted with any file
# left this long after they were asked for.
PORTAL_RETENTION_EXPORT_DAYS = env_int("PORTAL_RETENTION_EXPORT_DAYS", 7)
# Outgoing mails sent, failed or bounced, deleted with their attempts this long after.
PORTAL_RETENTION_MAIL_DAYS = env_int("PORTAL_RETENTION_MAIL_DAYS", 90)
# Official records (letters Mẫu 01-06 and their rows, certificates, devices' records): kept this
# many years after the letter closed / the certificate ended / the device was handed back, then
# their identifiers and contact details are removed (data minimisation, not anonymisation); a
# person's are removed once nothing of theirs is younger. The default must be confirmed against
# the agency's retention schedule (archives law 33/2024/QH15): docs/retention.md.
PORTAL_RETENTION_RECORD_YEARS = env_int("PORTAL_RETENTION_RECORD_YEARS", 10)
# Rows per batch of the sweep: each batch is its own short transaction with its audit event.
PORTAL_RETENTION_BATCH = env_int("PORTAL_RETENTION_BATCH", 1000)
# --- end of retention block ---
