"""Settings for the certificate-request portal, read from the environment.

SQLite and a file-system Celery broker are the zero-setup defaults; set DATABASE_URL and
REDIS_URL for PostgreSQL and Redis. Every variable is documented in `.env.example`.
"""

from pathlib import Path

from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.base import BASE_DIR, DEBUG, VAR_DIR
from config.beat import beat_schedule
from config.database import databases_from_env
from config.queues import BULK, QUEUES, ROUTES
from config.storage import file_storages_from_env
from portal.audit_keys import DEV_AUDIT_HMAC_KEY
from portal.lib.env import env_bool, env_int, env_list, env_networks, env_rate, env_str
from portal.lib.redis_clients import broker_url, redis_cache, sentinel_addresses, sentinel_options

SECRET_KEY = env_str("SECRET_KEY", "insecure-dev-key-change-me" if DEBUG else None)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "django_htmx",
    "csp",
    "health_check",
    "django_prometheus",
    "remote_signing.apps.OAuthProviderConfig",
    "portal",
    "agencies",
    "privacy",
    "approvals",
    "webhooks",
    "mailing",
    "devices",
    "certificates",
    "remote_signing",
    "requests_app",
    "exchange",
    "paperwork",
    "bulk",
    "orgmerge",
    "demand",
    "dashboard",
]

MIDDLEWARE = [
    # First and (but for axes) last: requests and latency per view (docs/deployment.md).
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "portal.middleware.DebugNotFoundPageMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After a write, where the user's next pages may read (only with a replica).
    "portal.replica.ReplicaPinMiddleware",
    "portal.middleware.VietnameseFirstLocaleMiddleware",
    # Before CommonMiddleware, whose slash redirect would answer a NUL path with a 301.
    "portal.middleware.QueryStringGuardMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "portal.middleware.RequestContextMiddleware",
    "agencies.accounts.sessions.SessionLimitMiddleware",
    "agencies.accounts.middleware.SecondFactorMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    # Last, as django-axes documents: turns a lockout during sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

DATABASES = databases_from_env(VAR_DIR)
DATABASE_ROUTERS = ["portal.replica.ReplicaRouter"]
# A user's own writes are read from the primary until the replica has them, for at most this
# long (docs/deployment.md, "Replica").
PORTAL_REPLICA_PIN_SECONDS = env_int("PORTAL_REPLICA_PIN_SECONDS", 300)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Tiếng Việt")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["portal.formats"]  # dd/mm/yyyy in both languages
TIME_ZONE = env_str("TIME_ZONE", "Asia/Ho_Chi_Minh")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static_root")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns about a missing one
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "media/"
# Exports built by the worker (below): private, never served as static or media.
PORTAL_EXPORT_DIR = Path(env_str("PORTAL_EXPORT_DIR", str(VAR_DIR / "exports")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    **file_storages_from_env(MEDIA_ROOT, PORTAL_EXPORT_DIR),
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- HTTPS and security headers (`manage.py check --deploy` is clean with .env.example) ---
# Behind the TLS-terminating proxy of a deployment (README "Deployment"): trust its
# X-Forwarded-Proto, send plain-HTTP visitors to HTTPS and keep cookies on HTTPS.
BEHIND_TLS_PROXY = env_bool("BEHIND_TLS_PROXY", False)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", BEHIND_TLS_PROXY)
# Paths (regular expressions, no leading slash) answered over plain HTTP too: the health checks
# and metrics, asked for on the nodes' own addresses.
SECURE_REDIRECT_EXEMPT = env_list("SECURE_REDIRECT_EXEMPT", [r"^health/", r"^metrics$"])
# HSTS is sent on HTTPS responses only; a year in production, off in development.
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
# The directive alone enrols nothing: the domain's owner submits it to the browsers' list.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", BEHIND_TLS_PROXY)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SESSION_ENGINE = "portal.session_store"  # keys shaped as Django makes them
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Powerful browser features the portal never uses, denied to it and to anything it embeds.
PERMISSIONS_POLICY: dict[str, list] = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "hid",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}
# Signing at the signer's desk (docs/ca.md, "Signing at the signer's desk"): the wait for the
# client's signature, how long finished bytes are kept, the client's address, the origin it
# accepts (empty: the page's own).
PORTAL_DESK_SIGNING_SECONDS = env_int("PORTAL_DESK_SIGNING_SECONDS", 300)
PORTAL_DESK_SIGNING_KEEP_HOURS = env_int("PORTAL_DESK_SIGNING_KEEP_HOURS", 24)
PORTAL_SIGNING_CLIENT_URL = env_str("PORTAL_SIGNING_CLIENT_URL", "http://127.0.0.1:10555").rstrip(
    "/"
)
PORTAL_PUBLIC_ORIGIN = env_str("PORTAL_PUBLIC_ORIGIN", "").rstrip("/")
# Content-Security-Policy (django-csp 4): no inline script, style or event handler anywhere,
# htmx included (templates/base.html configures it to inject and evaluate nothing); the small
# behaviours pages need live in static/js/portal.js. Django 5.2's admin ships no inline script
# or style either, so it runs under the same policy with no exemption
# (tests/browser/test_csp.py loads it and watches for violations).
_CSP = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        # The signing client on the official's computer (PORTAL_SIGNING_CLIENT_URL), which the
        # letter's page calls; its confirmation page opens in a popup, which CSP leaves alone.
        "connect-src": [SELF, PORTAL_SIGNING_CLIENT_URL],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# (Lower case: django-csp takes an upper-case CSP_* setting for its old configuration style.)
if _csp_report_uri := env_str("CSP_REPORT_URI", ""):
    _CSP["DIRECTIVES"]["report-uri"] = [_csp_report_uri]
# CSP_REPORT_ONLY=1 sends the policy as Content-Security-Policy-Report-Only: browsers report
# violations (to CSP_REPORT_URI if set, and the console) without blocking anything.
if env_bool("CSP_REPORT_ONLY", False):
    CONTENT_SECURITY_POLICY = None
    CONTENT_SECURITY_POLICY_REPORT_ONLY = _CSP
else:
    CONTENT_SECURITY_POLICY = _CSP

# E-mail: console in development, SMTP when EMAIL_HOST is set.
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
# Seconds an SMTP connection may wait for the server (outgoing letters: docs/mail.md).
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "cong-chu-ky-so@example.gov.vn")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
)

