"""The letter's workflow over the API only, through the same services as the pages."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from certificates.signing import SigningPair, personal_signing_certificate, seal_certificate
from requests_app import services
from requests_app.choices import Outcome, Status
from requests_app.models import CertRequest
from tests.api.calls import act, api_as, rows_of
from tests.helpers import PASSWORD
from tests.requests_app.letters import CONTACT, letter_at, person_row, signing_ready
from tests.requests_app.signed_letters import rendered, signed_by

pytestmark = pytest.mark.django_db


def row_json():
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in person_row().items()}


def create(client, cast, rows):
    return client.post(
        "/api/v1/van-ban/",
        {"form": "01", "agency": cast.agency_a.pk, "contact": CONTACT, "rows": rows},
        format="json",
    )


def test_a_letter_walks_from_draft_to_processing_over_the_api_alone(cast):
    clerk, head = api_as(cast.clerk_a), api_as(cast.head_a)
    officer, operator = api_as(cast.officer_1), api_as(cast.ca_operator)
    created = create(clerk, cast, [row_json(), row_json()])
    assert created.status_code == 201, created.json()
    letter = CertRequest.objects.get(pk=created.json()["id"])
    assert act(clerk, letter, "submit").json()["status"] == Status.AWAITING_HEAD
    signing_ready(cast)
    assert act(head, letter, "issue", password=PASSWORD).status_code == 200
    services.letter_document_render(cert_request_id=letter.pk)  # the worker's part
    letter.refresh_from_db()
    # The head signs with their own device outside the portal and uploads the file.
    pair = SigningPair(
        personal=personal_signing_certificate(cast.head_a), seal=seal_certificate(cast.agency_a)
    )
    signed = signed_by(rendered(letter), pair, cast)
    uploaded = head.post(
        f"/api/v1/van-ban/{letter.pk}/ban-da-ky/",
        {"file": SimpleUploadedFile("van-ban-da-ky.pdf", signed, content_type="application/pdf")},
        format="multipart",
    )
    assert uploaded.status_code == 200, uploaded.json()
    letter.refresh_from_db()
    assert letter.status == Status.PROVINCE_REVIEW
    decided = act(
        officer,
        letter,
        "decide_rows",
        decisions=[
            {"position": 1, "decision": "accept"},
            {"position": 2, "decision": "refuse", "note": "Sai số định danh"},
        ],
    )
    outcomes = [r["outcome"] for r in rows_of(officer, decided)]
    assert outcomes == [Outcome.ACCEPTED, Outcome.REFUSED]
    assert act(officer, letter, "forward").json()["status"] == Status.FORWARDED
    # The CA decides the forwarded rows itself; no list accepts every valid row.
    assert act(operator, letter, "decide_rows").status_code == 200
    processed = act(operator, letter, "process", password=PASSWORD)
    assert processed.status_code == 200, processed.json()
    assert processed.json()["status"] in (Status.IN_PROCESS, Status.DONE)


def test_invalid_rows_are_refused_whole_with_errors_per_row(cast):
    bad = {**row_json(), "email": "khong-phai-email"}
    response = create(api_as(cast.clerk_a), cast, [row_json(), bad])
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "rows_invalid"
    assert "email" in problem["errors"]["1"]
    assert CertRequest.objects.count() == 0


def test_malformed_input_is_a_400_problem_naming_the_fields(cast):
    response = api_as(cast.clerk_a).post("/api/v1/van-ban/", {"form": "99"}, format="json")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert set(response.json()["errors"]) == {"form", "agency"}


def test_issuing_without_the_password_changes_nothing(cast):
    letter = letter_at(cast, Status.AWAITING_HEAD)
    response = act(api_as(cast.head_a), letter, "issue", password="sai")
    assert response.status_code == 422
    assert response.json()["code"] == "password_wrong"
    letter.refresh_from_db()
    assert letter.status == Status.AWAITING_HEAD


def test_acting_on_a_letter_someone_else_moved_is_a_409(cast):
    letter = letter_at(cast, Status.AWAITING_HEAD)
    assert act(api_as(cast.clerk_a), letter, "submit").status_code == 409


def test_a_reason_is_required_to_send_back(cast):
    letter = letter_at(cast, Status.AWAITING_HEAD)
    response = act(api_as(cast.head_a), letter, "send_back")
    assert response.status_code == 422
    assert act(api_as(cast.head_a), letter, "send_back", note="Thiếu chữ ký").status_code == 200


# persona -> the answer to each action on a letter at its stage
MATRIX = [
    (
        Status.DRAFT,
        "submit",
        {
            "clerk_a": 200,
            "clerk_b": 404,
            "head_a": 403,
            "officer_1": 404,
            "officer_2": 404,
            "ca_operator": 404,
        },
    ),
    (
        Status.AWAITING_HEAD,
        "cancel",
        {"clerk_a": 200, "clerk_c": 404, "head_a": 403, "officer_1": 404},
    ),
    (
        Status.PROVINCE_REVIEW,
        "forward",
        {"officer_1": 200, "officer_2": 404, "clerk_a": 403, "head_a": 403},
    ),
    (Status.PROVINCE_REVIEW, "refuse", {"officer_1": 200, "clerk_a": 403, "clerk_b": 404}),
    (Status.FORWARDED, "return", {"ca_operator": 200, "officer_1": 409, "clerk_a": 403}),
]


@pytest.mark.parametrize(
    ("stage", "verb", "persona", "expected"),
    [(s, v, p, e) for s, v, answers in MATRIX for p, e in answers.items()],
)
def test_permission_matrix(cast, stage, verb, persona, expected):
    letter = letter_at(cast, stage)
    response = act(api_as(getattr(cast, persona)), letter, verb, note="Lý do")
    assert response.status_code == expected, response.json()


def test_an_unknown_action_is_a_404(cast):
    letter = letter_at(cast, Status.DRAFT)
    assert act(api_as(cast.clerk_a), letter, "delete_everything").status_code == 404


def test_the_letters_list_keeps_its_query_budget(cast, django_assert_max_num_queries):
    for _ in range(5):
        letter_at(cast, Status.DRAFT, rows=3)
    client = api_as(cast.clerk_a)
    with django_assert_max_num_queries(12):
        response = client.get("/api/v1/van-ban/")
    assert len(response.json()["results"]) == 5


def test_rows_are_added_to_a_draft_through_the_editors_rules(cast):
    letter = letter_at(cast, Status.DRAFT)
    client = api_as(cast.clerk_a)
    url = f"/api/v1/van-ban/{letter.pk}/dong/"
    added = client.post(url, {"rows": [row_json(), row_json()]}, format="json")
    assert added.status_code == 200, added.json()
    assert [r["position"] for r in rows_of(client, added)] == [1, 2, 3]
    bad = client.post(url, {"rows": [{**row_json(), "date_of_birth": "32/13/1990"}]}, format="json")
    assert bad.status_code == 422
    assert "date_of_birth" in bad.json()["errors"]["0"]
    assert letter.rows.count() == 3


def test_rows_cannot_be_added_once_submitted(cast):
    letter = letter_at(cast, Status.AWAITING_HEAD)
    response = api_as(cast.clerk_a).post(
        f"/api/v1/van-ban/{letter.pk}/dong/", {"rows": [row_json()]}, format="json"
    )
    assert response.status_code == 409
    assert letter.rows.count() == 1


def test_a_retried_action_with_the_same_key_acts_once_and_answers_alike(cast):
    letter = letter_at(cast, Status.DRAFT)
    client = api_as(cast.clerk_a)
    url = f"/api/v1/van-ban/{letter.pk}/submit/"
    first = client.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="nop-1")
    again = client.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="nop-1")
    assert first.status_code == again.status_code == 200
    assert letter.transitions.filter(action="submit").count() == 1


def test_a_wrong_method_is_a_405_problem(cast):
    letter = letter_at(cast, Status.DRAFT)
    response = api_as(cast.clerk_a).delete(f"/api/v1/van-ban/{letter.pk}/")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


@pytest.mark.parametrize("who", ["clerk_b", "head_a", "officer_1", "ca_operator"])
def test_the_api_creates_no_letter_for_an_agency_the_caller_is_not_clerk_of(cast, who):
    """Without rows the create path has no check of its own: the service's (only a clerk of
    the agency, docs/domain.md §2) is the one guard, and this test fails without it."""
    response = api_as(getattr(cast, who)).post(
        "/api/v1/van-ban/",
        {"form": "01", "agency": cast.agency_a.pk, "contact": CONTACT},
        format="json",
    )

    assert response.status_code == 403, response.json()
    assert not CertRequest.objects.exists()


@pytest.mark.parametrize("agency", [2**40, -1, "abc", None])
def test_an_impossible_agency_id_is_a_400_never_a_500(cast, agency):
    response = api_as(cast.clerk_a).post(
        "/api/v1/van-ban/", {"form": "01", "agency": agency}, format="json"
    )
    assert response.status_code == 400
    assert "agency" in response.json()["errors"]


@pytest.mark.parametrize("pk", ["99999999999999999999999", "abc"])
def test_an_impossible_letter_id_is_a_404(cast, pk):
    response = api_as(cast.clerk_a).post(f"/api/v1/van-ban/{pk}/submit/", {}, format="json")
    assert response.status_code == 404


def test_put_replaces_every_row_of_a_draft_or_none_on_error(cast):
    letter = letter_at(cast, Status.DRAFT, rows=2)
    client = api_as(cast.clerk_a)
    url = f"/api/v1/van-ban/{letter.pk}/dong/"
    bad = client.put(url, {"rows": [{**row_json(), "email": "sai"}]}, format="json")
    assert bad.status_code == 422
    assert letter.rows.count() == 2
    kept = row_json()
    replaced = client.put(url, {"rows": [kept]}, format="json")
    assert replaced.status_code == 200, replaced.json()
    assert [r["full_name"] for r in rows_of(client, replaced)] == [kept["full_name"]]
