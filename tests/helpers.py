"""Plain helpers of the whole suite (fixtures live in conftest.py, factories in factories.py)."""

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from celery.contrib.testing.worker import start_worker
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies.accounts.reauth import needs_code
from agencies.accounts.twofactor import recovery_code_hash, two_factor_enabled, two_factor_required
from portal.imports import import_parse_task, import_save_task
from portal.models import ImportJob, WorkLease

TEST_CA_PASSPHRASE = "mat-khau-ca-thu-nghiem-dai-du"
TEST_DEVICE_PASSPHRASE = "mat-khau-thiet-bi-thu-nghiem"
TEST_TOKEN_SO_KEY = "khoa-pin-so-token-thu-nghiem"  # noqa: S105
TEST_TOKEN_PIN_KEY = "khoa-niem-phong-pin-thu-nghiem"  # noqa: S105
TEST_CA_HSM_PIN = "ma-pin-khe-hsm-ca-thu-nghiem"
TEST_CA_HSM_SO_PIN = "ma-pin-so-khe-hsm-ca-thu-nghiem"
TEST_RSSP_HSM_PIN = "ma-pin-khe-hsm-ky-so-tap-trung"
TEST_RSSP_HSM_SO_PIN = "ma-pin-so-khe-hsm-ky-so-tap-trung"
TEST_AUDIT_HMAC_KEY = "khoa-hmac-nhat-ky-thu-nghiem-dai-hon-32-ky-tu"
# Personal data at rest (docs/privacy-at-rest.md): a Fernet key and the blind index's key.
TEST_FIELD_KEY = "dGVzdC1maWVsZC1rZXktb2YtdGhlLXBvcnRhbC10ZXM="  # noqa: S105
TEST_BLIND_INDEX_KEY = "khoa-chi-muc-mu-thu-nghiem-dai-hon-32-ky-tu"  # noqa: S105

# The password every factory-made user has (tests/factories.py UserFactory).
PASSWORD = "mat-khau-thu-nghiem"
# What a form of an action marked `reauth` (requests_app/lifecycle.py) must carry: the user's
# password typed again (agencies/accounts/reauth.py). Demo accounts: agencies.demo.DEMO_PASSWORD.
# A user with a second factor must also give a code: use `reauth_for(client)`.
REAUTH = {"reauth_password": PASSWORD}

REQUIRE_SERVICES = os.environ.get("PORTAL_REQUIRE_SERVICES", "") in {"1", "true", "yes"}


def service_missing(reason: str):
    """Fail under CI, skip on a developer machine without the service."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required service missing: {reason}")
    pytest.skip(reason)


def postgresql_only(what: str):
    """Skip a test of PostgreSQL's own behaviour (row locks between concurrent transactions,
    COPY's statement counts, query plans, worker processes on the test database) in a run on
    SQLite. Not a missing service: a run without DATABASE_URL chose SQLite (a developer's
    `make test`, CI's second run), so it skips even under PORTAL_REQUIRE_SERVICES=1. A run
    given a DATABASE_URL that is not PostgreSQL fails there."""

    if connection.vendor == "postgresql":
        return
    if REQUIRE_SERVICES and os.environ.get("DATABASE_URL"):
        pytest.fail(f"PostgreSQL needed for {what}; DATABASE_URL names {connection.vendor}")
    pytest.skip(f"PostgreSQL only: {what} (the run is on {connection.vendor})")


# --- pages: who gets what ------------------------------------------------------------------
# The cast's personas (tests/conftest.py `cast`) every permission matrix runs through.
PERSONAS = (
    "anonymous",
    "clerk_a",
    "head_a",
    "clerk_b",
    "clerk_c",
    "officer_1",
    "officer_2",
    "ca_operator",
    "subscriber_user",
)
LOGIN = "login"  # the expected answer "302 to the login page"
HTMX = {"HTTP_HX_REQUEST": "true"}


def sign_in(client, user):
    """`client.force_login(user)`, and for a user who needs a second factor (agencies/accounts/
    twofactor.py) a session verified the way django-otp's `login()` verifies it: the persistent
    id of a real confirmed TOTP device of the user (created when they have none) in the
    session. Use it instead of `force_login` for every signed-in test client."""

    client.force_login(user)
    if two_factor_enabled(user) or two_factor_required(user):
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="Kiểm thử", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def signed_in(user) -> Client:
    """A browser of `user`'s, signed in (made before a race, so the race is the request)."""
    client = Client()
    sign_in(client, user)
    return client


def reauth_for(client) -> dict:
    """What an action marked `reauth` must carry from the client's signed-in user: the password
    typed again and, when the user has a second factor, a code. The code is a fresh recovery
    code of the user's (a real single-use static token, accepted as a person without their
    phone would use one), so a test never waits for the authenticator's next time step."""

    user_id = client.session.get("_auth_user_id")  # none for an anonymous client
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    if user is None or not needs_code(user):
        return dict(REAUTH)
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name="Mã khôi phục kiểm thử", defaults={"confirmed": True}
    )
    token = StaticToken.random_token()
    device.token_set.create(token=recovery_code_hash(user.pk, token))  # stored hashed
    return {**REAUTH, "reauth_code": token}


