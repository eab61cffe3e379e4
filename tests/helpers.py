"""Plain helpers of the whole suite (fixtures live in conftest.py, factories in factories.py)."""

import os

import pytest

TEST_CA_PASSPHRASE = "mat-khau-ca-thu-nghiem-dai-du"
TEST_DEVICE_PASSPHRASE = "mat-khau-thiet-bi-thu-nghiem"

# The password every factory-made user has (tests/factories.py UserFactory).
PASSWORD = "mat-khau-thu-nghiem"
# What a form of an action marked `reauth` (requests_app/lifecycle.py) must carry: the user's
# password typed again (agencies/accounts/reauth.py). Demo accounts: agencies.demo.DEMO_PASSWORD.
REAUTH = {"reauth_password": PASSWORD}

REQUIRE_SERVICES = os.environ.get("PORTAL_REQUIRE_SERVICES", "") in {"1", "true", "yes"}


def service_missing(reason: str):
    """Fail under CI, skip on a developer machine without the service."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required service missing: {reason}")
    pytest.skip(reason)


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


def login(client, cast, persona):
    """The test client logged in as a persona of `cast` ("anonymous": not at all)."""
    if persona != "anonymous":
        client.force_login(getattr(cast, persona))
    return client


def is_login_redirect(response) -> bool:
    """A redirect to the login page: a 302, or for an htmx request an HX-Redirect, so that the
    whole page goes there (agencies/accounts/sessions.py)."""
    from django.urls import reverse

    login = reverse("login")
    if response.status_code == 302:
        return response.url.startswith(login)
    return response.status_code == 200 and response.get("HX-Redirect", "").startswith(login)


def answer(response):
    """LOGIN for a redirect to the login page, the status code otherwise."""
    return LOGIN if is_login_redirect(response) else response.status_code


def count_queries(client, url, params=None) -> int:
    """How many queries a GET of `url` runs (it must answer 200)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(queries)


def excel_upload(client, cert_request, file):
    """Upload a file to a letter's Excel import (the preview)."""
    from django.urls import reverse

    return client.post(reverse("requests_app:import", args=[cert_request.pk]), {"file": file})


def excel_confirm(client, cert_request, token):
    """Confirm a previewed Excel import."""
    from django.urls import reverse

    return client.post(
        reverse("requests_app:import_confirm", args=[cert_request.pk]), {"token": token}
    )


def import_report(response) -> dict[int, list[tuple[str, str]]]:
    """The import preview's problems, by Excel line: [(column, message)]."""
    found: dict[int, list[tuple[str, str]]] = {}
    for line, column, message in response.context["problems"]:
        found.setdefault(line, []).append((column, message))
    return found
