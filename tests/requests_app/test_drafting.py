"""The clerk's drafting pages: list, new letter, editor, inline rows (htmx), pickers.

Personas as in tests/conftest.py. Expected answers: LOGIN (302 to the login page), 200, 403
(in scope, not allowed), 404 (out of scope).
"""

import unicodedata
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from certificates.choices import CertStatus, RevocationReason, SubjectKind
from devices.choices import DeviceStatus
from requests_app import services
from requests_app.choices import FormKind, Status
from requests_app.models import CertRequest, RequestRow
from tests import factories as f

pytestmark = pytest.mark.django_db

LOGIN = "login"
HTMX = {"HTTP_HX_REQUEST": "true"}
CONTACT = {
    "contact_name": "Nguyễn Thị Thu Hà",
    "contact_mobile": "0912100101",
    "contact_email": "ha@laichau.gov.vn",
}
PERSON_ROW = {
    "full_name": "Lò Thị Mai",
    "date_of_birth": "05/03/1990",
    "national_id": "012190001234",
    "id_issue_date": "01/07/2021",
    "id_issue_place": "CCSQLHCVTTXH",
    "email": "mai@laichau.gov.vn",
    "work_agency": "Sở Tài chính tỉnh Lai Châu",
    "province_name": "Lai Châu",
    "position_title": "Chuyên viên",
    "mobile": "0912345678",
    "old_serial": "",
    "sim_carrier": "",
}


def login(client, cast, persona):
    if persona != "anonymous":
        client.force_login(getattr(cast, persona))
    return client


def is_login_redirect(response) -> bool:
    return response.status_code == 302 and response.url.startswith(reverse("login"))


def answer(response):
    return LOGIN if is_login_redirect(response) else response.status_code


def draft(cast, form=FormKind.ISSUE_PERSON, agency=None, **contact):
    return services.cert_request_create(
        agency=agency or cast.agency_a, form=form, by=cast.clerk_a, **{**CONTACT, **contact}
    )


def add_row(cert_request, by, **overrides):
    data = {
        "full_name": "Lò Thị Mai",
        "date_of_birth": date(1990, 3, 5),
        "national_id": "012190001234",
        "id_issue_date": date(2021, 7, 1),
        "id_issue_place": "CCSQLHCVTTXH",
        "email": "mai@laichau.gov.vn",
        "work_agency": "Sở Tài chính",
        "province_name": "Lai Châu",
        "position_title": "Chuyên viên",
        "mobile": "0912345678",
        **overrides,
    }
    return services.row_save(cert_request=cert_request, by=by, data=data)


def bulk_rows(cert_request, n):
    RequestRow.objects.bulk_create(
        RequestRow(
            cert_request=cert_request,
            position=i,
            full_name=f"Người thứ {i}",
            national_id=f"{i:012d}",
            email=f"nguoi{i}@laichau.gov.vn",
        )
        for i in range(1, n + 1)
    )


def certificate(cast, agency=None, days_left=200, **fields):
    agency = agency or cast.agency_a
    fields.setdefault("person", f.PersonFactory(organization=agency))
    return f.CertificateFactory(
        agency=agency, not_after=timezone.now() + timedelta(days=days_left, hours=1), **fields
    )


# --- permission matrices -------------------------------------------------------------------
PERSONAS = [
    "anonymous",
    "clerk_a",
    "head_a",
    "clerk_b",
    "clerk_c",
    "officer_1",
    "officer_2",
    "ca_operator",
    "subscriber_user",
]
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
    cert_request = draft(cast)
    row = add_row(cert_request, cast.clerk_a)
    method, url, matrix = _draft_pages(cert_request, row)[page]
    response = getattr(login(client, cast, persona), method)(url, **HTMX)
    assert answer(response) == matrix[persona]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("action", ["edit", "row_add", "row_edit", "row_delete"])
