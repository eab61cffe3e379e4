"""The letter page's desk signing endpoints (requests_app/views/desk.py): the prepare answer
the signing client needs (PROTOCOL of the client: request id, nonce, deadline, digest,
certificate fingerprint), the completion from the page, who may call them, and the page's
button, client address and Content-Security-Policy.

The "device" is the tests' stand-in for the client and the token (tests/desk.py)."""

import base64
import hashlib
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from certificates.desk.models import DeskSigning
from portal.models import AuditEvent
from requests_app import services
from requests_app.choices import FormKind, Status
from tests.desk import device_signs
from tests.helpers import HTMX, sign_in
from tests.requests_app.letters import draft
from tests.requests_app.signed_letters import head_signing_pair, issued_external

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(ca, cast):
    return head_signing_pair(cast)


def prepare(client, letter):
    return client.post(reverse("requests_app:desk_prepare", args=[letter.pk]))


def device_answer(prepared: dict, certificate, by) -> dict:
    """The client's result for `prepared`, signed by the stand-in device (see the module)."""
    signature = device_signs(certificate, base64.b64decode(prepared["digest"]), by)
    return {
        "request_id": prepared["request_id"],
        "nonce": prepared["nonce"],
        "signature": base64.b64encode(signature).decode(),
        "certificate": base64.b64encode(bytes(certificate.der)).decode(),
    }


def complete(client, letter, body):
    return client.post(
        reverse("requests_app:desk_complete", args=[letter.pk]),
        data=json.dumps(body),
        content_type="application/json",
    )


def test_the_head_signs_and_seals_through_the_two_endpoints(client, cast, pair):
    letter = issued_external(cast)
    sign_in(client, cast.head_a)

    response = prepare(client, letter)
    assert response.status_code == 201
    prepared = response.json()
    assert prepared["step"] == "signature"
    assert prepared["document"]["number"] == letter.number
    assert prepared["digest_algorithm"] == "sha256"
    assert len(base64.b64decode(prepared["digest"])) == 32
    assert prepared["certificate_sha256"] == hashlib.sha256(bytes(pair.personal.der)).hexdigest()
    assert prepared["expires_at"].endswith("Z")
    # the head's position, which the signing client shows (a subject carries none)
    assert prepared["signer"] == {"position": pair.personal.person.position}
    assert pair.personal.person.position
    response = complete(client, letter, device_answer(prepared, pair.personal, cast.head_a))
    assert response.json()["status"] == "next"

    prepared = prepare(client, letter).json()
    assert prepared["step"] == "seal"
    assert prepared["signer"] == {"position": ""}  # a seal is the agency's, no person's
    assert prepared["certificate_sha256"] == hashlib.sha256(bytes(pair.seal.der)).hexdigest()
    response = complete(client, letter, device_answer(prepared, pair.seal, cast.head_a))

    assert response.json() == {
        "status": "done",
        "redirect": reverse("requests_app:detail", args=[letter.pk]),
    }
    letter.refresh_from_db()
    assert letter.status == Status.PROVINCE_REVIEW


def test_a_refused_answer_is_a_vietnamese_message_and_the_letter_stays(client, cast, pair):
    letter = issued_external(cast)
    sign_in(client, cast.head_a)
    prepared = prepare(client, letter).json()
    body = device_answer(prepared, pair.personal, cast.head_a) | {"nonce": "khac"}

    response = complete(client, letter, body)

    assert response.status_code == 400
    assert response.json()["error"] == "nonce"
    assert "nonce" in response.json()["message"]
    letter.refresh_from_db()
    assert letter.status == Status.ISSUED
    assert AuditEvent.objects.filter(action="letter_document.desk_refused").exists()


def test_a_malformed_body_is_refused_without_touching_the_request(client, cast, pair):
    letter = issued_external(cast)
    sign_in(client, cast.head_a)
    prepared = prepare(client, letter).json()

    response = complete(client, letter, {"request_id": prepared["request_id"], "nonce": "x"})

    assert response.status_code == 400 and response.json()["error"] == "bad_body"
    assert DeskSigning.objects.get().state == "pending"


def test_a_request_id_that_is_not_one_is_a_bad_body_not_a_500(client, cast, pair):
    letter = issued_external(cast)
    sign_in(client, cast.head_a)
    prepared = prepare(client, letter).json()
    body = device_answer(prepared, pair.personal, cast.head_a) | {"request_id": "không-phải"}

    response = complete(client, letter, body)

    assert response.status_code == 400 and response.json()["error"] == "bad_body"
    assert DeskSigning.objects.get().state == "pending"


@pytest.mark.parametrize("who", ["clerk_a", "clerk_b", "officer_1", "ca_operator"])
def test_only_the_head_of_the_agency_may_prepare(client, cast, pair, who):
    letter = issued_external(cast)
    sign_in(client, getattr(cast, who))

    response = prepare(client, letter)

    assert response.status_code in (403, 404)
    assert not DeskSigning.objects.exists()


def test_the_prepare_endpoint_refuses_a_get(client, cast, pair):
    letter = issued_external(cast)
    sign_in(client, cast.head_a)
    assert client.get(reverse("requests_app:desk_prepare", args=[letter.pk])).status_code == 405