# The audit chain's HMAC key, separate from SECRET_KEY (docs/architecture.md §6): required
# outside DEBUG (a system check says so), a marked public key in development. Retired keys,
# oldest first, stay in AUDIT_HMAC_KEYS_OLD so their events still verify.
AUDIT_HMAC_KEY = env_str("AUDIT_HMAC_KEY", DEV_AUDIT_HMAC_KEY if DEBUG else "")
AUDIT_HMAC_KEYS_OLD = env_list("AUDIT_HMAC_KEYS_OLD")
# Installations upgraded from the unkeyed chain: the last seq written before the upgrade.
# Unkeyed events are accepted up to it and nowhere else (0: none at all).
AUDIT_LEGACY_UNTIL_SEQ = env_int("AUDIT_LEGACY_UNTIL_SEQ", 0)
# Checkpoints of the chain head kept outside the database: appended to this file (put it on
# storage the database's administrators cannot rewrite) and e-mailed to these addresses.
AUDIT_CHECKPOINT_FILE = env_str("AUDIT_CHECKPOINT_FILE", str(VAR_DIR / "audit-checkpoints.jsonl"))
AUDIT_CHECKPOINT_EMAILS = env_list("AUDIT_CHECKPOINT_EMAILS")
AUDIT_CHECKPOINT_MINUTES = env_int("AUDIT_CHECKPOINT_MINUTES", 60)

# Celery: Redis when REDIS_URL is set, otherwise a file-system broker under var/ so that
# `make run` needs no server.
# Behind Sentinel, the master REDIS_SENTINEL_MASTER the Sentinels name (portal/lib/redis_clients.py).
REDIS_URL = env_str("REDIS_URL", "")
REDIS_SENTINELS = sentinel_addresses(env_list("REDIS_SENTINELS"))
REDIS_SENTINEL_MASTER = env_str("REDIS_SENTINEL_MASTER", "portal")
if REDIS_SENTINELS and not REDIS_URL:
    raise ImproperlyConfigured("REDIS_SENTINELS needs REDIS_URL (its database number, password)")
