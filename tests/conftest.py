"""The cast every test can call on: two provinces, three agencies and one user per role.

PORTAL_REQUIRE_SERVICES=1 (set by CI) turns "PostgreSQL/Redis not available" from a skip into
a failure, so a missing service can never make CI green by skipping.
"""

import os
import tempfile
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from certificates.backends import simulated
from config.storage import file_storages_from_env
from tests import factories as f
from tests import flush
from tests.audit_guard import empty_audit_trail
from tests.cast import COMMITTED, left_by_a_killed_run
from tests.celery_processes import RedisServer
from tests.db_template import template_restore, template_save
from tests.helpers import (
    TEST_AUDIT_HMAC_KEY,
    TEST_BLIND_INDEX_KEY,
    TEST_CA_HSM_PIN,
    TEST_CA_HSM_SO_PIN,
    TEST_CA_PASSPHRASE,
    TEST_DEVICE_PASSPHRASE,
    TEST_FIELD_KEY,
    TEST_RSSP_HSM_PIN,
    TEST_RSSP_HSM_SO_PIN,
    TEST_TOKEN_PIN_KEY,
    TEST_TOKEN_SO_KEY,
    running_worker,
    service_missing,
)
from tests.keys import FixedKeys
from tests.mailing.helpers import CA_ADDRESS
from tests.mailing.smtp_server import SMTPServer
from tests.migrating import migrate_to
from tests.paperwork.device_signing_world import head_of_agency_a, issue
from tests.s3_server import S3Server


def pytest_configure(config):
    from django.conf import settings

    # Hashing passwords properly costs ~0.3 s per user; tests create hundreds of users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Production's manifest storage needs `collectstatic`; tests render from the source tree.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.WHITENOISE_USE_FINDERS = True
    # Files looked up per request, as under DEBUG: otherwise each test client's first request
    # builds WhiteNoise's middleware, which walks and stats every static file.
    settings.WHITENOISE_AUTOREFRESH = True
    # The simulated CA, as tests use it: real passphrases (no development default), and EC
    # P-256 keys for the root and issuing CA: SoftHSM2 takes 0.5-2 s to generate an RSA key and
    # the `ca` fixture holds a ceremony per test; P-256 takes milliseconds. Tests of the RSA
    # ceremony set the algorithms themselves.
    settings.CA_KEY_PASSPHRASE = TEST_CA_PASSPHRASE
    settings.CA_DEVICE_KEY_PASSPHRASE = TEST_DEVICE_PASSPHRASE
    settings.CA_ALLOW_DEV_PASSPHRASE = False
    settings.CA_ROOT_KEY_ALGORITHM = "ec_p256"
    settings.CA_ISSUING_KEY_ALGORITHM = "ec_p256"
    settings.CA_TSA_KEY_ALGORITHM = "ec_p256"  # the time-stamping unit's, made by the ceremony
    # The CA's keys in its HSM slot (a SoftHSM2 token of the run's token store, made by the
    # first key ceremony), with PINs of the tests' own (docs/ca.md, "Keys on tokens").
    settings.CA_KEY_STORE = "hsm"
    settings.CA_HSM_PIN = TEST_CA_HSM_PIN
    settings.CA_HSM_SO_PIN = TEST_CA_HSM_SO_PIN
    # The remote-signing slot's PINs (docs/remote-signing.md), read by the worker processes the
    # tests start through the environment too.
    settings.RSSP_HSM_PIN = os.environ["RSSP_HSM_PIN"] = TEST_RSSP_HSM_PIN
    settings.RSSP_HSM_SO_PIN = os.environ["RSSP_HSM_SO_PIN"] = TEST_RSSP_HSM_SO_PIN
    # Each run its own SoftHSM2 token store; worker and server processes the tests start
    # inherit it through the environment (portal.lib.pkcs11 writes SOFTHSM2_CONF on first use).
    os.environ.pop("SOFTHSM2_CONF", None)
    os.environ["PORTAL_TOKEN_DIR"] = tempfile.mkdtemp(prefix="portal-tokens-")
    settings.PKCS11_TOKEN_DIR = Path(os.environ["PORTAL_TOKEN_DIR"])
    settings.CA_SUBSCRIBER_KEY_ALGORITHM = "rsa2048"
    # Subscribers' keys: the suite's default is the simulated CA's software key store, whose
    # keys the tests' stand-in for an official's device signs with (tests/desk.py; docs/ca.md,
    # "Subscribers' tokens"); the token tests switch to "token" with `settings`.
    # Worker processes the tests start read the same through the environment.
    settings.PORTAL_SUBSCRIBER_KEY_STORE = "software"
    os.environ["PORTAL_SUBSCRIBER_KEY_STORE"] = "software"
    settings.PORTAL_TOKEN_SO_KEY = os.environ["PORTAL_TOKEN_SO_KEY"] = TEST_TOKEN_SO_KEY
    settings.PORTAL_TOKEN_PIN_KEY = os.environ["PORTAL_TOKEN_PIN_KEY"] = TEST_TOKEN_PIN_KEY
    # The audit chain's key, as production has one (no development default); no legacy events.
    settings.AUDIT_HMAC_KEY = TEST_AUDIT_HMAC_KEY
    settings.AUDIT_HMAC_KEYS_OLD = []
    settings.AUDIT_LEGACY_UNTIL_SEQ = 0
    # Personal data encrypted at rest with the tests' own keys (no development default), read
    # by the worker and server processes the tests start through the environment.
    settings.PORTAL_FIELD_KEYS = [TEST_FIELD_KEY]
    os.environ["PORTAL_FIELD_KEYS"] = TEST_FIELD_KEY
    settings.PORTAL_BLIND_INDEX_KEY = os.environ["PORTAL_BLIND_INDEX_KEY"] = TEST_BLIND_INDEX_KEY
    # The API's rate limits, out of the way of tests that make many calls (the API suites,
    # schemathesis, the fuzz suite); tests/api/test_throttling.py lowers them. Counted in the
    # real `throttle` cache (Redis in CI), never cleared by a test: clearing Redis would flush
    # the Celery broker's database too.
    settings.PORTAL_API_RATE_TOKEN = "1000000/minute"
    settings.PORTAL_API_RATE_ADDRESS = "1000000/minute"


