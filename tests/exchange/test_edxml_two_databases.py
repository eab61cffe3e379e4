"""The round trip between two portals (docs/exchange.md, "Signed status messages"): an agency's
letter exported as edXML, imported by the CA's portal into the CA's own database (another
PostgreSQL database, written by other processes, which never held the letter), verified there
with its PDF byte-identical; the CA returns it, and its signed status messages, carried back
as files, move the sender's letter."""

import io
import json
import shutil
import subprocess
import sys
import uuid

import pytest
import redis
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from exchange import services as exchange_services
from exchange.edxml import messages as m
from requests_app.choices import FormKind, Outcome, Status
from requests_app.models import LetterDocument
from tests import celery_processes as processes
from tests.exchange.edxml_world import ca_registrar, coded, exchange_token
from tests.helpers import postgresql_only, service_missing
from tests.requests_app.letters import letter_at, signing_ready

pytestmark = pytest.mark.django_db(transaction=True)

# The CA's portal queues its own tasks on a Redis database of its own, emptied afterwards.
PEER_REDIS_DB = 15


@pytest.fixture
def peer_database(tmp_path):
    """A second database on the same server, dropped after the test."""
    if connection.vendor != "postgresql":
        postgresql_only("two portals on two PostgreSQL databases")
    for tool in ("pg_dump", "pg_restore"):
        if shutil.which(tool) is None:
            service_missing(f"{tool} is not on PATH")
    name = f"portal_peer_{uuid.uuid4().hex[:8]}"
    server = processes.test_database_url().rsplit("/", 1)[0]
    subprocess.run(["psql", f"{server}/postgres", "-Xqc", f"CREATE DATABASE {name}"], check=True)
    yield f"{server}/{name}"
    subprocess.run(
        ["psql", f"{server}/postgres", "-Xqc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"],
        check=True,
    )


def copy_into(url: str) -> None:
    """The CA's own database: what it holds of its own (the organisations and their codes,
    the people and accounts, the CA, its register of certificates) as this database holds it
    now, before the letter exists."""
    dump = subprocess.run(
        ["pg_dump", "-Fc", "--no-owner", processes.test_database_url()],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        ["pg_restore", "--no-owner", "-d", url], input=dump.stdout, check=True, capture_output=True
    )


def test_a_letter_travels_to_the_cas_database_and_its_signed_return_moves_it_back(
    cast, ca, tmp_path, peer_database
):
    with coded(cast):
        signing_ready(cast)
        _certificate, signing = exchange_token(cast.ca_org)
        ca_registrar(cast)
        copy_into(peer_database)

        letter = letter_at(cast, Status.PROVINCE_REVIEW, FormKind.ISSUE_ORGANIZATION, rows=2)
        sha = LetterDocument.objects.signed_for(letter).get().sha256
        package = tmp_path / "package.xml"
        package.write_bytes(exchange_services.letter_edxml_export(cert_request=letter))
        m.read_letter(package.read_bytes())  # valid against the schema

        broker = (
            settings.REDIS_URL.rsplit("/", 1)[0] + f"/{PEER_REDIS_DB}" if settings.REDIS_URL else ""
        )
        ca_portal = processes.CeleryProcesses(
            broker, tmp_path, DATABASE_URL=peer_database, **signing
        )

        def run(*args):
            return subprocess.run(
                [sys.executable, *args], cwd=processes.ROOT, env=ca_portal.env, capture_output=True,
                text=True, timeout=120,
            )  # fmt: skip

        try:
            received = run("manage.py", "edxml_import", str(package), "--as", "ca_registrar")
            assert received.returncode == 0, received.stderr
            answer = run("-m", "tests.exchange.edxml_peer", str(tmp_path), "Thiếu mã số thuế")
            assert answer.returncode == 0, answer.stderr
        finally:
            if broker:
                redis.Redis.from_url(broker).flushdb()
        ca_side = json.loads(answer.stdout.strip().splitlines()[-1])
        # the CA's database made its one letter from the package alone
        assert ca_side["letters"] == 1
        assert (ca_side["number"], ca_side["sha256"], ca_side["verified"]) == (
            letter.number,
            sha,
            True,
        )
        assert ca_side["status"] == Status.DRAFT
        assert ca_side["statuses"] == [m.RECEIVED, m.RETURNED]
        assert ca_side["signed"] == [True, True]

        call_command(
            "edxml_import",
            str(tmp_path / "status-01.xml"),
            str(tmp_path / "status-02.xml"),
            "--as",
            "clerk_a",
            "--status",
            stdout=io.StringIO(),
        )

        letter.refresh_from_db()
        assert letter.status == Status.DRAFT
        assert letter.transitions.latest("pk").action == "exchange_return"
        assert set(letter.rows.values_list("outcome", "is_open")) == {(Outcome.PENDING, True)}
        statuses = letter.edxml_messages.filter(direction="received").order_by("pk")
        assert [(s.status_code, s.parties["authenticated"]) for s in statuses] == [
            (m.RECEIVED, True),
            (m.RETURNED, True),
        ]
