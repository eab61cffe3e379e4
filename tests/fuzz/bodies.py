"""The bodies that broke the portal, and what a route must answer to them (docs/security.md §6):
JSON nested 50,000 deep (Python's decoder raises RecursionError, which Django REST framework's
parser did not catch) and malformed multipart bodies (no boundary; a part never closed, which
the CSRF check reads as a form before a view that wants the raw body: RawPostDataException).

Posted as a browser posts (session, CSRF cookie and header), one request of each shape per
route: by the route table's sweep (tests/test_routes.py, where every route has its arguments
and personas) and by the admin's and the API token's (tests/fuzz/test_bodies.py)."""

import copy

from django.db import transaction
from django.test import Client

from tests.helpers import sign_in

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
# The API's schema (YAML) and its page (HTML), which answer in their own media type.
DOCUMENTS = {"api-schema", "api-docs"}
PROBLEM_DETAIL = "Nội dung gửi lên không đọc được"


def reads_its_body(name: str) -> bool:
    """The routes that read their body as JSON themselves: the desk signing's second step."""
    return name.endswith("desk_complete")


def browser(user) -> Client:
    """A client that sends the CSRF cookie and header with every POST, signed in as `user`."""
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
    if shape == "no-boundary" or api and shape == "deep-json" or reads_its_body(name):
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