def test_the_letter_page_offers_the_desk_signing_with_the_client_and_its_csp(
    client, cast, pair, settings
):
    letter = issued_external(cast)
    sign_in(client, cast.head_a)

    response = client.get(reverse("requests_app:detail", args=[letter.pk]))

    page = response.content.decode()
    assert "data-desk-signing" in page
    assert 'data-client-url="http://127.0.0.1:10555"' in page
    assert "portal-signing-client --origin http://testserver" in page
    assert "js/desk-signing.js" in page
    assert "data-signed-upload" in page  # the upload stays the fallback
    policy = response.headers["Content-Security-Policy"]
    connect = next(d for d in policy.split(";") if d.strip().startswith("connect-src"))
    assert "http://127.0.0.1:10555" in connect


def test_after_the_heads_signature_the_page_says_the_seal_is_next(client, cast, pair):
    letter = issued_external(cast)
    sign_in(client, cast.head_a)
    url = reverse("requests_app:detail", args=[letter.pk])
    before = client.get(url).content.decode()

    prepared = prepare(client, letter).json()
    complete(client, letter, device_answer(prepared, pair.personal, cast.head_a))
    after = client.get(url).content.decode()

    assert "data-desk-seal-next" not in before  # nothing signed yet: "Ký"
    assert "Lãnh đạo đã ký. Bước tiếp theo: đóng dấu số của cơ quan." in after
    assert ">Đóng dấu số của cơ quan</button>" in after


def test_the_clerk_sees_no_desk_signing(client, cast, pair):
    letter = issued_external(cast)
    sign_in(client, cast.clerk_a)

    page = client.get(reverse("requests_app:detail", args=[letter.pk])).content.decode()

    assert "data-desk-signing" not in page


def test_preparing_costs_a_bounded_number_of_queries(client, cast, pair):
    letter = issued_external(cast)
    sign_in(client, cast.head_a)
    with CaptureQueriesContext(connection) as queries:
        assert prepare(client, letter).status_code == 201
    assert len(queries) <= 30


def issued_unrendered(cast):
    """Right after "Cấp số và ký": issued, its PDF not rendered yet (the worker's task)."""
    letter = draft(cast, FormKind.ISSUE_ORGANIZATION)
    services.cert_request_submit(cert_request=letter, by=cast.clerk_a)
    services.cert_request_issue(cert_request=letter, by=cast.head_a)
    letter.refresh_from_db()
    assert letter.status == Status.ISSUED and not letter.documents.exists()
    return letter


def test_before_the_pdf_exists_the_page_offers_no_ky_but_a_status_that_polls_itself(
    client, cast, pair
):
    letter = issued_unrendered(cast)
    sign_in(client, cast.head_a)
    page = client.get(reverse("requests_app:detail", args=[letter.pk])).content.decode()
    state = reverse("requests_app:signing_state", args=[letter.pk])
    assert "data-desk-sign" not in page and "data-signed-upload" not in page
    assert "data-signing-pending" in page
    assert "Nút Ký hiện ra ở đây khi bản PDF sẵn sàng" in page
    assert f'hx-get="{state}" hx-trigger="every 2s" hx-swap="outerHTML"' in page
    detail = reverse("requests_app:detail", args=[letter.pk])
    assert f'href="{detail}#ky-van-ban">Tải lại trang</a>' in page  # without JavaScript
    assert "js/desk-signing.js" in page  # loaded by the page, for the button to come

    fragment = client.get(state, **HTMX).content.decode()
    assert "data-signing-pending" in fragment and "data-desk-sign" not in fragment
    assert 'hx-trigger="every 2s"' in fragment


def test_the_status_returns_the_ky_button_once_the_pdf_exists(client, cast, pair):
    letter = issued_unrendered(cast)
    sign_in(client, cast.head_a)
    state = reverse("requests_app:signing_state", args=[letter.pk])
    assert "data-desk-sign" not in client.get(state, **HTMX).content.decode()

    assert services.letter_document_render(cert_request_id=letter.pk) is not None
    response = client.get(state, **HTMX)
    fragment = response.content.decode()
    assert response.status_code == 200 and "HX-Refresh" not in response.headers
    assert "data-desk-sign" in fragment and "data-signed-upload" in fragment
    assert "data-signing-pending" not in fragment and "hx-trigger" not in fragment
    assert 'id="ban-pdf-dang-tao"' in fragment and 'hx-swap-oob="true"' in fragment
    page = client.get(reverse("requests_app:detail", args=[letter.pk])).content.decode()
    assert "data-desk-sign" in page and "data-signing-pending" not in page


def test_the_status_is_the_heads_only_and_reloads_a_page_whose_letter_moved_on(client, cast, pair):
    letter = issued_unrendered(cast)
    state = reverse("requests_app:signing_state", args=[letter.pk])
    sign_in(client, cast.clerk_a)
    assert client.get(state).status_code == 403
    sign_in(client, cast.clerk_b)
    assert client.get(state).status_code == 404
    sign_in(client, cast.head_a)
    services.cert_request_send_back(cert_request=letter, by=cast.head_a, note="Sai số hiệu")
    response = client.get(state, **HTMX)
    assert response.headers["HX-Refresh"] == "true"
