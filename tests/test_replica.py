"""Lists read through the replica router (portal/replica.py, docs/deployment.md "Replica"),
against a real PostgreSQL primary and streaming replica of the test's own (tests/pg_pair.py) and
a gunicorn node of the portal using both: another user's list comes from the replica (a write
the replica has not replayed is not on it), the writer's own next page always shows their write,
and a stopped replica leaves the lists to the primary."""

import re
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from portal.replica import REPLICA, ReplicaRouter
from requests_app.choices import FormKind
from requests_app.models import CertRequest
from tests.celery_processes import CeleryProcesses, free_port, wait_ready
from tests.celery_processes import test_database_url as database_url
from tests.helpers import postgresql_only, sign_in
from tests.pg_pair import PgPair, available

LIST = reverse("requests_app:list")
CREATE = reverse("requests_app:create")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """One user's cookies against the node, as a browser keeps them."""

    def __init__(self, base: str, session: str):
        self.base = base
        self.csrf = secrets.token_hex(16)  # a CSRF secret of our own, sent as cookie and field
        self.cookies = {"sessionid": session, "csrftoken": self.csrf}
        self.opener = urllib.request.build_opener(NoRedirect)

    def request(self, path: str, data: dict | None = None):
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": self.csrf}) if data else None
        request = urllib.request.Request(  # noqa: S310 - the test's own node
            self.base + path, data=body.encode() if body else None, method="POST" if data else "GET"
        )
        request.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        try:
            answer = self.opener.open(request, timeout=20)
        except urllib.error.HTTPError as error:  # a redirect, or an error to report
            answer = error
        for header in answer.headers.get_all("Set-Cookie") or []:
            name, value = header.split(";", 1)[0].split("=", 1)
            self.cookies[name] = value
        return answer.status, answer.headers, answer.read().decode()

    def lists(self, pk: int) -> bool:
        status, _headers, page = self.request(LIST)
        assert status == 200, page[:500]
        return f"/van-ban/{pk}/" in page


def test_outside_a_marked_view_or_inside_a_transaction_reads_go_to_the_primary(
    transactional_db,
):
    from django.db import transaction

    from portal import replica

    router = ReplicaRouter()
    assert router.db_for_read(CertRequest) is None
    token = replica._reads_from.set(REPLICA)
    try:
        assert router.db_for_read(CertRequest) == REPLICA
        with transaction.atomic():
            assert router.db_for_read(CertRequest) is None
    finally:
        replica._reads_from.reset(token)
    assert router.db_for_write(CertRequest) is None
    assert not router.allow_migrate(REPLICA, "requests_app")


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_lists_read_the_replica_and_a_users_own_write_is_on_their_next_page(
    cast, tmp_path, own_redis
):
    postgresql_only("a primary and a replica of PostgreSQL")
    if not available():
        pytest.skip("PostgreSQL's server binaries are not installed")
    clerk = sign_in(Client(), cast.clerk_a).cookies["sessionid"].value
    head = sign_in(Client(), cast.head_a).cookies["sessionid"].value
    pair = PgPair()
    processes = None
    try:
        pair.start()
        name = connection.settings_dict["NAME"]
        pair.copy_database(database_url(), name)
        pair.start_replica()
        port = free_port()
        processes = CeleryProcesses(
            own_redis.url,
            tmp_path,
            DATABASE_URL=pair.url(name),
            DATABASE_REPLICA_URL=pair.url(name, replica=True),
            DEBUG="1",  # static files without a collected manifest
        )
        node = processes.web(port)
        base = f"http://127.0.0.1:{port}"
        wait_ready(base + reverse("health_ready"), node)
        writer, reader = Browser(base, clerk), Browser(base, head)
        assert not reader.lists(0)

        pair.sql("SELECT pg_wal_replay_pause()", replica=True)
        status, headers, page = writer.request(
            CREATE, {"form": FormKind.ISSUE_PERSON, "agency": cast.agency_a.pk}
        )
        assert status == 302, page[:2000]
        location = headers["Location"]
        found = re.search(r"/van-ban/(\d+)/", location)
        assert found, location
        pk = int(found.group(1))
        assert "portal_wrote_at" in writer.cookies

        assert writer.lists(pk), "the writer's own next page shows their draft"
        assert not reader.lists(pk), "another user's list comes from the paused replica"

        pair.sql("SELECT pg_wal_replay_resume()", replica=True)
        deadline = time.monotonic() + 10
        while not reader.lists(pk):
            assert time.monotonic() < deadline, "the replica never showed the draft"
            time.sleep(0.2)

        pair.stop_replica()
        assert reader.lists(pk) and writer.lists(pk), "the primary serves without the replica"
    except AssertionError:
        if processes is not None:
            print(processes.logs())
        raise
    finally:
        if processes is not None:
            processes.stop_all()
        pair.stop()