def login(client, cast, persona):
    """The test client logged in as a persona of `cast` ("anonymous": not at all)."""
    if persona != "anonymous":
        sign_in(client, getattr(cast, persona))
    return client


def is_login_redirect(response) -> bool:
    """A redirect to the login page: a 302, or for an htmx request an HX-Redirect, so that the
    whole page goes there (agencies/accounts/sessions.py)."""

    login = reverse("login")
    if response.status_code == 302:
        return response.url.startswith(login)
    return response.status_code == 200 and response.get("HX-Redirect", "").startswith(login)


def answer(response):
    """LOGIN for a redirect to the login page, the status code otherwise."""
    return LOGIN if is_login_redirect(response) else response.status_code


def count_queries(client, url, params=None) -> int:
    """How many queries a GET of `url` runs (it must answer 200)."""

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(queries)


def run_import_job(job_pk: int) -> str:
    """Run an import job's own parse task (the shipped task, called in this process as the
    worker would call it). Returns what the run did: ready, failed, skipped, lost."""

    job = ImportJob.objects.get(pk=job_pk)
    return import_parse_task(job.kind)(job.pk)


def upload_and_parse(client, url, file):
    """Post an upload; when it is accepted (a redirect to the job's page), run the job's task
    and return the job's page; otherwise the upload page's answer (a form error, a 403…)."""

    response = client.post(url, {"file": file})
    if response.status_code != 302:
        return response
    page = resolve(urlsplit(response.url).path)
    if page.url_name not in ("import_job", "stock_import_job"):
        return response
    run_import_job(page.kwargs["job_pk"])
    return client.get(response.url)


def excel_upload(client, cert_request, file):
    """Upload a file to a letter's Excel import and let the job run: the job page (preview)."""

    return upload_and_parse(client, reverse("requests_app:import", args=[cert_request.pk]), file)


def excel_confirm(client, cert_request, job_pk):
    """Confirm a letter's import job and, when the confirmation queued its save, run the
    job's save task (the shipped one, in this process, as the worker would). Returns the job
    page's redirect once the rows are added (to the letter), otherwise the confirmation's
    answer (a redirect to the job's page, a 403, a 404…)."""

    response = client.post(reverse("requests_app:import_confirm", args=[cert_request.pk, job_pk]))
    job = ImportJob.objects.filter(pk=job_pk).first()
    if response.status_code != 302 or job is None or job.status != ImportJob.Status.CONFIRMING:
        return response
    import_save_task(job.kind)(job.pk)
    page = client.get(response.url)
    return page if page.status_code == 302 else response


def stock_upload(client, file):
    """Upload a stock file and let the job run: the job page (preview)."""

    return upload_and_parse(client, reverse("devices:stock_import"), file)


