"""Personal data at rest (read by config/settings.py; docs/privacy-at-rest.md).

PORTAL_FIELD_KEYS: Fernet keys, comma-separated; the first encrypts, every one decrypts, so a
rotation puts the new key first and keeps the old one until `rotate_field_keys` has run and no
backup still needs it. PORTAL_BLIND_INDEX_KEY: the HMAC key of the blind indexes that find a
row by an exact ID or phone number (a separate key: it never decrypts anything). Both have
marked development defaults only under CA_ALLOW_DEV_PASSPHRASE; `check --deploy` refuses
their absence (portal.checks).
"""

from portal.lib.env import env_int, env_list, env_str

PORTAL_FIELD_KEYS = env_list("PORTAL_FIELD_KEYS")
PORTAL_BLIND_INDEX_KEY = env_str("PORTAL_BLIND_INDEX_KEY", "")
# Rows per transaction when the migration or `rotate_field_keys` re-encrypts a table.
PORTAL_FIELD_CRYPTO_BATCH = env_int("PORTAL_FIELD_CRYPTO_BATCH", 2000)
# The same for files kept in a row (a PDF, an uploaded workbook: up to megabytes each), read
# one at a time; fewer a transaction, so that the rows it locks are let go sooner.
PORTAL_FIELD_CRYPTO_FILE_BATCH = env_int("PORTAL_FIELD_CRYPTO_FILE_BATCH", 50)
