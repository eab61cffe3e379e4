"""POST /api/v1/van-ban/{id}/ban-da-ky/: the head uploads the letter they signed with their
own token, through the same `letter_signed_upload` as the page; every refusal is a 422 problem
naming the failed check, and nothing is stored."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from portal.documents import DocumentKind
from requests_app import services
from requests_app.choices import Status
from tests.api.calls import api_as
from tests.api.spoiled import NOBODY, client_for
from tests.requests_app.letters import letter_at
from tests.requests_app.signed_letters import (
    head_signing_pair,
    issued_external,
    rendered,
    signed_by,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def letter(cast):
    return issued_external(cast)


@pytest.fixture
def signed(ca, cast, letter):
    return signed_by(rendered(letter), head_signing_pair(cast), cast)


def upload(client, letter, pdf: bytes, **headers):
    return client.post(
        f"/api/v1/van-ban/{letter.pk}/ban-da-ky/",
        {"file": SimpleUploadedFile("van-ban-da-ky.pdf", pdf, content_type="application/pdf")},
        format="multipart",
        **headers,
    )


def signed_versions(letter) -> int:
    return letter.documents.filter(kind=DocumentKind.SIGNED).count()


def test_the_heads_signed_file_is_stored_and_the_letter_goes_to_the_province(cast, letter, signed):
    response = upload(api_as(cast.head_a), letter, signed)
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == Status.PROVINCE_REVIEW
    assert signed_versions(letter) == 1


def test_an_unsigned_file_is_a_422_problem_naming_the_check_and_nothing_is_stored(cast, letter):
    response = upload(api_as(cast.head_a), letter, rendered(letter))
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["code"] == "unsigned"
    assert "chưa có chữ ký số" in response.json()["detail"]
    letter.refresh_from_db()
    assert (letter.status, signed_versions(letter)) == (Status.ISSUED, 0)


def test_a_file_that_is_no_pdf_is_a_422_problem(cast, letter):
    response = upload(api_as(cast.head_a), letter, b"khong phai PDF")
    assert response.status_code == 422
    assert response.json()["code"] == "bad_pdf"
    assert signed_versions(letter) == 0


def test_a_post_without_a_file_is_a_400_problem_naming_the_field(cast, letter):
    response = api_as(cast.head_a).post(
        f"/api/v1/van-ban/{letter.pk}/ban-da-ky/", {}, format="multipart"
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"file"}


def test_a_letter_not_rendered_yet_takes_no_upload(cast, signed):
    issued = letter_at(cast, Status.AWAITING_HEAD)
    services.cert_request_issue(cert_request=issued, by=cast.head_a, number="")
    response = upload(api_as(cast.head_a), issued, signed)
    assert response.status_code == 422, response.json()
    assert response.json()["code"] == "not_rendered"
    assert signed_versions(issued) == 0


@pytest.mark.parametrize(
    ("who", "expected"),
    [("clerk_a", 403), ("clerk_b", 404), ("officer_2", 404), ("ca_operator", 404)]
    + [(who, 401) for who in NOBODY],
)
def test_permission_matrix(cast, letter, signed, who, expected):
    response = upload(client_for(cast, who), letter, signed)
    assert response.status_code == expected, response.json()
    assert signed_versions(letter) == 0


def test_a_retried_upload_with_the_same_key_is_stored_once(cast, letter, signed):
    client = api_as(cast.head_a)
    first = upload(client, letter, signed, HTTP_IDEMPOTENCY_KEY="ky-1")
    again = upload(client, letter, signed, HTTP_IDEMPOTENCY_KEY="ky-1")
    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert signed_versions(letter) == 1


def test_another_file_under_the_same_name_and_key_is_a_422_problem(cast, letter, signed):
    client = api_as(cast.head_a)
    upload(client, letter, signed, HTTP_IDEMPOTENCY_KEY="ky-1")
    other = upload(client, letter, rendered(letter), HTTP_IDEMPOTENCY_KEY="ky-1")
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_mismatch"
