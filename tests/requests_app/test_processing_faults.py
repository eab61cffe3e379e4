"""Processing that never repeats and never sticks, with real Celery workers on a real Redis
and PostgreSQL (docs/processing.md §4): a task delivered twice at once, a worker killed mid-letter
(requeued, one more attempt), a worker alive but slower than the stall window (never requeued),
the broker down when "Xử lý" is clicked.

The workers run as separate processes on a Redis server of the test's own, so the test can
kill them and stop the broker like a failing machine would.
"""

import itertools
import time

import pytest
from cryptography import x509
from django.db import connection
from django.urls import reverse

from certificates.choices import CertEventKind, CertStatus
from certificates.models import Certificate, CertificateEvent, RevocationList
from portal.models import Notification
from requests_app import services
from requests_app.choices import FormKind, Outcome, Status
from requests_app.models import CertRequest
from requests_app.querysets import stall_cutoff
from requests_app.tasks import cert_request_run_processing_task
from tests.celery_processes import CeleryProcesses, RedisServer, producing_to, wait_until
from tests.helpers import postgresql_only, reauth_for, service_missing, sign_in
from tests.requests_app.letters import CONTACT, issue_signed, row_data
from tests.requests_app.poison import cure, poison
from tests.slowdown import slow_down, speed_up
from tests.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

_n = itertools.count(1)


@pytest.fixture(autouse=True)
def _real_services():
    if connection.vendor != "postgresql":
        postgresql_only("the worker fault tests")


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path)
    if server.exe is None:
        service_missing("redis-server (Debian package redis-server) for the broker fault tests")
    yield server
    server.stop()


@pytest.fixture
def celery(redis_server, tmp_path):
    processes = []

    def start(**env):
        group = CeleryProcesses(redis_server.url, tmp_path, **env)
        processes.append(group)
        return group

    yield start
    for group in processes:
        group.stop_all()


@pytest.fixture
def cured():
    """Whatever happens, no poison is left for the next test (this one commits)."""
    yield
    cure()


def _service_row(agency) -> dict:
    n = next(_n)
    return {
        "service_name": f"Cổng dịch vụ công {n}",
        "service_version": "2.1",
        "domain_or_ip": f"dvc{n}.laichau.gov.vn",
        "organization_name": "Sở Tài chính tỉnh Lai Châu",
        "tax_code": f"62002{n:05d}",
        "budget_code": f"{1300000 + n}",
        "province_name": "Lai Châu",
        "email": f"dvc{n}@laichau.gov.vn",
        "purpose": "Ký số văn bản điện tử",
        "key_storage": "hsm",
    }


def _issued_certificate(cast):
    """A certificate the simulated CA really issued (renewal and revocation go through it)."""
    from agencies.models import Person
    from certificates.choices import SubjectKind
    from certificates.services import certificate_issue

    n = next(_n)
    person = Person.objects.create(
        organization=cast.agency_a,
        full_name=f"Hà Văn Dũng {n}",
        national_id=f"01219{n:07d}",
        official_email=f"dung{n}@laichau.gov.vn",
    )
    return certificate_issue(
        subject_kind=SubjectKind.PERSON, agency=cast.agency_a, person=person, by=None
    )


def _row(cast, form) -> dict:
    if form == FormKind.ISSUE_DEVICE:
        return _service_row(cast.agency_a)
    if form == FormKind.RENEW_CHANGE:
        return {"certificate": _issued_certificate(cast), "renew": True}
    if form == FormKind.REVOKE:
        return {"certificate": _issued_certificate(cast), "revoke_reason": "retired"}
    return row_data(form, cast.agency_a)


def _accepted_letter(cast, form, rows):
    """A letter of `rows` rows, accepted by whoever processes it; returns (letter, processor)."""
    letter = services.cert_request_create(
        agency=cast.agency_a, form=form, by=cast.clerk_a, **CONTACT
    )
    for _ in range(rows):
        services.row_save(cert_request=letter, by=cast.clerk_a, data=_row(cast, form))
    services.cert_request_submit(cert_request=letter, by=cast.clerk_a)
    issue_signed(cast, letter)
    processor = cast.officer_1
    if form != FormKind.RENEW_CHANGE:
        services.cert_request_forward(cert_request=letter, by=cast.officer_1)
        processor = cast.ca_operator
    accepted, left = services.cert_request_accept_valid_rows(cert_request=letter, by=processor)
    assert (accepted, left) == (rows, 0)
    return letter, processor


