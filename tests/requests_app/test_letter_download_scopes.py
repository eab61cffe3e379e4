"""Who may download a signed letter's files, persona by persona: its validation report (JSON
and PDF, docs/ca.md "Validation report") and its Word file. The letters are issued, signed
and received once for the module (tests/cast.py); each test reads its own copy."""

from types import SimpleNamespace

import pytest
from django.urls import reverse

from portal.lib.docx import DOCX_CONTENT_TYPE
from requests_app.choices import FormKind, Status
from requests_app.models import CertRequest
from tests.cast import forget_cached_scopes, module_cast
from tests.docx_reading import docx_text, open_docx
from tests.helpers import sign_in
from tests.requests_app.letters import letter_at
from tests.requests_app.signed_letters import received

pytestmark = pytest.mark.django_db


cast = module_cast()


@pytest.fixture(scope="module")
def letters(cast):
    """A Mẫu 02 received by the province with its report, and one forwarded to the CA."""
    return SimpleNamespace(
        received=received(cast).pk,
        forwarded=letter_at(cast, Status.FORWARDED, FormKind.ISSUE_ORGANIZATION).pk,
    )


@pytest.mark.parametrize(
    ("persona", "status"),
    [("clerk_a", 200), ("officer_1", 200), ("ca_operator", 404), ("clerk_b", 404),
     ("officer_2", 404)],
)  # fmt: skip
@pytest.mark.parametrize("url", ["validation_report_json", "validation_report_pdf"])
def test_the_report_downloads_only_within_the_letters_scope(
    cast, letters, db, client, persona, status, url
):
    forget_cached_scopes(cast)
    letter = CertRequest.objects.get(pk=letters.received)
    sign_in(client, getattr(cast, persona))

    response = client.get(reverse(f"requests_app:{url}", args=[letter.pk]))

    assert response.status_code == status


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("clerk_a", 200),
        ("head_a", 200),
        ("officer_1", 200),
        ("ca_operator", 200),
        ("clerk_b", 404),
        ("clerk_c", 404),
        ("officer_2", 404),
        ("subscriber_user", 404),
    ],
)
def test_a_letter_docx_downloads_only_within_the_letters_scope(
    cast, letters, db, client, persona, status
):
    forget_cached_scopes(cast)
    letter = CertRequest.objects.get(pk=letters.forwarded)
    sign_in(client, getattr(cast, persona))
    response = client.get(reverse("requests_app:docx", args=[letter.pk]))
    assert response.status_code == status
    if status == 200:
        assert response["Content-Type"] == DOCX_CONTENT_TYPE
        assert letter.number in docx_text(open_docx(response.content))
