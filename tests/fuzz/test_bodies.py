"""Every route, pages, API and the admin, posted the bodies that broke the portal: JSON nested
50,000 deep (Python's decoder raises RecursionError, which Django REST framework's parser did
not catch) and multipart bodies that are malformed (no boundary, or a part never closed, which
the CSRF check reads as a form before a view that wants the raw body: RawPostDataException).
One request of each shape per route, as a browser would send it (session, CSRF cookie and
header), by a persona the route table (tests/test_routes.py) says gets past the route's scope:
never a server error; every API route and every view that reads its body answers 400, the API
with a Vietnamese problem (docs/security.md §6)."""

import copy

import pytest
from django.contrib import admin
from django.db import transaction
from django.test import Client
from django.urls import reverse

from tests import test_routes
from tests.api.calls import token_for
from tests.helpers import sign_in
from tests.test_routes import PERSONAS, ROUTES, url_of

pytestmark = pytest.mark.django_db
# The route table's world, built once for the module: agency A's letter, devices, documents,
# certificate, merger plan and campaign, that each route's arguments name.
cast = test_routes.cast
world = test_routes.world

CSRF = "portalfuzzcsrfsecret0123456789ab"  # a secret of Django's length, cookie and header
DEEP_JSON = ("application/json", b"[" * 50_000)
# A boundary named but none in the body's first line: Django's parser refuses it.
NO_BOUNDARY = ("multipart/form-data", b'--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1')
# A part never closed: Django's parser reads it as a form of one field (the CSRF check does so
# before the view), so a view that reads the raw body finds it consumed.
UNCLOSED = (
    "multipart/form-data; boundary=xyz",
    b'--xyz\r\nContent-Disposition: form-data; name="a"\r\n\r\nvalue',
)
SHAPES = {"deep-json": DEEP_JSON, "no-boundary": NO_BOUNDARY, "unclosed-part": UNCLOSED}
# Routes that read their raw body as something else than JSON and answer in their own protocol
# (RFC 6960, RFC 3161), exempt from the CSRF check, which never reads them as a form.
OWN_PROTOCOL = {"certificates:ocsp", "certificates:tsa"}
# The routes that read their body as JSON themselves (the desk signing's second step).
READ_RAW = {name for name in ROUTES if name.endswith("desk_complete")}
# The API's schema (YAML) and its page (HTML), which answer in their own media type.
DOCUMENTS = {"api-schema", "api-docs"}
PROBLEM_DETAIL = "Nội dung gửi lên không đọc được"


def persona_for(expect: str) -> str:
    """The first persona whose answer is not a refusal of the route (the clerk's when all are)."""
    for persona, answer in zip(PERSONAS, expect.split(), strict=True):
        if answer not in {"login", "401", "403", "404"}:
            return persona
    return "clerk_a"


def browser(user) -> Client:
    client = Client(enforce_csrf_checks=True, HTTP_X_CSRFTOKEN=CSRF)
    if user is not None:
        sign_in(client, user)
    client.cookies["csrftoken"] = CSRF
    return client


def post(client: Client, url: str, shape: str):
    """The body posted in a savepoint rolled back, the client's cookies kept (a sign-out or a
    language switch would change them for the next route)."""
    content_type, body = SHAPES[shape]
    cookies = copy.deepcopy(client.cookies)
    with transaction.atomic():
        response = client.generic("POST", url, body, content_type=content_type)
        transaction.set_rollback(True)
    client.cookies = cookies
    return response


def wrong_answer(name: str, url: str, shape: str, response, expected: str = "") -> str | None:
    """What is wrong with the answer: a server error; no 400 where the body must be refused
    (a body without its boundary anywhere, JSON nested too deeply on the API, anything on a
    route that reads its body itself; or a 404 where the persona is answered 404); an API
    refusal that is not the Vietnamese problem."""
    status = response.status_code
    if status >= 500:
        return f"{name} {url} {shape}: {status}"
    if name in OWN_PROTOCOL:
        return None
    api = url.startswith("/api/")
    refused = {"400"} if not api else {"400", "405", "415"}  # a method or media type first
    if shape == "no-boundary" or api and shape == "deep-json" or name in READ_RAW:
        if expected == "404":
            refused.add("404")  # the object looked up before the body is read, or after
        if str(status) not in refused:
            return f"{name} {url} {shape}: {status}, expected {' or '.join(sorted(refused))}"
    if api and status >= 400 and name not in DOCUMENTS:
        if response["Content-Type"] != "application/problem+json":
            return f"{name} {url} {shape}: {status} {response['Content-Type']}, not a problem"
        try:
            detail = response.json()["detail"]
        except ValueError:
            return f"{name} {url} {shape}: {status} {response.content[:100]!r}, not a problem"
        if status == 400 and shape != "unclosed-part" and not detail.startswith(PROBLEM_DETAIL):
            return f"{name} {url} {shape}: {detail!r}, not the unreadable body's detail"
    return None


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_no_route_answers_a_malformed_body_with_a_server_error(world, shape):
    clients = {
        persona: browser(None if persona == "anonymous" else getattr(world.cast, persona))
        for persona in PERSONAS
    }
    wrong = []
    for name, route in ROUTES.items():
        url = url_of(name, route, world)
        persona = persona_for(route.expect)
        expected = route.expect.split()[PERSONAS.index(persona)]
        response = post(clients[persona], url, shape)
        if problem := wrong_answer(name, url, shape, response, expected):
            wrong.append(problem)
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_no_admin_page_answers_a_malformed_body_with_a_server_error(world, shape):
    client = browser(world.cast.admin)
    wrong = []
    for model in admin.site._registry:
        for page in ("changelist", "add"):
            name = f"admin:{model._meta.app_label}_{model._meta.model_name}_{page}"
            url = reverse(name)
            if problem := wrong_answer(name, url, shape, post(client, url, shape)):
                wrong.append(problem)
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("name", ["device-stock-import", "device-loss"])
def test_json_nested_too_deeply_is_a_vietnamese_400_problem_with_an_api_token(world, name):
    """The two endpoints the fuzz run found answering 500, called as an office's system calls
    them (a personal token, no session: no CSRF check reads the body first)."""
    route = ROUTES[name]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token_for(world.cast.ca_operator)}")
    response = client.generic(
        "POST", url_of(name, route, world), DEEP_JSON[1], content_type=DEEP_JSON[0]
    )
    assert response.status_code == 400, response.content[:300]
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "parse_error"
    assert problem["title"] == "Dữ liệu gửi lên không hợp lệ"
    assert problem["detail"].startswith(PROBLEM_DETAIL)
