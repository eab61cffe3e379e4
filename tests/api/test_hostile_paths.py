"""A NUL byte (`%00`) anywhere in an API path is a 4xx under every API route, whether the caller
uses a token (whose every use is audited with the path) or a session, and the audit trail keeps
its text safe for PostgreSQL (no NUL, no lone surrogate)."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from portal.audit import audit_record
from portal.models import AuditEvent
from tests.api.calls import api_as
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db


def _api_urls() -> list[str]:
    """One URL per API route (every router's list and detail, every action, the schema and the
    docs), the arguments filled with `1`."""
    found = []

    def walk(patterns, prefix, route):
        for pattern in patterns:
            here = route + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                namespace = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
                walk(pattern.url_patterns, namespace, here)
            elif isinstance(pattern, URLPattern) and pattern.name and "api" in here[:6]:
                regex = pattern.pattern.regex
                kwargs = {name: _example(regex.pattern, name) for name in regex.groupindex}
                kwargs.pop("format", None)
                found.append(reverse(prefix + pattern.name, kwargs=kwargs))

    walk(get_resolver().url_patterns, "", "")
    return sorted(set(found))


def _example(regex: str, name: str) -> str:
    """`1`, or the first word of a group that lists its words (an action's verb)."""
    group = re.search(rf"\(\?P<{name}>([^)]*)\)", regex)
    choices = group.group(1).split("|") if group else []
    return choices[0] if choices and re.fullmatch(r"[-\w]+", choices[0]) else "1"


API_URLS = _api_urls()


def _with_nul(url: str) -> list[str]:
    """`%00` at the end, inside the last segment, and in place of each segment after /api/."""
    segments = url.strip("/").split("/")
    variants = {url + "%00", url.rstrip("/") + "%00/"}
    for i in range(1, len(segments)):
        spoiled = list(segments)
        spoiled[i] = "%00"
        variants.add("/" + "/".join(spoiled) + "/")
    return sorted(variants)


def test_the_list_of_api_urls_covers_every_router():
    prefixes = {"/api/v1/" + part for part in ("chung-thu", "thiet-bi", "van-ban", "sap-nhap")}
    prefixes |= {"/api/v1/han-xu-ly", "/api/v1/thong-bao", "/api/schema/", "/api/tai-lieu/"}
    for prefix in prefixes:
        assert any(url.startswith(prefix) for url in API_URLS), prefix
    assert len(API_URLS) > 20  # actions included, not only the lists


@pytest.mark.parametrize("url", API_URLS)
def test_a_nul_byte_anywhere_in_an_api_path_is_a_4xx_with_a_token(cast, url):
    client = api_as(cast.ca_operator)
    for spoiled in _with_nul(url):
        for method in ("get", "post"):
            response = getattr(client, method)(spoiled)
            assert 400 <= response.status_code < 500, (method, spoiled, response.status_code)


def test_a_nul_byte_in_an_api_path_is_a_vietnamese_problem(cast):
    response = api_as(cast.clerk_a).get("/api/v1/van-ban/%00/")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert "ký tự NUL" in response.json()["detail"]


def test_a_nul_byte_in_an_api_path_is_a_4xx_with_a_session(client, cast):
    sign_in(client, cast.clerk_a)
    for url in ("/api/v1/van-ban/%00/", "/api/v1/thiet-bi/1%00/", "/api/schema/%00"):
        assert 400 <= client.get(url).status_code < 500, url
    assert 400 <= APIClient().get("/api/v1/van-ban/%00/").status_code < 500


def test_the_audit_trail_stores_nul_and_lone_surrogates_safely(cast):
    hostile = "a\x00b\ud800c"
    event = audit_record(
        actor=cast.clerk_a,
        action="test.hostile",
        before={"path": hostile, "nested": [hostile, {"k\x00": hostile}]},
        after={"path": hostile},
        reason=hostile,
    )
    stored = AuditEvent.objects.get(pk=event.pk)
    for text in (stored.reason, stored.after["path"], stored.before["nested"][0]):
        assert "\x00" not in text
        assert "\ud800" not in text
        assert text.startswith("a") and text.endswith("c")
    assert list(stored.before["nested"][1]) == ["k"]
