"""Security headers on the portal's pages: a Content-Security-Policy with no inline script or
style (config/settings.py), Referrer-Policy, Permissions-Policy, nosniff, COOP, X-Frame-Options
and HSTS; and a scan of every template so that inline code cannot come back unnoticed (the
browser side is tests/browser/test_csp.py)."""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests import factories as f
from tests.helpers import login, sign_in

pytestmark = pytest.mark.django_db

TEMPLATE_DIRS = [Path(d) for d in settings.TEMPLATES[0]["DIRS"]]


@pytest.fixture
def pages(cast):
    """A representative page of each kind: (persona, URL)."""
    letter = f.letter_draft(cast)
    device = f.DeviceFactory(agency=cast.agency_a)
    return {
        "login": ("anonymous", reverse("login")),
        "dashboard": ("clerk_a", reverse("dashboard")),
        "letters": ("clerk_a", reverse("requests_app:list")),
        "letter": ("clerk_a", reverse("requests_app:detail", args=[letter.pk])),
        "letter editor": ("clerk_a", reverse("requests_app:edit", args=[letter.pk])),
        "province inbox": ("officer_1", reverse("requests_app:province_inbox")),
        "certificates": ("clerk_a", reverse("certificates:list")),
        "devices": ("clerk_a", reverse("devices:list")),
        "device": ("clerk_a", reverse("devices:detail", args=[device.pk])),
        "notifications": ("clerk_a", reverse("portal:notifications")),
        "admin index": ("admin", reverse("admin:index")),
        "admin user list": ("admin", reverse("admin:auth_user_changelist")),
    }


PAGE_NAMES = [
    "login",
    "dashboard",
    "letters",
    "letter",
    "letter editor",
    "province inbox",
    "certificates",
    "devices",
    "device",
    "notifications",
    "admin index",
    "admin user list",
]


def get_page(client, cast, pages, name):
    persona, url = pages[name]
    response = login(client, cast, persona).get(url)
    assert response.status_code == 200, (name, response.status_code)
    return response


def directives(header: str) -> dict[str, list[str]]:
    policy = {}
    for part in header.split(";"):
        name, *values = part.split()
        policy[name] = values
    return policy


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_every_page_carries_a_csp_whose_scripts_and_styles_come_from_the_site_only(
    client, cast, pages, name
):
    response = get_page(client, cast, pages, name)

    policy = directives(response["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]


def test_the_csp_allows_nothing_else_from_elsewhere(client):
    response = client.get(reverse("login"))

    assert directives(response["Content-Security-Policy"]) == {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        # and the signing client on the official's own computer (PORTAL_SIGNING_CLIENT_URL)
        "connect-src": ["'self'", "http://127.0.0.1:10555"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_every_page_sends_the_other_security_headers(client, cast, pages, name):
    response = get_page(client, cast, pages, name)

    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    features = set(response["Permissions-Policy"].split(", "))
    for feature in ("camera", "microphone", "geolocation", "payment", "usb", "serial", "hid"):
        assert f"{feature}=()" in features


def test_htmx_fragments_carry_the_same_headers(client, cast):
    sign_in(client, cast.clerk_a)

    response = client.get(
        reverse("requests_app:list"), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="ket-qua"
    )

    assert response.status_code == 200
    assert "<html" not in response.content.decode()  # the fragment, not the page
    assert directives(response["Content-Security-Policy"])["script-src"] == ["'self'"]
    assert response["Permissions-Policy"]


def test_https_answers_carry_hsts_for_a_year_with_subdomains_and_preload(client):
    response = client.get(reverse("login"), secure=True)

    assert response["Strict-Transport-Security"] == ("max-age=31536000; includeSubDomains; preload")


def test_the_page_configures_htmx_to_inject_no_style_and_evaluate_nothing(client):
    html = client.get(reverse("login")).content.decode()

    meta = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", html)
    config = json.loads(meta.group(1))
    assert config["includeIndicatorStyles"] is False
    assert config["allowEval"] is False
    assert config["allowScriptTags"] is False
    assert config["selfRequestsOnly"] is True


# --- the template scan -----------------------------------------------------------------------
# Django template syntax is removed first (comments, tags, variables), so `{% if action.style %}`
# is not a style attribute; what remains is the HTML the browser would get, give or take values.
DJANGO_SYNTAX = re.compile(
    r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}|{#.*?#}|{%.*?%}|{{.*?}}", re.DOTALL
)
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(
    r"<[a-z][^>]*?\s(on[a-z]+|hx-on[:\-][\w:\-.]*)\s*=|javascript:", re.IGNORECASE
)
INLINE_STYLE = re.compile(r"<style\b|<[a-z][^>]*?\sstyle\s*=", re.IGNORECASE)


def template_files() -> list[Path]:
    files = sorted(p for d in TEMPLATE_DIRS for p in d.rglob("*.html"))
    assert len(files) > 50  # the scan reads the real templates
    return files


def offending(pattern: re.Pattern) -> list[str]:
    found = []
    for path in template_files():
        html = DJANGO_SYNTAX.sub("", path.read_text(encoding="utf-8"))
        found += [f"{path.name}: {m.group(0)[:80]}" for m in pattern.finditer(html)]
    return found


def test_the_scan_recognises_each_kind_of_inline_code():
    assert INLINE_SCRIPT.search("<script>alert(1)</script>")
    assert not INLINE_SCRIPT.search('<script src="/static/js/portal.js" defer></script>')
    assert EVENT_HANDLER.search('<input type="checkbox" onclick="go()">')
    assert EVENT_HANDLER.search('<form hx-on::before-request="go()">')
    assert EVENT_HANDLER.search('<a href="javascript:go()">')
    assert not EVENT_HANDLER.search('<form data-confirm="Hủy?">')
    assert INLINE_STYLE.search('<div style="width: 5%">')
    assert INLINE_STYLE.search("<style>.a { color: red }</style>")
    assert not INLINE_STYLE.search(DJANGO_SYNTAX.sub("", "{% if action.style == 'x' %}"))


def test_no_template_has_an_inline_script():
    assert offending(INLINE_SCRIPT) == []


def test_no_template_has_an_inline_event_handler():
    assert offending(EVENT_HANDLER) == []


def test_no_template_has_a_style_attribute_or_element():
    assert offending(INLINE_STYLE) == []