def test_draft_writes_permission_matrix(client, cast, persona, action):
    cert_request = draft(cast)
    row = add_row(cert_request, cast.clerk_a)
    pk = cert_request.pk
    url, data = {
        "edit": (reverse("requests_app:edit", args=[pk]), {**CONTACT, "_action": "save"}),
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
    mine = draft(cast)
    other = services.cert_request_create(
        agency=cast.agency_b, form=FormKind.REVOKE, by=cast.clerk_b, **CONTACT
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
    cert_request = draft(cast)
    add_row(cert_request, cast.clerk_a)
    services.cert_request_submit(cert_request=cert_request, by=cast.clerk_a)
    client.force_login(cast.clerk_a)
    response = client.get(reverse("requests_app:edit", args=[cert_request.pk]))
    assert response.status_code == 302
    assert response.url == reverse("requests_app:detail", args=[cert_request.pk])
    htmx = client.post(reverse("requests_app:row_add", args=[cert_request.pk]), PERSON_ROW, **HTMX)
    assert htmx.headers["HX-Redirect"] == reverse("requests_app:detail", args=[cert_request.pk])
    assert cert_request.rows.count() == 1


def test_the_agency_head_sees_a_draft_but_may_not_edit_it(client, cast):
    cert_request = draft(cast)
    client.force_login(cast.head_a)
    response = client.post(
        reverse("requests_app:edit", args=[cert_request.pk]),
        {**CONTACT, "contact_name": "Người khác", "_action": "save"},
    )
    assert response.status_code == 403
    cert_request.refresh_from_db()
    assert cert_request.contact_name == CONTACT["contact_name"]


# --- the list ------------------------------------------------------------------------------
def test_list_columns_counts_and_overdue_flag(client, cast):
    late = draft(cast)
    add_row(cert_request=late, by=cast.clerk_a)
    add_row(
        cert_request=late, by=cast.clerk_a, national_id="012190005678", email="b@laichau.gov.vn"
    )
    CertRequest.objects.filter(pk=late.pk).update(
        status=Status.PROVINCE_REVIEW,
        number="12/STC-CKS",
        issued_on=date(2026, 3, 5),
        due_on=timezone.localdate() - timedelta(days=1),
    )
    on_time = draft(cast, form=FormKind.REVOKE)
    client.force_login(cast.clerk_a)
    response = client.get(reverse("requests_app:list"))
    letters = {letter.pk: letter for letter in response.context["letters"]}
    assert letters[late.pk].row_count == 2 and letters[late.pk].is_overdue
    assert letters[on_time.pk].row_count == 0 and not letters[on_time.pk].is_overdue
    html = response.content.decode()
    assert "05/03/2026" in html and "12/STC-CKS" in html and "quá hạn" in html
    assert "Soạn văn bản mới" in html
    for kind in FormKind.values:
        assert f"?mau={kind}" in html


def test_list_filters_by_form_status_and_number(client, cast):
    person = draft(cast)
    revoke = draft(cast, form=FormKind.REVOKE)
    CertRequest.objects.filter(pk=revoke.pk).update(number="7/STC-CKS")
    client.force_login(cast.clerk_a)
    url = reverse("requests_app:list")
    assert [x.pk for x in client.get(url, {"form": "01"}).context["letters"]] == [person.pk]
    assert [x.pk for x in client.get(url, {"q": "7/STC"}).context["letters"]] == [revoke.pk]
    assert list(client.get(url, {"status": "done"}).context["letters"]) == []


def test_officers_filter_by_agency_of_their_province(client, cast):
    for agency, clerk in ((cast.agency_a, cast.clerk_a), (cast.agency_b, cast.clerk_b)):
        cert_request = services.cert_request_create(
            agency=agency, form=FormKind.ISSUE_PERSON, by=clerk, **CONTACT
        )
        CertRequest.objects.filter(pk=cert_request.pk).update(
            status=Status.PROVINCE_REVIEW, issued_on=date(2026, 3, 5), number="1/CKS"
        )
    client.force_login(cast.officer_1)
    response = client.get(reverse("requests_app:list"), {"agency": cast.agency_b.pk})
    assert [x.agency_id for x in response.context["letters"]] == [cast.agency_b.pk]
    options = response.context["filter"].form.fields["agency"].queryset
    assert cast.agency_c not in options


def test_the_agency_head_is_told_what_waits_for_signature(client, cast):
    cert_request = draft(cast)
    add_row(cert_request, cast.clerk_a)
    services.cert_request_submit(cert_request=cert_request, by=cast.clerk_a)
    client.force_login(cast.head_a)
    response = client.get(reverse("requests_app:list"))
    assert response.context["awaiting_signature"] == 1
    assert "chờ bạn ký" in response.content.decode()
    assert response.context["can_draft"] is False


def _count_queries(client, url, params=None):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("persona", ["clerk_a", "head_a", "officer_1", "ca_operator"])
def test_list_query_budget_does_not_grow_with_the_page(client, cast, persona):
    client.force_login(getattr(cast, persona))
    url = reverse("requests_app:list")

    def letters(n):
        for _ in range(n):
            bulk_rows(draft(cast), 2)
        # Issued and forwarded, so that the officer and the CA see them too.
        CertRequest.objects.update(
            status=Status.FORWARDED,
            number="1/CKS",
            issued_on=date(2026, 3, 5),
            forwarded_at=timezone.now(),
            due_on=date(2026, 3, 10),
        )

    letters(10)
    ten = _count_queries(client, url, {"page_size": 100})
    letters(90)
    hundred = _count_queries(client, url, {"page_size": 100})
    assert CertRequest.objects.count() == 100
    assert hundred == ten
    assert ten <= 12


def test_agency_and_province_filters_are_offered_to_who_sees_many_agencies(client, cast):
    for persona, fields in (
        ("clerk_a", {"q", "form", "status"}),
        ("officer_1", {"q", "form", "status", "agency"}),
        ("ca_operator", {"q", "form", "status", "agency", "province"}),
    ):
        client.force_login(getattr(cast, persona))
        response = client.get(reverse("requests_app:list"))
        assert set(response.context["filter"].form.fields) == fields, persona


def test_editor_query_budget_does_not_grow_with_the_rows(client, cast):
    client.force_login(cast.clerk_a)
    small, big = draft(cast), draft(cast)
    bulk_rows(small, 10)
    bulk_rows(big, 100)
    ten = _count_queries(client, reverse("requests_app:edit", args=[small.pk]))
    hundred = _count_queries(client, reverse("requests_app:edit", args=[big.pk]))
    assert hundred == ten
    assert ten <= 10


def test_certificate_editor_query_budget_does_not_grow_with_the_rows(client, cast):
    client.force_login(cast.clerk_a)
    small, big = draft(cast, form=FormKind.REVOKE), draft(cast, form=FormKind.REVOKE)
    for cert_request, n in ((small, 10), (big, 100)):
        RequestRow.objects.bulk_create(
            RequestRow(
                cert_request=cert_request,
                position=i,
                certificate=f.CertificateFactory(
                    person=f.PersonFactory(organization=cast.agency_a)
                ),
                revoke_reason=RevocationReason.RETIRED,
            )
            for i in range(1, n + 1)
        )
    ten = _count_queries(client, reverse("requests_app:edit", args=[small.pk]))
    hundred = _count_queries(client, reverse("requests_app:edit", args=[big.pk]))
    assert hundred == ten


# --- a new letter --------------------------------------------------------------------------
def test_a_clerk_creates_a_letter_prefilled_from_their_own_record(client, cast):
    f.PersonFactory(
        user=cast.clerk_a,
        organization=cast.agency_a,
        full_name="Hoàng Văn Đầu Mối",
        mobile="0988000111",
        official_email="daumoi@laichau.gov.vn",
    )
    client.force_login(cast.clerk_a)
    response = client.post(
        reverse("requests_app:create"), {"form": "04", "agency": cast.agency_a.pk}
    )
    cert_request = CertRequest.objects.get()
    assert response.url == reverse("requests_app:edit", args=[cert_request.pk])
    assert cert_request.form == FormKind.RENEW_CHANGE
    assert cert_request.agency == cast.agency_a
    assert cert_request.status == Status.DRAFT
    assert cert_request.contact_name == "Hoàng Văn Đầu Mối"
    assert cert_request.contact_email == "daumoi@laichau.gov.vn"


def test_a_clerk_cannot_create_a_letter_for_another_agency(client, cast):
    client.force_login(cast.clerk_a)
    response = client.post(
        reverse("requests_app:create"), {"form": "01", "agency": cast.agency_b.pk}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["agency"]
    assert not CertRequest.objects.exists()


def test_the_form_kind_comes_from_the_link(client, cast):
    client.force_login(cast.clerk_a)
    response = client.get(reverse("requests_app:create") + "?mau=05")
    assert response.context["form"].initial["form"] == "05"


# --- the editor: section 1 and submission --------------------------------------------------
def test_section_one_is_saved_as_a_draft(client, cast):
    cert_request = draft(cast)
    client.force_login(cast.clerk_a)
    response = client.post(
        reverse("requests_app:edit", args=[cert_request.pk]),
        {
            **CONTACT,
            "contact_national_id": "012190001111",
            "contact_id_issue_date": "05/03/2021",
            "delivery_address": "Số 5 đường Trần Hưng Đạo",
            "_action": "save",
        },
    )
    assert response.status_code == 302
    cert_request.refresh_from_db()
    assert cert_request.contact_id_issue_date == date(2021, 3, 5), "dd/mm/yyyy, never mm/dd"
    assert cert_request.delivery_address == "Số 5 đường Trần Hưng Đạo"
    assert cert_request.status == Status.DRAFT


def test_section_one_errors_are_shown_next_to_the_field(client, cast):
    cert_request = draft(cast)
    client.force_login(cast.clerk_a)
    response = client.post(
        reverse("requests_app:edit", args=[cert_request.pk]),
        {**CONTACT, "contact_email": "ha@gmail.com", "_action": "save"},
    )
    assert response.status_code == 200
    assert "gmail.com" in response.context["contact_form"].errors["contact_email"][0]
    cert_request.refresh_from_db()
    assert cert_request.contact_email == CONTACT["contact_email"]


def test_recovery_letters_ask_for_the_person_assisting_the_recovery(client, cast):
    cert_request = draft(cast, form=FormKind.RECOVER_DEVICE, contact_email="")
    client.force_login(cast.clerk_a)
    response = client.get(reverse("requests_app:edit", args=[cert_request.pk]))
    fields = response.context["contact_form"].fields
    assert "contact_agency" in fields and "contact_email" not in fields
    assert "người hỗ trợ khôi phục" in response.content.decode()


def test_submit_saves_section_one_then_sends_the_letter_to_the_head(client, cast):
    cert_request = draft(cast, contact_mobile="")
    add_row(cert_request, cast.clerk_a)
    client.force_login(cast.clerk_a)
    response = client.post(
        reverse("requests_app:edit", args=[cert_request.pk]),
        {**CONTACT, "contact_mobile": "0912000222", "_action": "submit"},
    )
    assert response.url == reverse("requests_app:detail", args=[cert_request.pk])
    cert_request.refresh_from_db()
    assert cert_request.status == Status.AWAITING_HEAD
    assert cert_request.contact_mobile == "0912000222"


def test_a_draft_sent_back_shows_the_comments_it_came_back_with(client, cast):
    cert_request = draft(cast)
    add_row(cert_request, cast.clerk_a)
    services.cert_request_submit(cert_request=cert_request, by=cast.clerk_a)
    services.cert_request_send_back(
        cert_request=cert_request, by=cast.head_a, note="Ghi rõ chức vụ của dòng 1."
    )
    client.force_login(cast.clerk_a)
    response = client.get(reverse("requests_app:edit", args=[cert_request.pk]))
    assert response.context["returned"].note == "Ghi rõ chức vụ của dòng 1."
    assert "Ghi rõ chức vụ của dòng 1." in response.content.decode()
    fresh = draft(cast)
    response = client.get(reverse("requests_app:edit", args=[fresh.pk]))
    assert response.context["returned"] is None


def test_submit_refused_by_the_rules_is_a_message_not_an_error_page(client, cast):
    cert_request = draft(cast)  # no rows yet
    client.force_login(cast.clerk_a)
    response = client.post(
        reverse("requests_app:edit", args=[cert_request.pk]),
        {**CONTACT, "_action": "submit"},
        follow=True,
    )
    assert response.status_code == 200
    assert "chưa có dòng nào" in response.content.decode()
    cert_request.refresh_from_db()
    assert cert_request.status == Status.DRAFT


# --- rows, inline (htmx) -------------------------------------------------------------------
def test_htmx_add_row_returns_the_new_row_and_a_fresh_form(client, cast):
    cert_request = draft(cast)
    client.force_login(cast.clerk_a)
    response = client.post(
        reverse("requests_app:row_add", args=[cert_request.pk]), PERSON_ROW, **HTMX
    )
    row = cert_request.rows.get()
    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="dong-{row.pk}"' in html and "Lò Thị Mai" in html
    assert 'id="row-add"' in html and 'hx-swap-oob="true"' in html
    assert row.date_of_birth == date(1990, 3, 5)
    assert "HX-Retarget" not in response.headers


def test_htmx_add_row_with_invalid_data_shows_inline_errors_and_saves_nothing(client, cast):
    cert_request = draft(cast)
    client.force_login(cast.clerk_a)
    response = client.post(
        reverse("requests_app:row_add", args=[cert_request.pk]),
        {**PERSON_ROW, "national_id": "01219000123", "email": "mai@gmail.com", "full_name": ""},
        **HTMX,
    )
    assert response.status_code == 200
    assert response.headers["HX-Retarget"] == "#row-add"
    assert response.headers["HX-Reswap"] == "outerHTML"
    errors = response.context["form"].errors
    assert "12 chữ số" in errors["national_id"][0]
    assert "gmail.com" in errors["email"][0]
    assert errors["full_name"] == ["Trường này là bắt buộc."]
    html = response.content.decode()
    assert 'class="field-error"' in html and "12 chữ số" in html
    assert not cert_request.rows.exists()


def test_a_date_that_is_not_dd_mm_yyyy_is_an_inline_error(client, cast):
    cert_request = draft(cast)
    client.force_login(cast.clerk_a)
    response = client.post(
        reverse("requests_app:row_add", args=[cert_request.pk]),
        {**PERSON_ROW, "date_of_birth": "13/25/1990"},
        **HTMX,
    )
    assert "dd/mm/yyyy" in response.context["form"].errors["date_of_birth"][0]
    assert not cert_request.rows.exists()


def test_add_row_without_javascript_redirects_or_redisplays_the_editor(client, cast):
    cert_request = draft(cast)
    client.force_login(cast.clerk_a)
    url = reverse("requests_app:row_add", args=[cert_request.pk])
    bad = client.post(url, {**PERSON_ROW, "mobile": "12345"})
    assert bad.status_code == 200 and bad.templates[0].name == "requests_app/drafting/edit.html"
    assert "bắt đầu bằng 0" in bad.context["add_form"].errors["mobile"][0]
    good = client.post(url, PERSON_ROW)
    row = cert_request.rows.get()
    assert good.url == reverse("requests_app:edit", args=[cert_request.pk]) + f"#dong-{row.pk}"


def test_decomposed_text_typed_in_a_row_is_stored_composed(client, cast):
    cert_request = draft(cast)
    client.force_login(cast.clerk_a)
    name = unicodedata.normalize("NFD", "Nguyễn Thị Hằng")
    client.post(
        reverse("requests_app:row_add", args=[cert_request.pk]),
        {**PERSON_ROW, "full_name": name},
        **HTMX,
    )
    assert cert_request.rows.get().full_name == unicodedata.normalize("NFC", name)


def test_htmx_edit_row_returns_the_row_or_the_form_with_errors(client, cast):
    cert_request = draft(cast)
    row = add_row(cert_request, cast.clerk_a)
    client.force_login(cast.clerk_a)
    url = reverse("requests_app:row_edit", args=[cert_request.pk, row.pk])
    form = client.get(url, **HTMX)
    assert form.context["form"].initial["full_name"] == "Lò Thị Mai"
    assert 'value="05/03/1990"' in form.content.decode()

    bad = client.post(url, {**PERSON_ROW, "email": "mai@yahoo.com"}, **HTMX)
    assert bad.templates[0].name == "requests_app/partials/_row_edit.html"
    assert "yahoo.com" in bad.context["form"].errors["email"][0]
    row.refresh_from_db()
    assert row.email == "mai@laichau.gov.vn"

    good = client.post(url, {**PERSON_ROW, "position_title": "Phó Trưởng phòng"}, **HTMX)
    assert good.templates[0].name == "requests_app/partials/_row_saved.html"
    assert "Phó Trưởng phòng" in good.content.decode()
    row.refresh_from_db()
    assert row.position_title == "Phó Trưởng phòng"


def test_a_row_of_another_letter_is_not_found(client, cast):
    mine, other = draft(cast), draft(cast)
    row = add_row(other, cast.clerk_a)
    client.force_login(cast.clerk_a)
    url = reverse("requests_app:row_edit", args=[mine.pk, row.pk])
    assert client.get(url, **HTMX).status_code == 404
    assert (
        client.post(reverse("requests_app:row_delete", args=[mine.pk, row.pk])).status_code == 404
    )


def test_each_row_links_to_its_own_edit_and_delete(client, cast):
    cert_request = draft(cast)
    row = add_row(cert_request, cast.clerk_a)
    client.force_login(cast.clerk_a)
    html = client.get(reverse("requests_app:edit", args=[cert_request.pk])).content.decode()
    assert f'hx-get="{reverse("requests_app:row_edit", args=[cert_request.pk, row.pk])}"' in html
    assert f'hx-post="{reverse("requests_app:row_delete", args=[cert_request.pk, row.pk])}"' in html


def test_htmx_delete_row_renumbers_the_rest(client, cast):
    cert_request = draft(cast)
    first = add_row(cert_request, cast.clerk_a)
    add_row(cert_request, cast.clerk_a, national_id="012190005678", email="b@laichau.gov.vn")
    client.force_login(cast.clerk_a)
    response = client.post(
        reverse("requests_app:row_delete", args=[cert_request.pk, first.pk]), **HTMX
    )
    assert response.status_code == 200
    assert not RequestRow.objects.filter(pk=first.pk).exists()
    assert list(cert_request.rows.values_list("position", flat=True)) == [1]
    html = response.content.decode()
    assert 'id="rows-count"' in html and "1 dòng" in html
    assert "Đã xóa dòng 1." in html


def test_mau_04_rows_have_both_ticks_and_the_certificate_by_serial(client, cast):
    cert_request = draft(cast, form=FormKind.RENEW_CHANGE)
    cert = certificate(cast, days_left=200)
    client.force_login(cast.clerk_a)
    url = reverse("requests_app:row_add", args=[cert_request.pk])
    editor = client.get(reverse("requests_app:edit", args=[cert_request.pk]))
    assert list(editor.context["add_form"].fields) == [
        "certificate",
        "renew",
        "change_info",
        "change_field",
        "new_value",
    ]
    nothing_ticked = client.post(url, {"certificate": cert.serial}, **HTMX)
    assert "Chọn ít nhất một dịch vụ" in nothing_ticked.content.decode()
    client.post(
        url,
        {
            "certificate": cert.serial.upper(),
            "renew": "on",
            "change_info": "on",
            "change_field": "email",
            "new_value": "moi@laichau.gov.vn",
        },
        **HTMX,
    )
    row = cert_request.rows.get()
    assert row.certificate == cert and row.renew and row.change_info


def test_an_unknown_or_out_of_scope_serial_is_not_found(client, cast):
    cert_request = draft(cast, form=FormKind.REVOKE)
    foreign = certificate(cast, agency=cast.agency_c)
    client.force_login(cast.clerk_a)
    response = client.post(
        reverse("requests_app:row_add", args=[cert_request.pk]),
        {"certificate": foreign.serial, "revoke_reason": RevocationReason.RETIRED},
        **HTMX,
    )
    assert "Không tìm thấy chứng thư" in response.context["form"].errors["certificate"][0]
    assert not cert_request.rows.exists()


def test_mau_05_reasons_are_limited_to_the_subject_kind_of_the_picked_certificate(client, cast):
    cert_request = draft(cast, form=FormKind.REVOKE)
    org_cert = certificate(
        cast,
        subject_kind=SubjectKind.ORGANIZATION,
        person=None,
        subject_organization=cast.agency_a,
        common_name="SỞ TÀI CHÍNH",
        email="stc@laichau.gov.vn",
    )
    client.force_login(cast.clerk_a)
    response = client.get(
        reverse("requests_app:row_add", args=[cert_request.pk]), {"chon": org_cert.pk}, **HTMX
    )
    form = response.context["form"]
    assert form.initial["certificate"] == org_cert.serial
    shown = {value for value, _label in form.fields["revoke_reason"].widget.choices}
    assert RevocationReason.MERGED in shown and RevocationReason.RETIRED not in shown
    assert RevocationReason.SUPERSEDED not in shown
    # A reason of another subject kind gets the rule's message, next to the field.
    refused = client.post(
        reverse("requests_app:row_add", args=[cert_request.pk]),
        {"certificate": org_cert.serial, "revoke_reason": RevocationReason.RETIRED},
        **HTMX,
    )
    assert "loại thuê bao" in refused.context["form"].errors["revoke_reason"][0]
    assert not cert_request.rows.exists()


# --- pickers -------------------------------------------------------------------------------
def _pick(client, cert_request, kind, q=""):
    response = client.get(
        reverse("requests_app:pick", args=[cert_request.pk, kind]), {"q": q}, **HTMX
    )
    assert response.status_code == 200
    return response.context["results"]


def test_person_picker_returns_only_people_of_the_agency(client, cast):
    cert_request = draft(cast)
    ours = f.PersonFactory(organization=cast.unit_a, full_name="Trần Văn Bình")
    f.PersonFactory(organization=cast.agency_b, full_name="Trần Văn Bảo")
    client.force_login(cast.clerk_a)
    results = _pick(client, cert_request, "person", "Trần")
    assert results == [ours]


def test_picking_a_person_fills_the_row_form(client, cast):
    cert_request = draft(cast)
    person = f.PersonFactory(organization=cast.unit_a, full_name="Trần Văn Bình")
    client.force_login(cast.clerk_a)
    response = client.get(
        reverse("requests_app:row_add", args=[cert_request.pk]),
        {"chon": person.pk, "old_serial": "ABC123"},
        **HTMX,
    )
    initial = response.context["form"].initial
    assert initial["full_name"] == "Trần Văn Bình"
    assert initial["national_id"] == person.national_id
    assert initial["work_agency"] == "Phòng Ngân sách"
    assert initial["old_serial"] == "ABC123", "what the clerk typed is kept"
    foreign = f.PersonFactory(organization=cast.agency_b)
    response = client.get(
        reverse("requests_app:row_add", args=[cert_request.pk]), {"chon": foreign.pk}, **HTMX
    )
    assert "full_name" not in response.context["form"].initial


def test_certificate_picker_returns_only_valid_certificates_of_the_agency(client, cast):
    cert_request = draft(cast, form=FormKind.RENEW_CHANGE)
    valid = certificate(cast)
    certificate(cast, status=CertStatus.REVOKED, revoked_at=timezone.now())
    certificate(cast, days_left=-3)  # still marked valid, but its validity has ended
    certificate(cast, agency=cast.agency_b)
    client.force_login(cast.clerk_a)
    assert _pick(client, cert_request, "certificate") == [valid]
    assert _pick(client, cert_request, "certificate", valid.serial[:6]) == [valid]


def test_device_picker_returns_only_locked_devices_of_the_agency(client, cast):
    cert_request = draft(cast, form=FormKind.RECOVER_DEVICE, contact_email="")
    locked = f.DeviceFactory(agency=cast.agency_a, status=DeviceStatus.LOCKED)
    f.DeviceFactory(agency=cast.agency_a, status=DeviceStatus.HANDED_TO_SUBSCRIBER)
    f.DeviceFactory(agency=cast.agency_b, status=DeviceStatus.LOCKED)
    client.force_login(cast.clerk_a)
    assert _pick(client, cert_request, "device") == [locked]
    client.post(
        reverse("requests_app:row_add", args=[cert_request.pk]), {"device": locked.serial}, **HTMX
    )
    assert cert_request.rows.get().device == locked


def test_pickers_are_limited_to_20_and_do_not_query_per_result(client, cast):
    cert_request = draft(cast, form=FormKind.REVOKE)
    for _ in range(25):
        certificate(cast)
    client.force_login(cast.clerk_a)
    url = reverse("requests_app:pick", args=[cert_request.pk, "certificate"])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **HTMX)
    assert len(response.context["results"]) == 20
    assert len(queries) <= 8


def test_a_picker_of_another_form_kind_is_not_found(client, cast):
    cert_request = draft(cast)
    client.force_login(cast.clerk_a)
    url = reverse("requests_app:pick", args=[cert_request.pk, "certificate"])
    assert client.get(url, **HTMX).status_code == 404
