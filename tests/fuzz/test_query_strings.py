"""Every list page and API list, driven with generated query strings: never a server error."""

import contextlib
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.strategies import JUNK, fuzz_settings
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db

# Pages that are not lists (or that log out, switch language, serve the CA's binary files).
SKIP = {"logout", "set_language", "api-schema", "crl", "crl_pem", "chain", "ocsp", "login"}
FILTER_KEYS = [
    "q",
    "status",
    "form",
    "agency",
    "kind",
    "province",
    "page",
    "per_page",
    "ordering",
    "sort",
    "created_after",
    "created_before",
    "due_before",
    "overdue",
    "xuat",
    "format",
    "limit",
    "offset",
    "serial",
    "holder",
    "outcome",
]


def _list_urls() -> list[str]:
    """Every named URL without arguments (the lists, the dashboard, the API lists)."""
    found = []

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if "admin" in str(pattern.pattern) or "quan-tri" in str(pattern.pattern):
                    continue
                namespace = pattern.namespace
                walk(pattern.url_patterns, f"{prefix}{namespace}:" if namespace else prefix)
            elif isinstance(pattern, URLPattern) and pattern.name and pattern.name not in SKIP:
                with contextlib.suppress(NoReverseMatch):  # it needs arguments
                    found.append(reverse(prefix + pattern.name))

    walk(get_resolver().url_patterns)
    return sorted(set(found))


LIST_URLS = _list_urls()
PERSONAS = ["clerk_a", "officer_1", "ca_operator", "admin"]
QUERY = st.dictionaries(st.one_of(st.sampled_from(FILTER_KEYS), JUNK), JUNK, max_size=4)


def test_the_suite_reaches_every_list():
    for url in ("/van-ban/", "/thiet-bi/", "/chung-thu/", "/api/v1/van-ban/", "/api/v1/thiet-bi/"):
        assert url in LIST_URLS


@pytest.fixture
def callers(cast):
    """A signed-in client per persona, made once for all the examples of the test."""
    return {persona: sign_in(Client(), getattr(cast, persona)) for persona in PERSONAS}


@fuzz_settings(2600)
@given(
    url=st.sampled_from(LIST_URLS),
    persona=st.sampled_from(PERSONAS),
    query=QUERY,
)
def test_no_query_string_is_a_server_error(callers, url, persona, query):
    response = callers[persona].get(url + "?" + urlencode(query, doseq=False))
    assert response.status_code < 500, (url, query)


@pytest.mark.parametrize(
    "raw",
    ["q=a%00b", "q=%00", "%00=1", "q=" + "x" * 5000, "q=%FF%FE", "&".join(["a=1"] * 150)],
    ids=["nul", "only-nul", "nul-key", "oversized", "bad-utf8", "too-many"],
)
@pytest.mark.parametrize("url", ["/van-ban/", "/thiet-bi/", "/api/v1/thiet-bi/"])
def test_a_nul_or_oversized_query_is_a_vietnamese_400(client, cast, url, raw):
    sign_in(client, cast.ca_operator)
    response = client.get(url, QUERY_STRING=raw)
    assert response.status_code == 400
    assert "Yêu cầu không hợp lệ" in response.content.decode()


def test_an_ordinary_query_passes(client, cast):
    sign_in(client, cast.ca_operator)
    assert client.get("/thiet-bi/", {"q": "Lò Thị Mai", "page": "1"}).status_code == 200