@pytest.fixture(scope="session", autouse=True)
def _flush_by_delete():
    """Transactional tests end with a DELETE of each table rather than a TRUNCATE
    (tests/flush.py: 0.4 s saved per test), then the cast is committed again (tests/cast.py)."""
    flush.by_delete(then=COMMITTED.after_flush)
    yield
    flush.by_truncate()


@pytest.fixture(scope="session")
def _fixed_keys():
    """The simulated CA's RSA-2048 subscriber keys drawn from the committed test keys
    (tests/keys: generating them took a tenth of the suite's time)."""
    generate = simulated.new_private_key
    simulated.new_private_key = keys = FixedKeys(generate)
    yield keys
    simulated.new_private_key = generate


@pytest.fixture(scope="module", autouse=True)
def _fixed_keys_of_the_module(_fixed_keys):
    """Keys a module's world drew (outside its tests) are skipped until the module ends."""
    yield
    _fixed_keys.release()


@pytest.fixture(autouse=True)
def _fixed_keys_from_the_first(_fixed_keys):
    """Each test draws the test keys from the first: all of one test's keys differ."""
    _fixed_keys.restart()
    yield
    _fixed_keys.test_ended()


@pytest.fixture(autouse=True)
def _own_audit_checkpoint_file(settings, tmp_path_factory):
    """Each test its own checkpoint file (not created until written): a checkpoint left by an
    earlier test would not match the next test's chain."""
    settings.AUDIT_CHECKPOINT_FILE = str(
        tmp_path_factory.getbasetemp() / f"audit-checkpoints-{uuid.uuid4().hex}.jsonl"
    )


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: counts cached by an earlier test's page (the
    dashboard's wide scopes, the statistics) describe that test's database, not this one's."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _vietnamese_first():
    """Every test starts in the portal's language: a page served in English by an earlier
    test leaves English active in the thread (LocaleMiddleware activates, never resets)."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


def _is_transactional(request) -> bool:
    if {"transactional_db", "live_server"} & set(request.fixturenames):
        return True
    return any(m.kwargs.get("transaction") for m in request.node.iter_markers("django_db"))


@pytest.fixture(autouse=True)
def _empty_audit_trail_after_transactional_tests(request):
    """Transactional tests end with a flush, which the audit trail's guard refuses once
    events exist: empty the trail first, with the guard suspended."""
    if not _is_transactional(request):
        yield
        return
    request.getfixturevalue("_django_db_helper")  # torn down after this fixture
    yield
    empty_audit_trail()


@pytest.fixture(scope="session")
def django_db_createdb(request, django_db_modify_db_settings):
    """The test database is made again when asked (`--create-db`), and when a reused one was
    left holding a killed run's cast (tests/cast.py): from its copy if there is one
    (tests/db_template.py), else by migrating."""
    if request.config.getvalue("create_db"):
        return True
    if not request.config.getvalue("reuse_db") or not left_by_a_killed_run():
        return False
    return not template_restore(connection.creation._get_test_db_name())


@pytest.fixture(scope="session")
def django_db_setup(request, django_db_setup, django_db_blocker):
    """pytest-django's test database, with the cast committed in it as soon as it is made,
    before any test could flush the migrations' rows (tests/cast.py); a reused one is first
    copied, to be made again quickly (tests/db_template.py)."""
    with django_db_blocker.unblock():
        if request.config.getvalue("reuse_db") and connection.vendor == "postgresql":
            template_save()
        COMMITTED.build()
    yield
    with django_db_blocker.unblock():
        COMMITTED.restore()


@pytest.fixture(scope="session")
def _committed_cast(django_db_setup):
    return COMMITTED


@pytest.fixture
def cast(_committed_cast, db):
    """The cast for this test: a fresh copy of the committed one."""
    return _committed_cast.copy()


# `db` and `transactional_db` go through the helper; the session's live server asks for it
# only as the test starts (pytest-django's `_live_server_helper`).
_DATABASE_FIXTURES = {"_django_db_helper", "live_server"}


@pytest.fixture(autouse=True)
def _no_cast_unless_asked(request):
    """A test that does not ask for the cast meets a database without it (tests/cast.py)."""
    names = set(request.fixturenames)
    if "cast" in names:
        return
    if not (_DATABASE_FIXTURES & names or request.node.get_closest_marker("django_db")):
        return
    request.getfixturevalue("_django_db_helper")
    COMMITTED.remove()


@pytest.fixture
def ca(db):
    """The simulated CA after its key ceremony (root and issuing CA, first CRLs published),
    the ceremony made once per process (tests/ca_once.py); issuing, renewing and revoking go
    through it."""
    from certificates.models import CertificateAuthority
    from tests.ca_once import ca_ready

    ca_ready()
    return SimpleNamespace(
        root=CertificateAuthority.objects.public().get(kind="root", is_active=True),
        issuing=CertificateAuthority.objects.public().get(kind="issuing", is_active=True),
    )


@pytest.fixture
def nss(tmp_path, ca):
    """An NSS database that trusts the simulated root (with its CRLs), as a relying party's
    would: what `pdfsig` checks signatures against (tests/certificates/pdf_tools.py)."""
    from certificates.models import RevocationList
    from tests.certificates.pdf_tools import nss_db_trusting

    crls = [bytes(crl.der) for crl in RevocationList.objects.all()]
    return nss_db_trusting(
        tmp_path / "nss",
        root_der=bytes(ca.root.certificate_der),
        issuing_der=bytes(ca.issuing.certificate_der),
        crls=crls,
    )


@pytest.fixture
def token(cast):
    """A USB token of agency A held by Phạm Thị Hường, at the agency."""
    from devices.models import CustodyRecord

    holder = f.PersonFactory(organization=cast.agency_a, full_name="Phạm Thị Hường")
    device = f.DeviceFactory(
        agency=cast.agency_a, holder=holder, serial="VT26000777", status="delivered_to_agency"
    )
    CustodyRecord.objects.create(
        device=device,
        status=device.status,
        holder_kind=CustodyRecord.HolderKind.AGENCY,
        agency=cast.agency_a,
        held_from=device.created_at,
    )
    return device


@pytest.fixture
def redis_worker(transactional_db):
    """A real Celery worker (solo pool, in a thread) consuming from the real Redis broker.

    Tests using it run with committed transactions so the worker's own database connection
    sees their rows.
    """
    app = _celery_app_on_redis()
    with running_worker(app):
        yield app


@pytest.fixture
def own_redis(tmp_path):
    """A redis-server of the test's own on a free port, started: a test may stop and start it
    again (an outage) without touching any other test's broker."""
    server = RedisServer(tmp_path)
    if server.exe is None:
        service_missing("redis-server (Debian package redis-server) for the outage tests")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory):
    """An S3-compatible server of the module's own (moto's server mode) with a bucket."""
    server = S3Server(tmp_path_factory.mktemp("s3"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def s3_storages(s3_server, settings, monkeypatch):
    """The documents and the exports in a new bucket of `s3_server`, configured as an operator
    would (config/storage.py reading the environment)."""
    s3_server.new_bucket()
    for name, value in s3_server.env().items():
        monkeypatch.setenv(name, value)
    settings.STORAGES = {
        **settings.STORAGES,
        **file_storages_from_env(settings.MEDIA_ROOT, settings.PORTAL_EXPORT_DIR),
    }
    return s3_server


@pytest.fixture
def ci_redis_url(transactional_db):
    """The Redis of REDIS_URL (CI's own server, its own db index) for worker and beat
    processes of a test: that db emptied before and after (FLUSHDB, never FLUSHALL)."""
    import redis

    url = os.environ.get("REDIS_URL", "")
    if not url:
        service_missing("REDIS_URL is not set")
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.flushdb()
    except redis.RedisError as exc:
        service_missing(f"Redis at {url} does not answer: {exc}")
    yield url
    client.flushdb()


@pytest.fixture
def redis_app(transactional_db):
    """The portal's Celery app on the real Redis broker of REDIS_URL, its queue emptied, with
    no worker yet: start one with `tests.helpers.running_worker(app)` when the test wants it."""
    app = _celery_app_on_redis()
    app.control.purge()
    return app


def _celery_app_on_redis():
    """The portal's Celery app, once the Redis of REDIS_URL answers (a missing service skips,
    or fails under PORTAL_REQUIRE_SERVICES)."""
    import redis

    from config.celery import app

    url = os.environ.get("REDIS_URL", "")
    if not url:
        service_missing("REDIS_URL is not set")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        service_missing(f"Redis at {url} does not answer: {exc}")
    assert app.conf.broker_url.startswith("redis"), app.conf.broker_url
    return app


# --- the session's Chromium ---------------------------------------------------------------
# One Playwright for the whole run (a second sync_playwright in the same process fails while
# the first is open): the browser tests (tests/browser/) and the signing client's page test use
# it. Playwright's own browser download does not work on our networks, so the executable is
# passed explicitly; without Chromium the tests skip on a developer machine and fail under CI.
# Playwright's sync API runs an event loop in this thread; Django would otherwise refuse the
# database calls the tests make alongside it.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).is_file():
        service_missing(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        service_missing("the playwright Python package is not installed")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture
def smtp(settings):
    """A running SMTP server the portal sends to (stop it and start it again at will)."""
    server = SMTPServer()
    server.start()
    for name, value in server.settings().items():
        setattr(settings, name, value)
    settings.PORTAL_MAIL_CA_ADDRESS = CA_ADDRESS
    yield server
    server.stop()


@pytest.fixture
def newest_schema_after():
    """For a test that migrates the test database back (tests/migrating.py): brought to the
    newest migrations again whatever happens."""
    yield
    migrate_to(MigrationExecutor(connection).loader.graph.leaf_nodes())


@pytest.fixture
def head(cast, ca):
    """Agency A's head with a personal certificate, and the agency's seal (the device
    documents' and letters' signing tests)."""
    return head_of_agency_a(cast)


@pytest.fixture
def officer(cast, ca):
    """The province's officer with a personal certificate (the receiving side of a Mẫu 08
    returned to the provincial point). The CA issues only to people under a managing agency
    (kind AGENCY or MINISTRY), so the officer's person sits under one."""
    managing = f.AgencyFactory(parent=cast.province_1, name="Sở Khoa học và Công nghệ")
    person = f.PersonFactory(
        organization=managing,
        user=cast.officer_1,
        full_name="Lò Văn Thắng",
        position="Chuyên viên",
        official_email="thang.lv@thunghiem.gov.vn",
    )
    issue(cast, person=person, agency=managing)
    return person