def import_report(response) -> dict[int, list[tuple[str, str]]]:
    """The import preview's problems, by Excel line: [(column, message)]."""
    found: dict[int, list[tuple[str, str]]] = {}
    for line, column, message in response.context["problems"]:
        found.setdefault(line, []).append((column, message))
    return found


# How long the worker's wait for the broker lasts (kombu's BRPOP timeout, 1 s by default). A
# worker told to stop closes its connection only once the wait in progress has ended, which
# made every test with a worker a second longer, idle.
WORKER_POLL_SECONDS = 0.1


@contextmanager
def running_worker(app):
    """A real Celery worker (solo pool, in a thread) on `app`'s broker for the block
    (the `redis_app` fixture gives the app; the `redis_worker` fixture runs one through a
    whole test)."""

    options = app.conf.broker_transport_options or {}
    app.conf.broker_transport_options = {**options, "polling_interval": WORKER_POLL_SECONDS}
    with start_worker(
        app, pool="solo", perform_ping_check=False, shutdown_timeout=15, loglevel="WARNING"
    ):
        yield


def totp_code(user) -> str:
    """The code the user's authenticator app shows now, computed from the device's secret
    (`bin_key`) as the app does. django-otp refuses a time step it has already accepted, so
    after a used step this is the next step's code (within the device's tolerance)."""

    device = TOTPDevice.objects.get(user=user, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    now = time.time()
    totp.time = now
    ahead = device.last_t + 1 - totp.t()
    if ahead > device.tolerance:  # both usable steps spent: wait for the clock to move on
        time.sleep((ahead - device.tolerance) * device.step - (now - device.t0) % device.step)
        totp.time = now = time.time()
        ahead = device.last_t + 1 - totp.t()
    totp.time = now + max(ahead, 0) * device.step
    return f"{totp.token():0{device.digits}d}"


def browser_second_step(page, base_url: str, username: str) -> None:
    """In a browser that has just sent an account's password: type the current code of its
    authenticator when the account has one (the demo's, agencies/demo.py, or a test's own
    account enrolled with `enrol_demo_two_factor`)."""

    user = get_user_model().objects.filter(username=username).first()
    if user is None or not two_factor_enabled(user):
        return
    page.wait_for_url(f"{base_url}/tai-khoan/xac-minh/**")
    page.get_by_label("Mã xác thực").fill(totp_code(user))
    page.get_by_role("button", name="Xác nhận").click()


def off_the_browser_loop(call):
    """Run `call` in another thread and return its result: what runs its own asyncio loop
    (pyHanko's signing and validation) cannot start one inside the loop Playwright's sync API
    keeps running in the test's thread."""

    def run():
        try:
            return call()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def at_once(work, count: int, *, timeout: float = 90) -> list:
    """Run `work(i)` for i in range(count), each in its own thread and database connection,
    released together by a barrier (PostgreSQL races: transactional tests). Returns what each
    returned, or the exception it raised; fails when one hangs."""
    barrier = threading.Barrier(count, timeout=30)
    results: list = [None] * count

    def run(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except BaseException as exc:  # noqa: BLE001 - reported by the caller
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return results


def lock_waiters(query_like: str) -> int:
    """Sessions of this test database waiting for a lock in a statement whose text is LIKE
    `query_like`; read afresh inside the caller's open transaction (pg_stat_activity is
    otherwise one snapshot per transaction)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            " AND datname = current_database() AND query LIKE %s",
            [query_like],
        )
        return cursor.fetchone()[0]


def lease_on(obj, *, expires_in: float):
    """A worker's lease on `obj` (docs/processing.md §4.5) ending `expires_in` seconds from
    now (negative: it ran out that long ago, its worker dead), as the worker wrote it."""
    now = timezone.now()
    return WorkLease.objects.create(
        kind=obj._meta.label_lower,
        object_id=obj.pk,
        holder="worker-1:4242:test",
        taken_at=now - timedelta(minutes=10),
        expires_at=now + timedelta(seconds=expires_in),
    )
