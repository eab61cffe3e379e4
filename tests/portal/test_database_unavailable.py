"""PostgreSQL stops answering: every page is a Vietnamese 503 with Retry-After, every API call a
503 problem, and the health endpoints answer as they always do (portal/error_views.py,
docs/operations.md §5).

The outage is real: a gunicorn node of the portal reaches the test database through a relay
(tests/tcp_proxy.py) that the test stops, so that a connection is refused, as when PostgreSQL
or PgBouncer is down, and then starts again."""

import json
import urllib.error
import urllib.request

import pytest
from django.db import OperationalError, connection, transaction
from django.urls import reverse

from portal.error_views import RETRY_AFTER_SECONDS, database_unavailable
from tests.celery_processes import CeleryProcesses, free_port, wait_until
from tests.helpers import postgresql_only
from tests.tcp_proxy import TcpProxy

# A session key of the shape Django makes: reading it asks the database.
SESSION = "sessionid=" + "a1b2c3d4" * 4


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is the answer looked at


_OPENER = urllib.request.build_opener(_NoRedirect)


def fetch(url: str, **headers) -> tuple[int, dict, str]:
    """Status, headers and body of a GET to the web node, redirects not followed."""
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - loopback
    try:
        with _OPENER.open(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def answers(url: str) -> bool:
    try:
        return fetch(url)[0] == 200
    except (urllib.error.URLError, ConnectionError):
        return False


@pytest.mark.services
@pytest.mark.django_db
def test_a_stopped_database_is_a_503_page_and_problem_with_retry_after(tmp_path, own_redis):
    postgresql_only("a web node on the test database")
    port = connection.settings_dict["PORT"] or 5432
    database = TcpProxy(int(port))
    database.start()
    processes = CeleryProcesses(own_redis.url, tmp_path)
    processes.env["DATABASE_URL"] = processes.env["DATABASE_URL"].replace(
        f":{port}/", f":{database.port}/"
    )
    web_port = free_port()
    base = f"http://127.0.0.1:{web_port}"
    try:
        node = processes.web(web_port)
        wait_until(lambda: node.poll() is None and answers(base + reverse("health_ready")), 60)
        # With the database there, the same requests are ordinary answers.
        assert fetch(base + "/van-ban/", Cookie=SESSION)[0] == 302  # to the sign-in page
        assert fetch(base + "/api/v1/van-ban/", Authorization="Bearer cap_x_y")[0] == 401

        database.stop()

        status, headers, page = fetch(base + "/van-ban/", Cookie=SESSION)
        assert status == 503, page
        assert headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
        assert headers["Content-Type"].startswith("text/html")
        assert "no-store" in headers["Cache-Control"]
        assert "Hệ thống tạm thời gián đoạn" in page
        assert "không có gì bị thay đổi" in page
        assert f"Hãy thử lại sau {RETRY_AFTER_SECONDS} giây." in page
        assert 'class="site-header"' in page and 'href="/van-ban/"' in page  # the look, a retry
        assert "Traceback" not in page and "OperationalError" not in page
        assert str(database.port) not in page  # no host or port told

        # In English for whoever chose English (the language cookie, no database needed).
        status, headers, page = fetch(base + "/", Cookie=f"{SESSION}; django_language=en")
        assert status == 503
        assert "The system is temporarily unavailable" in page
        assert '<html lang="en">' in page

        status, headers, body = fetch(
            base + "/api/v1/van-ban/", Authorization="Bearer cap_x_y", Accept="application/json"
        )
        assert status == 503, body
        assert headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
        assert headers["Content-Type"] == "application/problem+json"
        problem = json.loads(body)
        assert problem["status"] == 503
        assert problem["code"] == "database_unavailable"
        assert problem["title"] == "Dịch vụ tạm thời gián đoạn"
        assert problem["detail"].startswith("Cơ sở dữ liệu tạm thời không trả lời")
        assert str(database.port) not in body

        # The health endpoints keep their own answers: alive, and not ready with the check named.
        status, headers, body = fetch(base + reverse("health_live"))
        assert (status, json.loads(body)["status"]) == (200, "ok")
        status, headers, body = fetch(base + reverse("health_ready"))
        assert status == 503 and "Retry-After" not in headers
        assert json.loads(body)["checks"]["database"] == "unavailable"

        database.start()
        wait_until(lambda: answers(base + reverse("health_ready")), 30)
        assert fetch(base + "/van-ban/", Cookie=SESSION)[0] == 302
    except AssertionError:
        print(processes.logs())
        raise
    finally:
        processes.stop_all()
        database.stop()


def _error_of(run) -> Exception:
    try:
        run()
    except Exception as exc:  # noqa: BLE001 - the error is what the test looks at
        return exc
    raise AssertionError("no error")


@pytest.mark.django_db
def test_a_refused_connection_is_unavailable_but_a_statement_timeout_is_not():
    """The boundary of the 503: the server not there (a connection refused on a port nobody
    listens on) against a query the server stopped (statement_timeout), which stays a 500."""
    postgresql_only("PostgreSQL's errors")
    closed = connection.copy()
    closed.settings_dict = {**connection.settings_dict, "PORT": str(free_port())}
    refused = _error_of(closed.ensure_connection)
    assert database_unavailable(refused)

    def slow_query():
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = 10")
            cursor.execute("SELECT pg_sleep(1)")

    timed_out = _error_of(slow_query)
    assert isinstance(timed_out, OperationalError)
    assert not database_unavailable(timed_out)
    assert not database_unavailable(ValueError("not the database's"))
