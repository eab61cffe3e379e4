"""Liveness and readiness (config/health.py) and the heartbeats of workers and beat
(config/heartbeats.py, `manage.py heartbeat_check`): docs/deployment.md, "Health".

The outages are real: a gunicorn node of the portal reaches PostgreSQL through a relay the test
stops or turns into a black hole, a Redis server of the test's own that it stops, and a media
directory it takes away; the workers and beat are `celery` processes that it kills."""

import asyncio
import shutil

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings
from django.urls import reverse

from portal.models import ProcessHeartbeat
from tests.celery_processes import CeleryProcesses, free_port, http_get, wait_ready, wait_until
from tests.helpers import postgresql_only
from tests.s3_server import S3Server
from tests.tcp_proxy import TcpProxy

# What readiness must do when a service stops (docs/deployment.md, "Health").
FAILS_WITHIN_SECONDS = 5
READY_CHECKS = {"database", "storage", "pkcs11", "migrations", "broker"}


def test_liveness_answers_anyone_without_a_query(client):
    # No django_db mark: pytest-django raises on any query, so a query would fail the test.
    response = client.get(reverse("health_live"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {}}
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_readiness_answers_ok_with_each_check_named_and_nothing_more(client, settings):
    response = client.get(reverse("health_ready"))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    # The broker is asked when it is Redis (the run's REDIS_URL), not the file system's.
    expected = READY_CHECKS if settings.REDIS_URL else READY_CHECKS - {"broker"}
    assert set(body["checks"]) == expected
    assert set(body["checks"].values()) == {"ok"}
    assert "127.0.0.1" not in response.content.decode()  # no host or port told


@pytest.mark.django_db
@override_settings(SECURE_SSL_REDIRECT=True)
def test_health_is_answered_over_plain_http_where_pages_are_redirected(client):
    assert client.get(reverse("login")).status_code == 301
    assert client.get(reverse("health_live")).status_code == 200
    assert client.get(reverse("health_ready")).status_code in (200, 503)  # not 301


def assert_fails_fast(url: str, check: str) -> None:
    status, body, took = http_get(url)
    assert status == 503, body
    assert body["checks"][check] == "unavailable", body
    assert took <= FAILS_WITHIN_SECONDS, f"{check}: readiness took {took:.1f} s"


@pytest.mark.services
@pytest.mark.django_db
def test_readiness_fails_within_5_s_when_the_database_broker_or_storage_stops(tmp_path, own_redis):
    postgresql_only("a web node on the test database")
    redis = own_redis
    database = TcpProxy(int(connection.settings_dict["PORT"] or 5432))
    database.start()
    media = tmp_path / "media"
    media.mkdir()
    port = free_port()
    processes = CeleryProcesses(redis.url, tmp_path, MEDIA_ROOT=media)
    processes.env["DATABASE_URL"] = processes.env["DATABASE_URL"].replace(
        f":{connection.settings_dict['PORT'] or 5432}/", f":{database.port}/"
    )
    ready = f"http://127.0.0.1:{port}{reverse('health_ready')}"
    try:
        node = processes.web(port)
        wait_ready(ready, node)
        status, body, _ = http_get(ready)
        assert (status, set(body["checks"])) == (200, READY_CHECKS)

        database.stop()
        assert_fails_fast(ready, "database")
        database.start()
        assert http_get(ready)[0] == 200

        database.black_hole = True  # accepts, never answers: a hung server
        assert_fails_fast(ready, "database")
        database.black_hole = False
        assert http_get(ready)[0] == 200

        redis.stop()
        assert_fails_fast(ready, "broker")
        redis.start()
        assert http_get(ready)[0] == 200

        shutil.rmtree(media)
        media.write_text("not a directory")  # the volume is gone
        assert_fails_fast(ready, "storage")
        media.unlink()
        media.mkdir()
        assert http_get(ready)[0] == 200
    except AssertionError:
        print(processes.logs())
        raise
    finally:
        processes.stop_all()
        database.stop()


@pytest.mark.services
@pytest.mark.django_db
def test_readiness_fails_within_5_s_when_the_object_store_stops(tmp_path, own_redis):
    postgresql_only("a web node on the test database")
    store = S3Server(tmp_path)
    store.start()
    port = free_port()
    processes = CeleryProcesses(own_redis.url, tmp_path, **store.env())
    ready = f"http://127.0.0.1:{port}{reverse('health_ready')}"
    try:
        node = processes.web(port)
        wait_ready(ready, node)

        store.stop()
        assert_fails_fast(ready, "storage")
        store.start()
        assert http_get(ready)[0] == 200
    except AssertionError:
        print(processes.logs())
        raise
    finally:
        processes.stop_all()
        store.stop()


def heartbeat_check(kind: str, within: int) -> bool:
    try:
        call_command("heartbeat_check", kind, "--within", str(within))
    except CommandError:
        return False
    return True


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_killed_worker_or_beat_stops_passing_the_heartbeat_check(tmp_path, own_redis):
    postgresql_only("worker and beat processes on the test database")
    processes = CeleryProcesses(own_redis.url, tmp_path, PORTAL_HEARTBEAT_SECONDS=1)
    try:
        assert not heartbeat_check("worker", 3)
        worker, beat = processes.worker(), processes.beat()
        wait_until(lambda: heartbeat_check("worker", 3), 30, processes.logs)
        wait_until(lambda: heartbeat_check("beat", 3), 30, processes.logs)
        first = ProcessHeartbeat.objects.get(kind=ProcessHeartbeat.Kind.WORKER).seen_at
        wait_until(
            lambda: ProcessHeartbeat.objects.get(kind=ProcessHeartbeat.Kind.WORKER).seen_at > first,
            5,
            "the worker beat once, not every second",
        )

        processes.kill(worker)
        wait_until(lambda: not heartbeat_check("worker", 3), 10)
        assert heartbeat_check("beat", 3)
        processes.kill(beat)
        wait_until(lambda: not heartbeat_check("beat", 3), 10)
        assert ProcessHeartbeat.objects.count() == 2  # one row per process, updated in place
    finally:
        processes.stop_all()


@pytest.mark.django_db
def test_readiness_answers_in_a_thread_that_runs_an_event_loop(client):
    """As in a process where a browser test ran: Playwright leaves its loop running."""

    async def from_inside_a_loop():
        return client.get(reverse("health_ready"))

    try:
        asyncio.get_running_loop()  # a browser test ran in this process: its loop runs already
        response = client.get(reverse("health_ready"))
    except RuntimeError:
        response = asyncio.run(from_inside_a_loop())
    assert response.status_code == 200, response.content
