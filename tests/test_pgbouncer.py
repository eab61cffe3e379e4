"""The portal behind PgBouncer in transaction mode (docs/deployment.md, "PgBouncer"): a worker
processes a letter and builds an export, and a web node answers readiness, all connected through
a PgBouncer of the test's own with DATABASE_POOLER=pgbouncer, exactly as a deployment sets it.
PgBouncer refuses the startup option the portal sets without a pooler (JIT off), so the test fails
without DATABASE_POOLER. Server-side cursors, which a busier pool would hand to another client's
server connection, are off, as Django's documentation asks of transaction pooling."""

from pathlib import Path

import pytest
from django.db import connection
from django.urls import reverse

from config.database import databases_from_env
from devices.choices import DeviceStatus
from portal.models import ExportJob
from requests_app import services
from requests_app.choices import Outcome, Status
from tests import factories as f
from tests.celery_processes import (
    CeleryProcesses,
    free_port,
    http_get,
    producing_to,
    wait_ready,
    wait_until,
)
from tests.helpers import postgresql_only, service_missing, sign_in
from tests.pgbouncer import PgBouncer
from tests.requests_app.letters import letter_at

# More rows than psycopg's automatic preparation threshold (a statement run 5 times).
ROWS = 12


@pytest.fixture
def pgbouncer():
    postgresql_only("PgBouncer in front of PostgreSQL")
    db = connection.settings_dict
    bouncer = PgBouncer(db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432), db["USER"])
    if bouncer.exe is None:
        service_missing("pgbouncer (Debian package pgbouncer)")
    bouncer.start()
    yield bouncer
    bouncer.stop()


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("ca")
def test_a_letter_an_export_and_readiness_go_through_pgbouncer(
    cast, client, settings, tmp_path, own_redis, pgbouncer
):
    letter = letter_at(cast, Status.FORWARDED, rows=ROWS, accepted=True)
    for n in range(3):
        f.DeviceFactory(agency=cast.agency_a, serial=f"VT00000PB{n}")
    settings.PORTAL_EXPORT_INLINE_MAX_ROWS = 1  # the list export goes to the worker
    processes = CeleryProcesses(
        own_redis.url, tmp_path, DATABASE_POOLER="pgbouncer", PORTAL_PROCESSING_CHUNK_SIZE=4
    )
    processes.env["DATABASE_URL"] = pgbouncer.url(connection.settings_dict["NAME"])
    port = free_port()
    ready = f"http://127.0.0.1:{port}{reverse('health_ready')}"
    try:
        processes.worker(pool="prefork")
        node = processes.web(port)
        sign_in(client, cast.clerk_a)
        with producing_to(own_redis.url):
            services.cert_request_process(cert_request=letter, by=cast.ca_operator)
            assert client.get(reverse("devices:list"), {"xuat": "xlsx"}).status_code == 302
        job = ExportJob.objects.get()

        def finished():
            letter.refresh_from_db()
            job.refresh_from_db()
            return letter.status == Status.DONE and job.status == ExportJob.Status.READY

        wait_until(finished, 90, processes.logs)
        wait_ready(ready, node)
        status, body, _ = http_get(ready)
        assert status == 200, body
    except AssertionError:
        print(pgbouncer.log())
        raise
    finally:
        processes.stop_all()

    rows = list(letter.rows.select_related("result_certificate", "result_device"))
    assert {row.outcome for row in rows} == {Outcome.DONE}
    assert len({row.result_certificate_id for row in rows}) == ROWS
    assert {row.result_device.status for row in rows} == {DeviceStatus.DELIVERED_TO_AGENCY}
    # agency A's devices, read without a server-side cursor
    assert job.rows_done == job.rows_total >= 3


def test_behind_pgbouncer_the_settings_drop_server_side_cursors_and_startup_options(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://portal@pgbouncer:6432/portal")
    direct = databases_from_env(Path("/nonexistent"))["default"]
    monkeypatch.setenv("DATABASE_POOLER", "pgbouncer")
    pooled = databases_from_env(Path("/nonexistent"))["default"]
    assert (direct["DISABLE_SERVER_SIDE_CURSORS"], pooled["DISABLE_SERVER_SIDE_CURSORS"]) == (
        False,
        True,
    )
    assert direct["OPTIONS"]["options"] == "-c jit=off"
    assert "options" not in pooled["OPTIONS"]
