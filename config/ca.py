"""The certificate authority's settings (read by config/settings.py): the CA behind the portal
and its keys, its CRL, OCSP and time-stamping, certificate validity, verification of signed
PDFs, and the PKCS#11 tokens (docs/ca.md)."""

from pathlib import Path

import certifi

from config.base import DEBUG, VAR_DIR
from portal.lib.env import env_bool, env_int, env_list, env_str

# The CA behind the portal (docs/ca.md, "Keys on tokens"): its keys in an HSM slot (CA_KEY_STORE
# "hsm"), or encrypted in the database ("file", refused by `check --deploy`); without its PINs
# or passphrases it refuses to work, unless CA_ALLOW_DEV_PASSPHRASE (default: DEBUG).
CA_BACKEND = env_str("CA_BACKEND", "certificates.backends.simulated.SimulatedCABackend")
CA_KEY_STORE = env_str("CA_KEY_STORE", "hsm")
CA_HSM_TOKEN_LABEL = env_str("CA_HSM_TOKEN_LABEL", "portal-ca")
CA_HSM_PIN = env_str("CA_HSM_PIN", "")
CA_HSM_SO_PIN = env_str("CA_HSM_SO_PIN", "")
# Remote signing (docs/remote-signing.md): the keys of the subscribers' remote-signing
# credentials (device kind RSSP) in an HSM slot of their own, apart from the CA's keys, with
# PINs of its own (development defaults only under CA_ALLOW_DEV_PASSPHRASE).
RSSP_HSM_TOKEN_LABEL = env_str("RSSP_HSM_TOKEN_LABEL", "portal-rssp")
RSSP_HSM_PIN = env_str("RSSP_HSM_PIN", "")
RSSP_HSM_SO_PIN = env_str("RSSP_HSM_SO_PIN", "")
# Sole control (docs/remote-signing.md): how long an activation code lasts, how many wrong
# signing PINs lock a credential, how long a signature authorisation lasts, how many hashes
# one authorisation may cover.
REMOTE_SIGNING_CODE_HOURS = env_int("REMOTE_SIGNING_CODE_HOURS", 72)
REMOTE_SIGNING_MAX_PIN_TRIES = env_int("REMOTE_SIGNING_MAX_PIN_TRIES", 5)
REMOTE_SIGNING_AUTHORIZATION_SECONDS = env_int("REMOTE_SIGNING_AUTHORIZATION_SECONDS", 300)
REMOTE_SIGNING_MAX_HASHES = env_int("REMOTE_SIGNING_MAX_HASHES", 100)
# SIM PKI through the carrier's mobile-signature gateway (docs/remote-signing.md, "SIM PKI"):
# wrong PINs in a row that block a SIM's PIN, the seconds the phone has to answer, and the
# portal's name as the gateway's application provider (AP_ID).
REMOTE_SIGNING_SIM_PIN_TRIES = env_int("REMOTE_SIGNING_SIM_PIN_TRIES", 3)
REMOTE_SIGNING_SIM_SECONDS = env_int("REMOTE_SIGNING_SIM_SECONDS", 180)
MSS_AP_ID = env_str("MSS_AP_ID", "http://cts-chuyen-dung.gov.vn/cong-thong-tin")
# The sweep of the remote-signing slot (docs/remote-signing.md, "Nothing half done"): a key the
# registry does not know is destroyed once unknown this many hours.
REMOTE_SIGNING_ORPHAN_HOURS = env_int("REMOTE_SIGNING_ORPHAN_HOURS", 24)
CA_KEY_PASSPHRASE = env_str("CA_KEY_PASSPHRASE", "")
CA_DEVICE_KEY_PASSPHRASE = env_str("CA_DEVICE_KEY_PASSPHRASE", "")
CA_ALLOW_DEV_PASSPHRASE = env_bool("CA_ALLOW_DEV_PASSPHRASE", DEBUG)
CA_ORGANIZATION = env_str("CA_ORGANIZATION", "Ban Cơ yếu Chính phủ (mô phỏng)")
CA_ROOT_NAME = env_str("CA_ROOT_NAME", "Chuyên dùng Chính phủ Root CA (mô phỏng)")
CA_ISSUING_NAME = env_str(
    "CA_ISSUING_NAME", "CA phục vụ các cơ quan Nhà nước G{generation} (mô phỏng)"
)
CA_ROOT_KEY_ALGORITHM = env_str("CA_ROOT_KEY_ALGORITHM", "rsa3072")
CA_ISSUING_KEY_ALGORITHM = env_str("CA_ISSUING_KEY_ALGORITHM", "rsa2048")
CA_ISSUING_VALIDITY_YEARS = env_int("CA_ISSUING_VALIDITY_YEARS", 10)
CA_SUBSCRIBER_KEY_ALGORITHM = env_str("CA_SUBSCRIBER_KEY_ALGORITHM", "rsa2048")
# The simulated CA's key pool (docs/scale.md §12.3): device key pairs generated ahead
# by beat, CA_KEY_POOL_BATCH at a time up to CA_KEY_POOL_SIZE, so that processing a letter
# does not generate one RSA key per row (about 13 a second per core). 0: no pool.
CA_KEY_POOL_SIZE = env_int("CA_KEY_POOL_SIZE", 1000)
CA_KEY_POOL_BATCH = env_int("CA_KEY_POOL_BATCH", 100)
CA_CRL_NEXT_UPDATE_HOURS = env_int("CA_CRL_NEXT_UPDATE_HOURS", 24)
CA_OCSP_NEXT_UPDATE_MINUTES = env_int("CA_OCSP_NEXT_UPDATE_MINUTES", 60)
# The simulated CA's time-stamping authority (RFC 3161, docs/ca.md "Time-stamping authority"):
# its certificate's name, key type and validity (issued by the issuing CA at the key ceremony),
# and the policy OID its tokens carry. The default policy is under the UUID arc 2.25 (ITU-T
# X.667: unique without registration), standing in for the real CA's registered policy.
CA_TSA_NAME = env_str("CA_TSA_NAME", "Dịch vụ cấp dấu thời gian (mô phỏng)")
CA_TSA_KEY_ALGORITHM = env_str("CA_TSA_KEY_ALGORITHM", "rsa2048")
CA_TSA_VALIDITY_YEARS = env_int("CA_TSA_VALIDITY_YEARS", 5)
# The TSA's certificate is replaced this many days before it ends (beat's daily check).
CA_TSA_RENEW_DAYS = env_int("CA_TSA_RENEW_DAYS", 30)
# Archived signed letters get a fresh document time-stamp this many days before the newest one's
# certificate ends (docs/ca.md, "Long-term signatures"): fewer than CA_TSA_RENEW_DAYS, so the
# TSA's new certificate is there to make it.
CA_ARCHIVE_RENEW_DAYS = env_int("CA_ARCHIVE_RENEW_DAYS", 20)
CA_TSA_POLICY_OID = env_str("CA_TSA_POLICY_OID", "2.25.204079992777961013461942336324280515770.1")
# Decree 68 Art. 9: a new certificate at most 5 years, a renewal adds at most 3.
PORTAL_MAX_VALIDITY_YEARS = env_int("PORTAL_MAX_VALIDITY_YEARS", 5)
PORTAL_RENEWAL_MAX_YEARS = env_int("PORTAL_RENEWAL_MAX_YEARS", 3)
# Verifying signed PDFs (docs/ca.md, "Signing and verification"): the roots a signature must
# chain to (PEM files; empty: the simulated CA's roots in the database) and the e-office's size
# cap for signed PDFs (docs/domain.md §9).
SIGNING_TRUST_ROOTS = env_list("SIGNING_TRUST_ROOTS")
# The public CAs' roots (PEM files; default Mozilla's bundle as certifi ships it): a signature
# whose chain reaches one is reported as a public CA's, not as an error (docs/ca.md,
# "Validation report").
SIGNING_PUBLIC_ROOTS = env_list("SIGNING_PUBLIC_ROOTS") or [certifi.where()]
SIGNING_MAX_PDF_MB = env_int("SIGNING_MAX_PDF_MB", 50)
# Keys on tokens (docs/ca.md, "Keys on tokens"): the PKCS#11 module every token and the CA's HSM
# slot are reached through (SoftHSM2 in the demo and the tests; a token vendor's module or a
# network HSM's in production) and, for SoftHSM2, the directory of its token store.
PKCS11_MODULE = env_str("PORTAL_PKCS11_MODULE", "/usr/lib/softhsm/libsofthsm2.so")
PKCS11_TOKEN_DIR = Path(env_str("PORTAL_TOKEN_DIR", str(VAR_DIR / "tokens")))
# Subscribers' keys (docs/ca.md, "Subscribers' tokens"): "token" generates every subscriber's
# key pair inside the device's PKCS#11 token and keeps no private key in the database;
# "software" is the simulated CA's old key store (keys encrypted in DeviceKey), kept only while
# letters are still signed on the server, and refused by `check --deploy`.
PORTAL_SUBSCRIBER_KEY_STORE = env_str("PORTAL_SUBSCRIBER_KEY_STORE", "token")
# The key each token's security-officer PIN is derived from (HMAC with the token serial; the
# SO PIN itself is never stored) and the key a new user PIN is sealed with until the CA
# operator opens its envelope at the handover. Development defaults only under
# CA_ALLOW_DEV_PASSPHRASE, like the CA passphrases.
PORTAL_TOKEN_SO_KEY = env_str("PORTAL_TOKEN_SO_KEY", "")
PORTAL_TOKEN_PIN_KEY = env_str("PORTAL_TOKEN_PIN_KEY", "")
# Stock tokens keyed ahead by beat (devices.tasks.device_tokens_key_ahead_task): at most this
# many a run, so that processing a letter finds its key pairs made.
PORTAL_TOKEN_KEY_AHEAD_BATCH = env_int("PORTAL_TOKEN_KEY_AHEAD_BATCH", 50)
