"""Editing a draft never puts a masked value into an input (docs/privacy.md §masking): the input is
empty with the masked value as placeholder; left blank it keeps the stored value, typed it
replaces it. The same for section 1, a saved row, and a row filled from a picked person.

The draft is clerk_a's: its author sees its values in full (docs/privacy.md §6), so the masks
are seen by a colleague of the same agency (`colleague`); the author's inputs stay empty all the
same, the value itself as placeholder."""

from datetime import date

import pytest
from django.urls import reverse

from agencies.choices import Role
from privacy.masking import mask_date, mask_id, mask_phone
from requests_app.models import CertRequest
from tests import factories as f
from tests.factories import LETTER_CONTACT, PERSON_ROW, letter_draft, letter_row_add
from tests.helpers import HTMX, sign_in

pytestmark = pytest.mark.django_db

CONTACT_ID = "001187004321"
ROW_ID, ROW_BORN, ROW_MOBILE = "001190012345", date(1990, 3, 5), "0912777888"


@pytest.fixture
def letter(cast):
    cert_request = letter_draft(
        cast, contact_national_id=CONTACT_ID, contact_id_issue_date=date(2018, 2, 13)
    )
    letter_row_add(
        cert_request, cast.clerk_a, national_id=ROW_ID, date_of_birth=ROW_BORN, mobile=ROW_MOBILE
    )
    return cert_request


@pytest.fixture
def colleague(cast):
    """Another clerk of agency A: not the draft's author."""
    user = f.UserFactory(username="clerk_a_colleague")
    f.MembershipFactory(user=user, role=Role.AGENCY_CLERK, organization=cast.agency_a)
    return user


def editor(cert_request) -> str:
    return reverse("requests_app:edit", args=[cert_request.pk])


def row_edit(cert_request) -> str:
    return reverse("requests_app:row_edit", args=[cert_request.pk, cert_request.rows.get().pk])


def test_section_one_shows_the_masked_values_as_placeholders_never_as_values(
    client, cast, letter, colleague
):
    sign_in(client, colleague)
    page = client.get(editor(letter)).content.decode()
    for value in (CONTACT_ID, LETTER_CONTACT["contact_mobile"], "13/02/2018"):
        assert value not in page
    assert f'placeholder="{mask_id(CONTACT_ID)}"' in page
    assert f'placeholder="{mask_phone(LETTER_CONTACT["contact_mobile"])}"' in page
    assert "để trống để giữ nguyên" in page


def test_saving_section_one_without_touching_a_masked_field_keeps_its_value(client, cast, letter):
    sign_in(client, cast.clerk_a)
    posted = {**LETTER_CONTACT, "contact_mobile": "", "contact_name": "Lò Thị Hoa"}
    response = client.post(editor(letter), {**posted, "_action": "save"})
    assert response.status_code == 302
    saved = CertRequest.objects.get(pk=letter.pk)
    assert saved.contact_name == "Lò Thị Hoa"
    assert saved.contact_national_id == CONTACT_ID
    assert saved.contact_id_issue_date == date(2018, 2, 13)
    assert saved.contact_mobile == LETTER_CONTACT["contact_mobile"]


def test_a_value_typed_in_a_masked_field_of_section_one_replaces_it(client, cast, letter):
    sign_in(client, cast.clerk_a)
    posted = {**LETTER_CONTACT, "contact_national_id": "001187009999", "_action": "save"}
    assert client.post(editor(letter), posted).status_code == 302
    assert CertRequest.objects.get(pk=letter.pk).contact_national_id == "001187009999"


def test_a_submission_with_section_one_untouched_goes_to_the_head(client, cast, letter):
    sign_in(client, cast.clerk_a)
    posted = {**LETTER_CONTACT, "contact_mobile": "", "_action": "submit"}
    assert client.post(editor(letter), posted).status_code == 302
    assert CertRequest.objects.get(pk=letter.pk).status == "awaiting_head"


def test_a_rows_edit_form_shows_its_masked_values_as_placeholders(client, cast, letter, colleague):
    sign_in(client, colleague)
    form = client.get(row_edit(letter), **HTMX).content.decode()
    for value in (ROW_ID, ROW_MOBILE, "05/03/1990"):
        assert value not in form
    for shown in (mask_id(ROW_ID), mask_phone(ROW_MOBILE), mask_date(ROW_BORN)):
        assert f'placeholder="{shown}"' in form


