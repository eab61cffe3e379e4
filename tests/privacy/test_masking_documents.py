"""A letter's documents (Mẫu 01–06 as PDF, Word, preview, edXML) are the signed text and keep
full values; each download by a user records one access (channel DOCUMENT, no reason) naming
the contact and the people of the rows; the mail worker records none (docs/privacy.md,
"Exports, API and documents"). The matrix: every role × every download."""

import pytest
from django.urls import reverse

from portal.documents import DocumentKind
from privacy.choices import AccessChannel
from requests_app.choices import FormKind, Status
from requests_app.disclosure import CONTACT_KEYS, DOCUMENT_ROW_KEYS
from requests_app.models import CertRequest, LetterDocument
from tests.exchange.edxml_world import coded
from tests.helpers import sign_in
from tests.privacy.exports_world import ROLES, SEE_LETTER, accesses, forwarded, world
from tests.requests_app.letters import draft, letter_at

pytestmark = pytest.mark.django_db

DOWNLOADS = ("document", "docx", "pdf_preview")


@pytest.fixture
def w(cast):
    w = world(cast)
    document = LetterDocument(letter=w.letter, version=1, kind=DocumentKind.RENDERED)
    document.set_content(b"%PDF-1.4\n% a stored version\n%%EOF\n")
    document.save()
    return w


def _url(name: str, letter) -> str:
    args = [letter.pk, 1] if name == "document" else [letter.pk]
    return reverse(f"requests_app:{name}", args=args)


@pytest.mark.parametrize("name", DOWNLOADS)
@pytest.mark.parametrize("role", ROLES)
def test_each_download_of_a_letter_records_one_access_of_whoever_sees_it(client, w, role, name):
    sign_in(client, w.users[role])
    response = client.get(_url(name, w.letter))
    if role not in SEE_LETTER:
        assert response.status_code == 404
        assert accesses() == []
        return
    assert response.status_code == 200
    (access,) = accesses()
    assert (access.actor, access.channel, access.reason) == (
        w.users[role],
        AccessChannel.DOCUMENT,
        "",
    )
    assert access.fields == sorted([*CONTACT_KEYS, *DOCUMENT_ROW_KEYS[FormKind.ISSUE_PERSON]])
    assert access.subjects_count == 3  # the contact and the two rows' people
    assert (access.object_type, access.object_id) == ("requests_app.certrequest", str(w.letter.pk))


def test_a_second_download_is_a_second_access(client, w):
    sign_in(client, w.users["head_a"])
    client.get(_url("docx", w.letter))
    client.get(_url("docx", w.letter))
    assert len(accesses()) == 2


def test_a_thousand_row_letter_is_one_access_with_a_thousand_subjects(client, cast, w):
    big = forwarded(cast, rows=0)
    rows = [
        {"full_name": f"Người {n}", "national_id": f"0121{n:08d}", "mobile": "0912000000"}
        for n in range(1000)
    ]
    big.rows.model.objects.bulk_create(
        [big.rows.model(cert_request=big, position=n + 1, **data) for n, data in enumerate(rows)]
    )
    sign_in(client, cast.officer_1)
    assert client.get(_url("docx", big)).status_code == 200
    (access,) = accesses()
    assert access.subjects_count == 1001  # the rows and the contact
    assert access.subjects.count() == 1001


def test_a_document_naming_nobody_records_nothing(client, cast):
    organisations = draft(cast, form=FormKind.ISSUE_ORGANIZATION)
    sign_in(client, cast.clerk_a)
    assert client.get(_url("docx", organisations)).status_code == 200
    assert accesses() == []


def test_an_edxml_package_is_a_document_download(client, cast):
    with coded(cast):
        letter = letter_at(cast, Status.PROVINCE_REVIEW)
        CertRequest.objects.filter(pk=letter.pk).update(contact_national_id="012190009998")
        sign_in(client, cast.officer_1)
        response = client.get(reverse("exchange:edxml", args=[letter.pk]))
    assert response.status_code == 200
    (access,) = accesses()
    assert (access.actor, access.channel) == (cast.officer_1, AccessChannel.DOCUMENT)
    assert access.subjects_count == 2  # the contact and the row's person


def test_an_edxml_refused_records_nothing(client, w):
    sign_in(client, w.users["clerk_a"])
    response = client.get(reverse("exchange:edxml", args=[w.letter.pk]))
    assert response.status_code == 302  # no signed version yet: a message on the letter page
    assert accesses() == []
