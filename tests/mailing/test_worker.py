"""A mail server that is down when a letter is issued: real `celery worker` and `celery beat`
processes (tests/celery_processes.py) try, fail, show the failure on the letter, and deliver
each mail exactly once when the server comes back (docs/mail.md, "Retries")."""

from pathlib import Path

import pytest
from django.urls import reverse

from exchange import services as exchange_services
from mailing.choices import MailStatus
from mailing.models import OutgoingMail
from portal.documents import document_storage
from tests.celery_processes import CeleryProcesses, RedisServer, producing_to, wait_until
from tests.helpers import postgresql_only, service_missing, sign_in
from tests.mailing.helpers import CA_ADDRESS, OFFICE_ADDRESS, signed_letter
from tests.mailing.smtp_server import SMTPServer

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def sweeps_run(workdir: Path) -> int:
    """How many mail sweeps the worker has finished, by its whole log (`CeleryProcesses.logs`
    keeps only each log's tail, whose count stops growing once the tail is full)."""
    return sum(
        "mailing.tasks.mail_sweep_task" in line and "succeeded" in line
        for log in workdir.glob("*.log")
        for line in log.read_text(errors="replace").splitlines()
    )


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path)
    if server.exe is None:
        service_missing("redis-server (Debian package redis-server) for the mail worker test")
    server.start()
    yield server
    server.stop()


def test_a_stopped_mail_server_is_retried_by_the_worker_and_each_mail_arrives_once(
    redis_server, tmp_path, settings, cast, client
):
    postgresql_only("worker processes on the test database")
    smtp = SMTPServer()  # not started: the mail server is down
    settings.PORTAL_MAIL_CA_ADDRESS = CA_ADDRESS
    celery = CeleryProcesses(
        redis_server.url,
        tmp_path,
        **smtp.environment(),
        MEDIA_ROOT=str(Path(document_storage().location).parent),
        PORTAL_MAIL_BACKOFF_SECONDS="1",
        PORTAL_MAIL_BACKOFF_MAX_SECONDS="2",
        PORTAL_MAIL_LEASE_SECONDS="3",
        PORTAL_MAIL_SWEEP_SECONDS="1",
    )
    try:
        celery.worker(queues=("mail",))
        celery.beat()
        with producing_to(redis_server.url):
            letter = signed_letter(cast)
        mails = OutgoingMail.objects.filter(about=f"cert_request:{letter.pk}")
        assert mails.count() == 2

        failing = mails.filter(attempts__gte=2, status=MailStatus.PENDING).exclude(last_error="")
        wait_until(lambda: failing.count() == 2, 60, celery.logs)
        sign_in(client, cast.clerk_a)
        text = client.get(reverse("requests_app:detail", args=[letter.pk])).content.decode()
        assert f"Gửi thư tới {CA_ADDRESS} thất bại: ConnectionRefusedError" in text

        smtp.start()
        sent = mails.filter(status=MailStatus.SENT)
        wait_until(lambda: sent.count() == 2, 60, celery.logs)
        # Two more sweeps (the worker logs each), past a lease: nothing is sent again.
        sweeps = sweeps_run(tmp_path)
        wait_until(lambda: sweeps_run(tmp_path) >= sweeps + 2, 30, celery.logs)
    finally:
        celery.stop_all()
        smtp.stop()

    assert sorted(m["To"] for m in smtp.received) == sorted([CA_ADDRESS, OFFICE_ADDRESS])
    assert {m["Message-ID"] for m in smtp.received} == set(
        mails.values_list("message_id", flat=True)
    )
    for message in smtp.received:
        assert len(list(message.iter_attachments())) == 2
    assert all(mail.status == MailStatus.SENT for mail in exchange_services.letter_mails(letter))
