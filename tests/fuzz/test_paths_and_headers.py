"""Every route, HTML and API, driven with generated paths (NUL and control characters, overlong
segments, unicode, broken and double percent-encodings, huge numbers, dot segments) and
generated request headers (Authorization, Accept-Language, Host, X-Forwarded-For, Content-Type,
If-*, cookies, htmx, request ids), by anonymous callers, signed-in personas and API tokens:
never a server error."""

import re
from urllib.parse import quote

import pytest
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import given
from hypothesis import strategies as st

from tests.api.calls import token_for
from tests.fuzz.strategies import NASTY, TEXT, fuzz_settings
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db

# Routes that end the session or switch the language of the shared clients.
SKIP = {"logout", "sign_out_everywhere", "set_language"}
PERSONAS = ["anonymous", "clerk_a", "officer_1", "ca_operator", "admin", "token"]
_GROUP = re.compile(r"\(\?P<\w+>[^)]*\)")
_CONVERTER = re.compile(r"<(?:\w+:)?\w+>")


def _templates() -> list[str]:
    """Every route as a path with `{}` for each argument: `/van-ban/{}/sua/`."""
    found = set()

    def walk(patterns, prefix):
        for pattern in patterns:
            text = str(pattern.pattern)
            if "(?P<format>" in text:
                continue  # the format-suffix twin of a router route
            text = _CONVERTER.sub("{}", _GROUP.sub("{}", text.lstrip("^").rstrip("$")))
            text = text.replace("\\", "")
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + text)
            elif (
                isinstance(pattern, URLPattern)
                and pattern.name not in SKIP
                and not re.search(r"[()?*+|\[]", text)  # a regular expression left
            ):
                found.add("/" + prefix + text)

    walk(get_resolver().url_patterns, "")
    return sorted(found)


TEMPLATES = _templates()

# Already percent-encoded: inserted as they are.
ENCODED = [
    "%00",
    "a%00b",
    "%0d%0aSet-Cookie:%20x=1",
    "%ff%fe",
    "%c0%af",
    "%ed%a0%80",  # a UTF-8-encoded lone surrogate
    "%e2%80%ae",  # right-to-left override
    "%",
    "%%",
    "%zz",
    "%25",
    "%2525",
    "%2f",
    "..%2f..%2fetc%2fpasswd",
    "..",
    ".",
    "",
    "//",
    ";jsessionid=1",
    "%3Cscript%3E",
    "x" * 3000,
    "9" * 40,
    "-1",
    "0",
    "1e999",
    "NaN",
    "%EF%BF%BF",
    "%F4%90%80%80",  # past U+10FFFF
]
CONTROL = st.text(alphabet=st.characters(max_codepoint=0x1F), min_size=1, max_size=5)
SEGMENT = st.one_of(
    st.just("1"),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from(ENCODED),
    st.sampled_from(NASTY).map(lambda s: quote(s, safe="")),
    TEXT.map(lambda s: quote(s, safe="")),
    CONTROL.map(lambda s: quote(s, safe="")),
    st.text(max_size=20).map(lambda s: quote(s, safe="", errors="surrogatepass")),
)


@st.composite
def paths(draw):
    """A route with its arguments filled, sometimes spoiled further: a segment inserted, the
    tail replaced, the trailing slash dropped."""
    template = draw(st.sampled_from(TEMPLATES))
    path = template.format(*[draw(SEGMENT) for _ in range(template.count("{}"))])
    twist = draw(st.integers(min_value=0, max_value=4))
    if twist == 1:
        path += draw(SEGMENT)
    elif twist == 2:
        path = path.rstrip("/") + "/" + draw(SEGMENT) + "/"
    elif twist == 3:
        head, _sep, _tail = path.rstrip("/").rpartition("/")
        path = head + "/" + draw(SEGMENT)
    return path if path.startswith("/") else "/" + path


@pytest.fixture
def callers(cast):
    """A client per persona, made once for all the examples of a test: signed in, or carrying
    a personal API token (the clerk's), or anonymous. CSRF is enforced, as in a browser."""
    made = {}
    for persona in PERSONAS:
        client = Client(enforce_csrf_checks=True)
        if persona == "token":
            client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token_for(cast.clerk_a)}"
        elif persona != "anonymous":
            sign_in(client, getattr(cast, persona))
        made[persona] = client
    return made


def test_the_suite_reaches_every_kind_of_route():
    for template in ("/van-ban/{}/", "/api/v1/van-ban/{}/", "/api/v1/thiet-bi/{}/bao-mat/"):
        assert template in TEMPLATES, template
    assert any(t.startswith("/quan-tri/") for t in TEMPLATES)
    assert len(TEMPLATES) > 100


@fuzz_settings(2200)
@given(
    path=paths(),
    persona=st.sampled_from(PERSONAS),
    method=st.sampled_from(["get", "get", "head", "post", "options"]),
)
def test_no_path_is_a_server_error(callers, path, persona, method):
    response = getattr(callers[persona], method)(path)
    assert response.status_code < 500, (method, path, persona, response.status_code)


def _latin1(text: str) -> str:
    """What a WSGI server hands Django for a header sent as UTF-8: its bytes read as Latin-1."""
    return text.encode("utf-8", "surrogatepass").decode("latin-1")