if REDIS_URL:
    CELERY_BROKER_URL = broker_url(REDIS_URL, REDIS_SENTINELS)
    # kombu's Redis transport with its outage fault fixed (portal/lib/broker_transport.py).
    CELERY_BROKER_TRANSPORT = "portal.lib.broker_transport:" + (
        "SentinelTransport" if REDIS_SENTINELS else "Transport"
    )
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {
        # A task not acknowledged within this time is delivered again: longer than the
        # longest task (a 1,000-row letter, the expiry sweep: a few minutes at most). Work a
        # dead worker dropped is picked up sooner by the stall sweep below.
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 30 * 60),
        # The workers' connections; tasks are sent with shorter ones (portal/lib/queueing.py).
        "socket_connect_timeout": 3,
        "socket_timeout": 10,
    }
    CELERY_BROKER_TRANSPORT_OPTIONS |= sentinel_options(REDIS_SENTINELS, REDIS_SENTINEL_MASTER)
else:
    _queue_dir = VAR_DIR / "celery" / "queue"
    _processed_dir = VAR_DIR / "celery" / "processed"
    _queue_dir.mkdir(parents=True, exist_ok=True)
    _processed_dir.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(_processed_dir),
        # Exchange tables: under var/ too, never a `control/` folder in the checkout.
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
# Caches (docs/deployment.md, "Shared cache"): what pages count, in PORTAL_CACHE_URL's Redis
# database (else this process's memory); the API's rate limits (`throttle`) in REDIS_URL's.
PORTAL_CACHE_URL = env_str("PORTAL_CACHE_URL", "")
SHARED_CACHE = "portal.lib.redis_clients.SharedCache"
_LOCAL_CACHE = "django.core.cache.backends.locmem.LocMemCache"
CACHES = {
    "default": (
        redis_cache(PORTAL_CACHE_URL, REDIS_SENTINELS, backend=SHARED_CACHE)
        if PORTAL_CACHE_URL
        else {"BACKEND": _LOCAL_CACHE}
    ),
    "throttle": (
        redis_cache(REDIS_URL, REDIS_SENTINELS)
        if REDIS_URL
        else {"BACKEND": _LOCAL_CACHE, "LOCATION": "throttle"}
    ),
}
CELERY_TASK_IGNORE_RESULT = True
# A queue per kind of work, each task routed by name (config/queues.py, docs/deployment.md).
CELERY_TASK_QUEUES = QUEUES
CELERY_TASK_ROUTES = ROUTES
CELERY_TASK_DEFAULT_QUEUE = BULK
# Workers log through LOGGING above (JSON lines with the request id), not Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# At least once, with idempotent tasks (docs/processing.md §4): a task is acknowledged
# only when it has finished, delivered again when its worker dies, and a worker takes one
# message at a time so nothing waits behind a long task in a dead worker's prefetch.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_TIMEOUT = 3
# A broker outage of any length is waited out, by a worker started during it too (every 2 s,
# then up to every 30 s), never ended by exiting (docs/deployment.md, "A broker outage").
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = beat_schedule(audit_checkpoint_minutes=AUDIT_CHECKPOINT_MINUTES)
# Beat's schedulers write heartbeats, as workers do (config/heartbeats.py). With Redis, beats on
# several hosts share one schedule and a lock (docs/deployment.md, "One beat of two").
CELERY_BEAT_SCHEDULER = "config.heartbeats:HeartbeatScheduler"
if REDIS_URL:
    CELERY_BEAT_SCHEDULER = "config.heartbeats:RedisHeartbeatScheduler"
    CELERY_BEAT_MAX_LOOP_INTERVAL = 5
PORTAL_BEAT_LOCK_SECONDS = env_int("PORTAL_BEAT_LOCK_SECONDS", 20)
PORTAL_HEARTBEAT_SECONDS = env_int("PORTAL_HEARTBEAT_SECONDS", 15)
# Prometheus (dashboard/metrics.py, docs/deployment.md "Metrics"): who reads /metrics, and
# where a worker serves its tasks' figures (port 0: nowhere).
PORTAL_METRICS_ALLOW = env_networks("PORTAL_METRICS_ALLOW", ["127.0.0.1/32", "::1/128"])
PORTAL_METRICS_TOKEN = env_str("PORTAL_METRICS_TOKEN", "")
PORTAL_WORKER_METRICS_PORT = env_int("PORTAL_WORKER_METRICS_PORT", 0)
PORTAL_WORKER_METRICS_ADDRESS = env_str("PORTAL_WORKER_METRICS_ADDRESS", "127.0.0.1")