def _wait_done(letter, groups, timeout=120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        letter.refresh_from_db()
        if letter.status == Status.DONE:
            return
        time.sleep(0.2)
    logs = "\n".join(group.logs() for group in groups)
    raise AssertionError(f"letter still {letter.status} after {timeout} s\n{logs}")


def _assert_each_row_done_once(letter, form):
    rows = list(letter.rows.select_related("certificate", "result_certificate"))
    assert {row.outcome for row in rows} == {Outcome.DONE}
    assert letter.transitions.filter(action="complete").count() == 1
    figures = CertRequest.objects.with_progress().get(pk=letter.pk)
    assert (figures.rows_processed, figures.rows_to_process) == (len(rows), len(rows))
    if form == FormKind.REVOKE:
        for row in rows:
            assert row.certificate.status == CertStatus.REVOKED
            events = CertificateEvent.objects.filter(
                certificate=row.certificate, kind=CertEventKind.REVOKED
            )
            assert events.count() == 1
        return
    step = "renew" if form == FormKind.RENEW_CHANGE else "issue"
    for row in rows:
        produced = Certificate.objects.filter(origin__startswith=f"request_row:{row.pk}:")
        assert list(produced) == [row.result_certificate]
        assert row.result_certificate.origin == f"request_row:{row.pk}:{step}"


@pytest.mark.usefixtures("ca")
@pytest.mark.parametrize(
    "form",
    [
        FormKind.ISSUE_PERSON,
        FormKind.ISSUE_ORGANIZATION,
        FormKind.ISSUE_DEVICE,
        FormKind.RENEW_CHANGE,
        FormKind.REVOKE,
    ],
)
def test_the_same_task_delivered_twice_at_once_gives_each_row_one_result(
    cast, redis_server, celery, form
):
    rows = 6
    letter, processor = _accepted_letter(cast, form, rows)
    certificates_before = Certificate.objects.count()
    assert not letter.rows.exclude(outcome=Outcome.ACCEPTED).exists()
    redis_server.start()
    with producing_to(redis_server.url):
        services.cert_request_process(cert_request=letter, by=processor)
        cert_request_run_processing_task.delay(letter.pk)  # the redelivery
    group = celery(PORTAL_PROCESSING_CHUNK_SIZE=2)
    group.worker()
    group.worker()  # two workers: each takes one of the two messages, at the same time

    _wait_done(letter, [group])

    _assert_each_row_done_once(letter, form)
    new = 0 if form == FormKind.REVOKE else rows
    assert Certificate.objects.count() == certificates_before + new
    if form == FormKind.REVOKE:
        _assert_one_crl_published(letter, group)


def _crl_tasks(group, state: str) -> int:
    """How many CRL publication tasks the workers logged as `state` ("received", …)."""
    return sum(
        line.count("certificates.tasks.crl_publish_task[")
        for path in group.workdir.glob("*.log")
        for line in path.read_text(errors="replace").splitlines()
        if state in line
    )


def _assert_one_crl_published(letter, group):
    """The letter's chunks revoked without publishing: one CRL task, queued when the letter
    ended, ran once, and its CRL lists every certificate the letter revoked."""
    wait_until(lambda: _crl_tasks(group, "succeeded"), 60, group.logs)
    time.sleep(2)  # a second message, had one been queued, would have been taken by now
    assert (_crl_tasks(group, "received"), _crl_tasks(group, "succeeded")) == (1, 1)
    issuer = letter.rows.first().certificate.issuer
    crl = x509.load_der_x509_crl(bytes(RevocationList.objects.latest_for(issuer).der))
    for row in letter.rows.select_related("certificate"):
        assert crl.get_revoked_certificate_by_serial_number(int(row.certificate.serial, 16))


@pytest.mark.usefixtures("ca")
def test_a_worker_killed_mid_letter_is_replaced_and_the_letter_finishes_in_the_stall_window(
    cast, redis_server, celery
):
    rows, chunk, stall = 40, 4, 4
    letter, processor = _accepted_letter(cast, FormKind.ISSUE_PERSON, rows)
    redis_server.start()
    knobs = {
        "PORTAL_PROCESSING_CHUNK_SIZE": chunk,
        "PORTAL_PROCESSING_STALL_SECONDS": stall,
        "PORTAL_PROCESSING_SWEEP_SECONDS": 1,
        "PORTAL_WORK_LEASE_SECONDS": 2,
    }
    first = celery(**knobs)
    doomed = first.worker()
    with producing_to(redis_server.url):
        services.cert_request_process(cert_request=letter, by=processor)

    deadline = time.monotonic() + 60
    while CertRequest.objects.with_progress().get(pk=letter.pk).rows_processed < chunk:
        assert time.monotonic() < deadline, first.logs()
        time.sleep(0.05)
    first.kill(doomed)
    killed_at = time.monotonic()
    done_when_killed = CertRequest.objects.with_progress().get(pk=letter.pk).rows_processed
    assert done_when_killed < rows, "the worker finished before it could be killed"

    second = celery(**knobs)
    second.worker()
    second.wait_ready(1)
    second.beat()
    _wait_done(letter, [first, second], timeout=90)
    # The dead worker's lease ran out: its letter was queued again, and that counted.
    assert letter.processing_attempts == 2

    # Nothing resumed the letter before its stall window had passed…
    resumed = letter.transitions.filter(action="complete").get().at
    assert resumed is not None
    # …and it finished well within the broker's redelivery time (30 minutes).
    assert time.monotonic() - killed_at < 60
    _assert_each_row_done_once(letter, FormKind.ISSUE_PERSON)


@pytest.fixture
def slow_rows():
    """Whatever happens, no slowdown is left for the next test (this one commits)."""
    yield
    speed_up("requests_app_requestrow")


def _logged(group, task: str, state: str) -> int:
    """How many times the workers logged `task` as `state` ("received", "succeeded")."""
    return sum(
        line.count(f"{task}[")
        for path in group.workdir.glob("*.log")
        for line in path.read_text(errors="replace").splitlines()
        if state in line
    )


@pytest.mark.usefixtures("ca", "slow_rows")
def test_a_letter_slower_than_the_stall_window_is_never_requeued_while_its_worker_is_alive(
    cast, redis_server, celery, settings
):
    """Each chunk of 2 rows takes 4 s (every row's update sleeps 2 s in the database), twice
    the stall window, while beat sweeps every second and a second worker waits for work: the
    worker's lease, renewed from its heartbeat while the chunk runs, keeps the letter from
    looking stalled. Nothing queues it again, no attempt is counted, and it finishes."""
    rows, chunk, stall = 6, 2, 2
    settings.PORTAL_PROCESSING_STALL_SECONDS = stall
    letter, processor = _accepted_letter(cast, FormKind.ISSUE_PERSON, rows)
    slow_down(
        "requests_app_requestrow",
        f"NEW.cert_request_id = {letter.pk} AND OLD.outcome = 'accepted' AND NEW.outcome = 'done'",
        2,
    )
    redis_server.start()
    group = celery(
        PORTAL_PROCESSING_CHUNK_SIZE=chunk,
        PORTAL_PROCESSING_STALL_SECONDS=stall,
        PORTAL_PROCESSING_SWEEP_SECONDS=1,
        PORTAL_WORK_LEASE_SECONDS=3,
    )
    group.worker()
    group.worker()
    group.beat()
    group.wait_ready(2)
    with producing_to(redis_server.url):
        services.cert_request_process(cert_request=letter, by=processor)

    silent, seen_stalled = 0, 0  # polls past the stall window without progress; taken stalled
    deadline = time.monotonic() + 120
    while letter.status != Status.DONE:
        assert time.monotonic() < deadline, f"{letter.status}\n{group.logs()}"
        if CertRequest.objects.stalled().filter(pk=letter.pk).exists():
            seen_stalled += 1
        letter.refresh_from_db()
        if letter.status == Status.IN_PROCESS and letter.progress_at < stall_cutoff():
            silent += 1
        time.sleep(0.2)

    assert silent > 5, "the chunks never outlasted the stall window"
    assert _logged(group, "requests_app.tasks.cert_request_resume_stalled_task", "succeeded") > 5
    assert (seen_stalled, letter.processing_attempts) == (0, 1)
    assert _logged(group, "requests_app.tasks.cert_request_run_processing_task", "received") == 1
    _assert_each_row_done_once(letter, FormKind.ISSUE_PERSON)


@pytest.mark.usefixtures("ca")
def test_processing_clicked_while_the_broker_is_down_is_told_and_done_when_it_is_back(
    cast, client, redis_server, celery
):
    letter, processor = _accepted_letter(cast, FormKind.ISSUE_PERSON, 3)
    sign_in(client, processor)
    url = reverse("requests_app:action", args=[letter.pk, "process"])

    form = reauth_for(client)
    with producing_to(redis_server.url):  # nothing listens there yet
        started = time.monotonic()
        response = client.post(url, form)
        took = time.monotonic() - started
        page = client.get(reverse("requests_app:detail", args=[letter.pk])).content.decode()

    assert took < 2, f"the click took {took:.1f} s"
    assert response.status_code == 302
    assert "hàng đợi xử lý tạm thời không phản hồi" in page
    letter.refresh_from_db()
    assert letter.status == Status.IN_PROCESS

    redis_server.start()
    group = celery(PORTAL_PROCESSING_STALL_SECONDS=2, PORTAL_PROCESSING_SWEEP_SECONDS=1)
    group.worker()
    group.beat()
    _wait_done(letter, [group], timeout=60)
    _assert_each_row_done_once(letter, FormKind.ISSUE_PERSON)


@pytest.mark.usefixtures("ca")
def test_processing_clicked_while_the_broker_hangs_is_answered_within_2_s_and_done_later(
    cast, client, redis_server, celery
):
    """A Redis that answers nothing (its host gone, the network cut: connections hang instead
    of being refused) once held the click 15.6 s; the send is bounded (portal/lib/queueing.py)
    and the database holds the intent, which the stall sweep queues once Redis is back."""
    letter, processor = _accepted_letter(cast, FormKind.ISSUE_PERSON, 2)
    sign_in(client, processor)
    url = reverse("requests_app:action", args=[letter.pk, "process"])
    form = reauth_for(client)
    redis_server.start()
    proxy = TcpProxy(redis_server.port)
    proxy.black_hole = True
    proxy.start()
    try:
        with producing_to(f"redis://127.0.0.1:{proxy.port}/0"):
            started = time.monotonic()
            response = client.post(url, form)
            took = time.monotonic() - started
            page = client.get(reverse("requests_app:detail", args=[letter.pk])).content.decode()
    finally:
        proxy.stop()

    assert took < 2, f"the click took {took:.1f} s"
    assert response.status_code == 302
    assert "hàng đợi xử lý tạm thời không phản hồi" in page
    letter.refresh_from_db()
    assert letter.status == Status.IN_PROCESS

    group = celery(PORTAL_PROCESSING_STALL_SECONDS=2, PORTAL_PROCESSING_SWEEP_SECONDS=1)
    group.worker()
    group.beat()
    _wait_done(letter, [group], timeout=60)
    _assert_each_row_done_once(letter, FormKind.ISSUE_PERSON)


@pytest.mark.usefixtures("ca")
def test_a_poison_letter_is_given_up_after_its_attempts_then_retried_and_completed(
    cast, client, redis_server, celery, cured
):
    """A letter whose processing always raises (tests/requests_app/poison.py)
    is requeued by beat's stall sweep only until PORTAL_PROCESSING_MAX_ATTEMPTS, then it is
    "Xử lý thất bại" and the CA operator is told; once the cause is gone, "Xử lý lại"
    completes it."""
    letter, processor = _accepted_letter(cast, FormKind.ISSUE_PERSON, 3)
    poison(letter.pk)
    redis_server.start()
    group = celery(
        PORTAL_PROCESSING_STALL_SECONDS=2,
        PORTAL_PROCESSING_SWEEP_SECONDS=1,
        PORTAL_PROCESSING_MAX_ATTEMPTS=3,
    )
    group.worker()
    group.beat()
    with producing_to(redis_server.url):
        services.cert_request_process(cert_request=letter, by=processor)

    deadline = time.monotonic() + 90
    while letter.status != Status.PROCESSING_FAILED:
        assert time.monotonic() < deadline, f"{letter.status}\n{group.logs()}"
        time.sleep(0.2)
        letter.refresh_from_db()
    assert letter.processing_attempts == 3
    assert letter.processing_error.startswith("Lỗi hệ thống khi xử lý văn bản (")
    time.sleep(4)  # beat's sweeps go on: the letter is left alone
    letter.refresh_from_db()
    assert letter.status == Status.PROCESSING_FAILED
    assert letter.transitions.filter(action="processing_fail").count() == 1
    told = Notification.objects.filter(kind="processing_failed", user=processor)
    assert told.count() == 1

    cure()
    sign_in(client, processor)
    with producing_to(redis_server.url):
        response = client.post(
            reverse("requests_app:action", args=[letter.pk, "retry"]), reauth_for(client)
        )
    assert response.status_code == 302
    _wait_done(letter, [group], timeout=60)
    _assert_each_row_done_once(letter, FormKind.ISSUE_PERSON)
