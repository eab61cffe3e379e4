"""Who may see and write a draft: the permission matrices of the drafting pages.

Personas as in tests/conftest.py. Expected answers: LOGIN (302 to the login page), 200, 403
(in scope, not allowed), 404 (out of scope).
"""

import pytest
from django.urls import reverse

from requests_app import services
from requests_app.choices import FormKind
from tests.factories import (
    LETTER_CONTACT,
    PERSON_ROW,
    letter_draft,
    letter_row_add,
)
from tests.helpers import HTMX, LOGIN, PERSONAS, answer, is_login_redirect, login, sign_in

pytestmark = pytest.mark.django_db


# --- permission matrices -------------------------------------------------------------------
# A draft of agency A: its clerk edits it, its head sees it but may not edit it; nobody else
# sees an agency's unsent draft (not even its province's office).
DRAFT_EDIT = {
    "anonymous": LOGIN,
    "clerk_a": 200,
    "head_a": 403,
    "clerk_b": 404,
    "clerk_c": 404,
    "officer_1": 404,
    "officer_2": 404,
    "ca_operator": 404,
    "subscriber_user": 404,
}
DRAFT_VIEW = {**DRAFT_EDIT, "head_a": 200}


def _draft_pages(cert_request, row):
    pk = cert_request.pk
    return {
        "edit": ("get", reverse("requests_app:edit", args=[pk]), DRAFT_EDIT),
        "row_add": ("get", reverse("requests_app:row_add", args=[pk]), DRAFT_EDIT),
        "row_edit": ("get", reverse("requests_app:row_edit", args=[pk, row.pk]), DRAFT_EDIT),
        "row_show": ("get", reverse("requests_app:row_show", args=[pk, row.pk]), DRAFT_EDIT),
        "pick": ("get", reverse("requests_app:pick", args=[pk, "person"]), DRAFT_EDIT),
        "import": ("get", reverse("requests_app:import", args=[pk]), DRAFT_EDIT),
        "export": ("get", reverse("requests_app:export", args=[pk]), DRAFT_VIEW),
    }


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(
    "page", ["edit", "row_add", "row_edit", "row_show", "pick", "import", "export"]
)
def test_draft_page_permission_matrix(client, cast, persona, page):
    cert_request = letter_draft(cast)
    row = letter_row_add(cert_request, cast.clerk_a)
    method, url, matrix = _draft_pages(cert_request, row)[page]
    response = getattr(login(client, cast, persona), method)(url, **HTMX)
    assert answer(response) == matrix[persona]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("action", ["edit", "row_add", "row_edit", "row_delete"])
def test_draft_writes_permission_matrix(client, cast, persona, action):
    cert_request = letter_draft(cast)
    row = letter_row_add(cert_request, cast.clerk_a)
    pk = cert_request.pk
    url, data = {
        "edit": (reverse("requests_app:edit", args=[pk]), {**LETTER_CONTACT, "_action": "save"}),
        "row_add": (
            reverse("requests_app:row_add", args=[pk]),
            {**PERSON_ROW, "national_id": "012190009999", "email": "b@laichau.gov.vn"},
        ),
        "row_edit": (reverse("requests_app:row_edit", args=[pk, row.pk]), PERSON_ROW),
        "row_delete": (reverse("requests_app:row_delete", args=[pk, row.pk]), {}),
    }[action]
    response = login(client, cast, persona).post(url, data)
    expected = DRAFT_EDIT[persona]
    if expected == 200:
        assert response.status_code == 302  # back to the editor
        assert response.url.startswith(reverse("requests_app:edit", args=[pk]))
    else:
        assert answer(response) == expected
        row.refresh_from_db()
        assert row.full_name == "Lò Thị Mai", "an outsider changed nothing"
        assert cert_request.rows.count() == 1


@pytest.mark.parametrize(
    "persona, expected",
    [
        ("anonymous", LOGIN),
        ("clerk_a", 200),
        ("head_a", 403),
        ("clerk_b", 200),
        ("officer_1", 403),
        ("ca_operator", 403),
        ("subscriber_user", 403),
    ],
)
def test_new_letter_page_is_for_clerks(client, cast, persona, expected):
    response = login(client, cast, persona).get(reverse("requests_app:create") + "?mau=01")
    assert answer(response) == expected


@pytest.mark.parametrize("persona", PERSONAS)
def test_list_shows_only_the_letters_in_scope(client, cast, persona):
    mine = letter_draft(cast)
    other = services.cert_request_create(
        agency=cast.agency_b, form=FormKind.REVOKE, by=cast.clerk_b, **LETTER_CONTACT
    )
    response = login(client, cast, persona).get(reverse("requests_app:list"))
    if persona == "anonymous":
        assert is_login_redirect(response)
        return
    assert response.status_code == 200
    shown = {letter.pk for letter in response.context["letters"]}
    expected = {
        "clerk_a": {mine.pk},
        "head_a": {mine.pk},
        "clerk_b": {other.pk},
    }.get(persona, set())
    assert shown == expected


def test_a_clerk_whose_letter_was_submitted_is_sent_to_its_read_page(client, cast):
    cert_request = letter_draft(cast)
    letter_row_add(cert_request, cast.clerk_a)
    services.cert_request_submit(cert_request=cert_request, by=cast.clerk_a)
    sign_in(client, cast.clerk_a)
    response = client.get(reverse("requests_app:edit", args=[cert_request.pk]))
    assert response.status_code == 302
    assert response.url == reverse("requests_app:detail", args=[cert_request.pk])
    htmx = client.post(reverse("requests_app:row_add", args=[cert_request.pk]), PERSON_ROW, **HTMX)
    assert htmx.headers["HX-Redirect"] == reverse("requests_app:detail", args=[cert_request.pk])
    assert cert_request.rows.count() == 1


def test_the_agency_head_sees_a_draft_but_may_not_edit_it(client, cast):
    cert_request = letter_draft(cast)
    sign_in(client, cast.head_a)
    response = client.post(
        reverse("requests_app:edit", args=[cert_request.pk]),
        {**LETTER_CONTACT, "contact_name": "Người khác", "_action": "save"},
    )
    assert response.status_code == 403
    cert_request.refresh_from_db()
    assert cert_request.contact_name == LETTER_CONTACT["contact_name"]