HEADER_TEXT = st.one_of(st.sampled_from(NASTY), TEXT, CONTROL).map(_latin1)
HEADERS = {
    "HTTP_AUTHORIZATION": st.one_of(
        HEADER_TEXT,
        HEADER_TEXT.map(lambda s: "Bearer " + s),
        HEADER_TEXT.map(lambda s: "Bearer cap_" + s),
        HEADER_TEXT.map(lambda s: "Bearer cap_00000000_" + s),
        st.sampled_from(["Bearer", "Bearer  ", "Basic YWRtaW46YWRtaW4=", "Token x", "Bearer a b"]),
    ),
    "HTTP_ACCEPT_LANGUAGE": st.one_of(
        HEADER_TEXT, st.sampled_from(["en", "vi", "*", "en;q=x", "zz-ZZ,en;q=0.5", "x" * 600])
    ),
    "HTTP_HOST": st.one_of(
        HEADER_TEXT, st.sampled_from(["testserver", "evil.example", "testserver:99999", "[::1"])
    ),
    "HTTP_X_FORWARDED_FOR": st.one_of(
        HEADER_TEXT,
        st.sampled_from(["1.2.3.4", "1.2.3.4, 5.6.7.8", "::1", ",", "999.1.1.1", "fe80::1%eth0"]),
    ),
    "HTTP_X_FORWARDED_PROTO": st.sampled_from(["https", "http", "gopher", ""]),
    "CONTENT_TYPE": st.one_of(
        HEADER_TEXT,
        st.sampled_from(
            [
                "application/json",
                "application/json; charset=x-unknown",
                "multipart/form-data",
                "multipart/form-data; boundary=",
                "application/x-www-form-urlencoded; charset=utf-16",
                "text/plain",
            ]
        ),
    ),
    "HTTP_ACCEPT": st.one_of(
        HEADER_TEXT,
        st.sampled_from(["application/json", "text/html", "application/xml", "*/*;q=x"]),
    ),
    "HTTP_IF_MODIFIED_SINCE": st.one_of(
        HEADER_TEXT, st.sampled_from(["Sat, 29 Oct 1994 19:43:31 GMT", "0", "-1", "99999999999"])
    ),
    "HTTP_IF_UNMODIFIED_SINCE": HEADER_TEXT,
    "HTTP_IF_NONE_MATCH": st.one_of(HEADER_TEXT, st.sampled_from(["*", '"x"', 'W/"x", "y"'])),
    "HTTP_IF_MATCH": st.one_of(HEADER_TEXT, st.sampled_from(["*", '"x"'])),
    "HTTP_RANGE": st.one_of(HEADER_TEXT, st.sampled_from(["bytes=0-0", "bytes=-1", "bytes=9-1"])),
    "HTTP_COOKIE": st.one_of(
        HEADER_TEXT,
        HEADER_TEXT.map(lambda s: "sessionid=" + s),
        HEADER_TEXT.map(lambda s: "django_language=" + s),
        HEADER_TEXT.map(lambda s: "csrftoken=" + s),
    ),
    "HTTP_X_REQUEST_ID": HEADER_TEXT,
    "HTTP_HX_REQUEST": st.sampled_from(["true", "false", ""]),
    "HTTP_HX_TARGET": HEADER_TEXT,
    "HTTP_HX_CURRENT_URL": HEADER_TEXT,
    "HTTP_IDEMPOTENCY_KEY": HEADER_TEXT,
    "HTTP_REFERER": HEADER_TEXT,
    "HTTP_ORIGIN": HEADER_TEXT,
    "HTTP_USER_AGENT": HEADER_TEXT,
}
# Routes with their arguments, pages and API alike (the lists, a letter, the schema, sign-in).
HEADER_URLS = [
    "/",
    "/dang-nhap/",
    "/van-ban/",
    "/van-ban/1/",
    "/thiet-bi/",
    "/chung-thu/",
    "/thong-ke/",
    "/quan-tri/",
    "/api/v1/van-ban/",
    "/api/v1/van-ban/1/",
    "/api/v1/van-ban/1/submit/",
    "/api/v1/thiet-bi/",
    "/api/v1/chung-thu/",
    "/api/v1/thong-bao/da-doc/",
    "/api/tai-lieu/",
    "/static/css/portal.css",
    "/favicon.ico",
]


@fuzz_settings(1700)
@given(
    url=st.sampled_from(HEADER_URLS),
    persona=st.sampled_from(PERSONAS),
    method=st.sampled_from(["get", "get", "post", "head"]),
    headers=st.fixed_dictionaries({}, optional=HEADERS),
    behind_proxy=st.booleans(),
    body=st.one_of(st.just(""), st.sampled_from(NASTY), TEXT),
)
def test_no_header_is_a_server_error(callers, url, persona, method, headers, behind_proxy, body):
    client = callers[persona]
    with override_settings(PORTAL_CLIENT_IP_FROM_PROXY=behind_proxy):
        if method == "post":
            content_type = headers.pop("CONTENT_TYPE", "application/json")
            response = client.generic(
                "POST", url, body.encode("utf-8"), content_type=content_type, **headers
            )
        else:
            response = getattr(client, method)(url, **headers)
    assert response.status_code < 500, (method, url, persona, headers, response.status_code)