# OAuth 2.0 for the CSC API (docs/remote-signing.md): the authorization-code grant with PKCE,
# scopes `service` (list and read the holder's credentials) and `credential` (authorise and
# sign); client applications are registered by an administrator (admin, "Ứng dụng").
OAUTH2_PROVIDER = {
    "SCOPES": {
        "service": "Xem các khóa ký số tập trung của bạn",
        "credential": "Ký số bằng khóa ký số tập trung của bạn (cần mã PIN và mã xác thực)",
    },
    "DEFAULT_SCOPES": ["service"],
    "PKCE_REQUIRED": True,
    "ACCESS_TOKEN_EXPIRE_SECONDS": 3600,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https", "http"] if DEBUG else ["https"],
    # The OAuth 2.0 Security BCP (RFC 9700), as django-oauth-toolkit 4 will by default: no
    # implicit or password grant, PKCE S256 only, tokens never in the query string and kept
    # hashed, `iss` in the authorization response, a replayed refresh token revokes its family.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First, so that an anonymous caller is told 401 with `WWW-Authenticate: Bearer`.
        "agencies.accounts.tokens.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "EXCEPTION_HANDLER": "portal.api.problems.exception_handler",
    # DRF's three, JSON refusing a body nested too deeply as unreadable (a 400, not a
    # RecursionError's 500: portal/api/parsers.py).
    "DEFAULT_PARSER_CLASSES": [
        "portal.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # Cursor pages on the primary key for every list (docs/api.md §9).
    "DEFAULT_PAGINATION_CLASS": "portal.api.pagination.CursorPage",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Rate limits (portal/api/throttles.py, docs/security.md §3): 429 with Retry-After.
    "DEFAULT_THROTTLE_CLASSES": [
        "portal.api.throttles.TokenRateThrottle",
        "portal.api.throttles.AddressRateThrottle",
    ],
}
# API requests allowed per token (a session user counts as one) and per client address, as
# "number/period" (second, minute, hour, day); empty: no limit. An office behind one address
# runs several tokens, so the address gets more.
PORTAL_API_RATE_TOKEN = env_rate("PORTAL_API_RATE_TOKEN", "120/minute")
PORTAL_API_RATE_ADDRESS = env_rate("PORTAL_API_RATE_ADDRESS", "600/minute")
SPECTACULAR_SETTINGS = {
    "TITLE": "Certificate-request portal API",
    "VERSION": "1",
    # The schema does not describe its own endpoint; the docs page reads it (/api/tai-lieu/).
    "SERVE_INCLUDE_SCHEMA": False,
    # Two lists of choices share the field name "action": each named in the schema.
    "ENUM_NAME_OVERRIDES": {
        "ApprovalActionEnum": "approvals.choices.ApprovalAction",
        "BulkActionEnum": "bulk.choices.BulkAction",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        # create → rows → actions, as OpenAPI links (requests_app/api/links.py).
        "requests_app.api.links.add_letter_links",
        # 429 with Retry-After on every operation (portal/api/throttles.py).
        "portal.api.schema.add_throttle_responses",
    ],
}

# Domain thresholds (docs/domain.md §4-§5); configurable because some are assumed.
PORTAL_RENEW_MIN_DAYS_LEFT = env_int("PORTAL_RENEW_MIN_DAYS_LEFT", 30)
PORTAL_CHANGE_MIN_DAYS_LEFT = env_int("PORTAL_CHANGE_MIN_DAYS_LEFT", 30)
PORTAL_MAX_RENEWALS = env_int("PORTAL_MAX_RENEWALS", 1)
# Official e-mail (docs/domain.md §5.8): the state mail domains accepted, each with its
# sub-domains; an organisation may also register its own domains (Organization.mail_domains).
OFFICIAL_MAIL_DOMAINS = [
    d.lower().strip(".") for d in env_list("OFFICIAL_MAIL_DOMAINS", ["gov.vn"])
]
# The renewal ladder (docs/domain.md §5.9): days left at which the agency and the subscriber are
# told that renewal or change is still possible; under PORTAL_RENEW_MIN_DAYS_LEFT, that it no
# longer is.
PORTAL_RENEWAL_NOTICE_DAYS = sorted(
    (int(d) for d in env_list("PORTAL_RENEWAL_NOTICE_DAYS", ["60", "45", "31"])), reverse=True
)
PORTAL_DEVICE_RETURN_WORKING_DAYS = env_int("PORTAL_DEVICE_RETURN_WORKING_DAYS", 5)
PORTAL_RECOVERY_WORKING_DAYS = env_int("PORTAL_RECOVERY_WORKING_DAYS", 1)
PORTAL_PROCESSING_WORKING_DAYS = env_int("PORTAL_PROCESSING_WORKING_DAYS", 3)
# A letter in process whose processing shows no progress for this long is queued again.
PORTAL_PROCESSING_STALL_SECONDS = env_int("PORTAL_PROCESSING_STALL_SECONDS", 180)
# A worker carrying a letter, a bulk job or an approval run out holds a lease on it, renewed
# from a heartbeat every third of this while it works, however long one chunk takes; the
# stall sweeps leave leased work alone, and a killed worker's work waits at most this long
# past its stall window before it is queued again (docs/processing.md §4.5).
PORTAL_WORK_LEASE_SECONDS = env_int("PORTAL_WORK_LEASE_SECONDS", 60)
# An approved request not carried out after this long is queued again (docs/approvals.md).
PORTAL_APPROVAL_RUN_STALL_SECONDS = env_int("PORTAL_APPROVAL_RUN_STALL_SECONDS", 300)
# Runs of an approved request (the first, then each requeue) whose action raised or whose
# worker died, before the request is "failed" with the error's class (docs/approvals.md).
PORTAL_APPROVAL_RUN_MAX_ATTEMPTS = env_int("PORTAL_APPROVAL_RUN_MAX_ATTEMPTS", 3)
# Attempts at processing a letter (the click, then each requeue) before it is "processing
# failed" and its processor and the administrators are told (docs/processing.md §4.5).
PORTAL_PROCESSING_MAX_ATTEMPTS = env_int("PORTAL_PROCESSING_MAX_ATTEMPTS", 5)
# Rows of a letter processed and committed together by the worker, written with bulk
# operations; the chunk's audit events go in last, so the audit trail's head is locked only
# for the end of the chunk (docs/scale.md §12.3). A worker that dies loses one chunk.
PORTAL_PROCESSING_CHUNK_SIZE = env_int("PORTAL_PROCESSING_CHUNK_SIZE", 100)
# Spreadsheet imports parsed in the worker (docs/processing.md §4.7): a job without progress
# for this long is queued again; a job older than this many hours is discarded with its file.
PORTAL_IMPORT_STALL_SECONDS = env_int("PORTAL_IMPORT_STALL_SECONDS", 120)
PORTAL_IMPORT_KEEP_HOURS = env_int("PORTAL_IMPORT_KEEP_HOURS", 24)
# The most rows a letter's sheet may list: parsed, checked and saved by the worker in chunks
# (a ministry's list is tens of thousands); the 5 MB and zip guards still apply.
PORTAL_IMPORT_MAX_ROWS = env_int("PORTAL_IMPORT_MAX_ROWS", 30000)
# Bulk actions from a search (docs/bulk.md): the most objects one job may take (a filter
# finding more is refused, to be narrowed), and how many the worker does per transaction.
PORTAL_BULK_MAX_ITEMS = env_int("PORTAL_BULK_MAX_ITEMS", 20000)
PORTAL_BULK_BATCH = env_int("PORTAL_BULK_BATCH", 500)
# The times a worker may claim a bulk job (the first run, then each requeue by the stall
# sweep) before the job ends failed: a batch that always raises is not tried for ever.
PORTAL_BULK_MAX_ATTEMPTS = env_int("PORTAL_BULK_MAX_ATTEMPTS", 3)
# List exports (docs/scale.md §12.5): up to this many rows (a bounded count) the file is
# written in the request; more become an export job built by the worker into the `exports`
# storage, re-queued after PORTAL_EXPORT_STALL_SECONDS without progress, its file deleted after
# PORTAL_EXPORT_KEEP_HOURS.
PORTAL_EXPORT_INLINE_MAX_ROWS = env_int("PORTAL_EXPORT_INLINE_MAX_ROWS", 5000)
PORTAL_EXPORT_STALL_SECONDS = env_int("PORTAL_EXPORT_STALL_SECONDS", 120)
PORTAL_EXPORT_KEEP_HOURS = env_int("PORTAL_EXPORT_KEEP_HOURS", 24)
# Signed webhooks (docs/webhooks.md, "Settings": timeout, retries and backoff, the lease after
# which the sweep queues again, private addresses, how long finished deliveries are kept).
PORTAL_WEBHOOK_TIMEOUT_SECONDS = env_int("PORTAL_WEBHOOK_TIMEOUT_SECONDS", 5)
PORTAL_WEBHOOK_MAX_ATTEMPTS = env_int("PORTAL_WEBHOOK_MAX_ATTEMPTS", 10)
PORTAL_WEBHOOK_BACKOFF_SECONDS = env_int("PORTAL_WEBHOOK_BACKOFF_SECONDS", 30)
PORTAL_WEBHOOK_BACKOFF_MAX_SECONDS = env_int("PORTAL_WEBHOOK_BACKOFF_MAX_SECONDS", 6 * 60 * 60)
PORTAL_WEBHOOK_LEASE_SECONDS = env_int("PORTAL_WEBHOOK_LEASE_SECONDS", 120)
PORTAL_WEBHOOK_ALLOW_PRIVATE = env_bool("PORTAL_WEBHOOK_ALLOW_PRIVATE", False)
PORTAL_WEBHOOK_KEEP_DAYS = env_int("PORTAL_WEBHOOK_KEEP_DAYS", 30)
# Issued letters e-mailed to the office that receives them (docs/mail.md, "Settings"). The CA's
# address is empty by default, so a demo or staging copy never mails the CA (.env.example has it).
PORTAL_MAIL_CA_ADDRESS = env_str("PORTAL_MAIL_CA_ADDRESS", "")
PORTAL_MAIL_COPY_PROVINCE = env_bool("PORTAL_MAIL_COPY_PROVINCE", True)
PORTAL_MAIL_MESSAGE_ID_DOMAIN = env_str("PORTAL_MAIL_MESSAGE_ID_DOMAIN", "") or None
PORTAL_MAIL_MAX_ATTEMPTS = env_int("PORTAL_MAIL_MAX_ATTEMPTS", 12)
PORTAL_MAIL_BACKOFF_SECONDS = env_int("PORTAL_MAIL_BACKOFF_SECONDS", 60)
PORTAL_MAIL_BACKOFF_MAX_SECONDS = env_int("PORTAL_MAIL_BACKOFF_MAX_SECONDS", 6 * 60 * 60)
PORTAL_MAIL_LEASE_SECONDS = env_int("PORTAL_MAIL_LEASE_SECONDS", 120)
# The edXML status messages this portal sends are signed with its exchange certificate (an
# organisation's seal or system certificate) on a PKCS#11 token: its serial, user PIN and the
# key's CKA_ID in hex. No serial: sent unsigned, and taken as unauthenticated (docs/exchange.md).
EDXML_SIGNING_TOKEN_SERIAL = env_str("EDXML_SIGNING_TOKEN_SERIAL", "")
EDXML_SIGNING_PIN = env_str("EDXML_SIGNING_PIN", "")
EDXML_SIGNING_KEY_ID = env_str("EDXML_SIGNING_KEY_ID", "")
# The portal's own system certificate (a Mẫu 03 certificate of the portal, or the operating
# agency's seal) on a PKCS#11 token, with which it seals the PDFs it hands out in its own
# name: a person's export of their own data (docs/privacy.md). Its serial, user PIN and the
# key's CKA_ID in hex. No serial: those PDFs are refused, never handed out unsigned.
PORTAL_SYSTEM_SIGNING_TOKEN_SERIAL = env_str("PORTAL_SYSTEM_SIGNING_TOKEN_SERIAL", "")
PORTAL_SYSTEM_SIGNING_PIN = env_str("PORTAL_SYSTEM_SIGNING_PIN", "")
PORTAL_SYSTEM_SIGNING_KEY_ID = env_str("PORTAL_SYSTEM_SIGNING_KEY_ID", "")

# JSON lines naming the request, in the tasks it queued too (docs/deployment.md, "Logs").
LOG_FORMAT = env_str("LOG_FORMAT", "text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "portal.logs.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "portal.logs.JsonLines"},
        "text": {"format": "%(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": LOG_FORMAT,
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # fontTools logs every font subset at INFO (PDF stamps, docs/ca.md): keep it quiet.
    "loggers": {"fontTools": {"level": "WARNING"}},
}

# The certificate authority, its keys and tokens, signed PDFs (config/ca.py, docs/ca.md).
# Accounts: lockout, second factor, sessions (config/accounts.py).
from config.accounts import *  # noqa: E402, F403
from config.ca import *  # noqa: E402, F403

# Personal data encrypted at rest: keys and blind index (config/field_keys.py).
from config.field_keys import *  # noqa: E402, F403

# Retention of personal data (config/retention.py, docs/retention.md).
from config.retention import *  # noqa: E402, F403