def test_saving_a_row_with_its_masked_fields_blank_keeps_them(client, cast, letter, colleague):
    sign_in(client, colleague)
    posted = {
        **PERSON_ROW, "full_name": "Lò Thị Mai Anh", "national_id": "", "date_of_birth": "",
        "id_issue_date": "", "mobile": "",
    }  # fmt: skip
    response = client.post(row_edit(letter), posted, **HTMX)
    assert response.status_code == 200
    row = letter.rows.get()
    assert row.full_name == "Lò Thị Mai Anh"
    assert (row.national_id, row.date_of_birth, row.mobile) == (ROW_ID, ROW_BORN, ROW_MOBILE)
    assert ROW_ID not in response.content.decode()


def test_a_value_typed_in_a_masked_field_of_a_row_replaces_it(client, cast, letter):
    sign_in(client, cast.clerk_a)
    posted = {**PERSON_ROW, "national_id": "", "mobile": "0912000111", "date_of_birth": ""}
    client.post(row_edit(letter), posted, **HTMX)
    row = letter.rows.get()
    assert (row.national_id, row.mobile) == (ROW_ID, "0912000111")


def test_an_imported_id_stays_unconfirmed_until_the_clerk_types_it(client, cast, letter, colleague):
    letter.rows.update(national_id_unconfirmed=True)
    sign_in(client, colleague)
    editor_page = client.get(editor(letter)).content.decode()
    assert "đã thêm số 0 đầu" in editor_page and ROW_ID not in editor_page
    blank = {**PERSON_ROW, "national_id": "", "date_of_birth": "", "mobile": ""}
    client.post(row_edit(letter), blank, **HTMX)
    assert letter.rows.get().national_id_unconfirmed
    client.post(row_edit(letter), {**blank, "national_id": ROW_ID}, **HTMX)
    assert not letter.rows.get().national_id_unconfirmed


def test_a_person_picked_for_a_new_row_fills_it_without_their_values_in_the_page(
    client, cast, colleague
):
    cert_request = letter_draft(cast)
    person = f.PersonFactory(
        organization=cast.agency_a, national_id="001185055555", mobile="0868123456"
    )
    sign_in(client, colleague)
    add = reverse("requests_app:row_add", args=[cert_request.pk])
    form = client.get(add, {"chon": person.pk}, **HTMX).content.decode()
    assert "001185055555" not in form and "0868123456" not in form and "17/05/1985" not in form
    assert f'placeholder="{mask_id("001185055555")}"' in form
    assert f'name="picked_person" value="{person.pk}"' in form
    posted = {
        **PERSON_ROW, "full_name": person.full_name, "email": person.official_email,
        "national_id": "", "date_of_birth": "", "id_issue_date": "", "mobile": "",
        "picked_person": person.pk,
    }  # fmt: skip
    response = client.post(add, posted, **HTMX)
    assert "001185055555" not in response.content.decode()
    row = cert_request.rows.get()
    assert (row.national_id, row.mobile, row.date_of_birth, row.id_issue_date) == (
        "001185055555",
        "0868123456",
        person.date_of_birth,
        person.id_issue_date,
    )


def test_a_picked_person_outside_the_agency_lends_nothing_to_a_row(client, cast):
    cert_request = letter_draft(cast)
    stranger = f.PersonFactory(organization=cast.agency_b, national_id="001185066666")
    sign_in(client, cast.clerk_a)
    add = reverse("requests_app:row_add", args=[cert_request.pk])
    posted = {**PERSON_ROW, "national_id": "", "picked_person": stranger.pk}
    response = client.post(add, posted, **HTMX)
    assert not cert_request.rows.exists()
    assert "001185066666" not in response.content.decode()


def test_the_author_sees_the_stored_values_as_placeholders_and_blank_still_keeps_them(
    client, cast, letter
):
    """The author proofreads what they typed (docs/privacy.md §6); the input stays empty, so
    an imported ID is still confirmed only by typing it."""
    letter.rows.update(national_id_unconfirmed=True)
    sign_in(client, cast.clerk_a)
    page = client.get(editor(letter)).content.decode()
    assert f'placeholder="{CONTACT_ID}"' in page and f'value="{CONTACT_ID}"' not in page
    form = client.get(row_edit(letter), **HTMX).content.decode()
    for value in (ROW_ID, ROW_MOBILE, "05/03/1990"):
        assert f'placeholder="{value}"' in form and f'value="{value}"' not in form
    blank = {**PERSON_ROW, "national_id": "", "date_of_birth": "", "mobile": ""}
    client.post(row_edit(letter), blank, **HTMX)
    row = letter.rows.get()
    assert row.national_id_unconfirmed and (row.national_id, row.mobile) == (ROW_ID, ROW_MOBILE)
