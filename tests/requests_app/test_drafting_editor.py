"""The draft editor: section 1, submission to the head, and its query budget."""

from datetime import date

import pytest
from django.urls import reverse

from certificates.choices import RevocationReason
from requests_app import services
from requests_app.choices import FormKind, Status
from requests_app.models import RequestRow
from tests import factories as f
from tests.factories import (
    LETTER_CONTACT,
    letter_draft,
    letter_row_add,
    letter_rows_bulk,
)
from tests.helpers import count_queries, sign_in

pytestmark = pytest.mark.django_db


# --- the editor: section 1 and submission --------------------------------------------------
def test_section_one_is_saved_as_a_draft(client, cast):
    cert_request = letter_draft(cast)
    sign_in(client, cast.clerk_a)
    response = client.post(
        reverse("requests_app:edit", args=[cert_request.pk]),
        {
            **LETTER_CONTACT,
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


def test_the_clerk_edits_the_letters_recipients_with_section_one(client, cast):
    cert_request = letter_draft(cast)
    sign_in(client, cast.clerk_a)
    page = client.get(reverse("requests_app:edit", args=[cert_request.pk])).content.decode()
    assert 'name="recipients"' in page
    response = client.post(
        reverse("requests_app:edit", args=[cert_request.pk]),
        {**LETTER_CONTACT, "recipients": "- Như trên;\n- Lưu: VT, VP.", "_action": "save"},
    )
    assert response.status_code == 302
    cert_request.refresh_from_db()
    assert cert_request.recipients == "- Như trên;\n- Lưu: VT, VP."


def test_section_one_errors_are_shown_next_to_the_field(client, cast):
    cert_request = letter_draft(cast)
    sign_in(client, cast.clerk_a)
    response = client.post(
        reverse("requests_app:edit", args=[cert_request.pk]),
        {**LETTER_CONTACT, "contact_email": "ha@gmail.com", "_action": "save"},
    )
    assert response.status_code == 200
    assert "gmail.com" in response.context["contact_form"].errors["contact_email"][0]
    cert_request.refresh_from_db()
    assert cert_request.contact_email == LETTER_CONTACT["contact_email"]


def test_recovery_letters_ask_for_the_person_assisting_the_recovery(client, cast):
    cert_request = letter_draft(cast, form=FormKind.RECOVER_DEVICE, contact_email="")
    sign_in(client, cast.clerk_a)
    response = client.get(reverse("requests_app:edit", args=[cert_request.pk]))
    fields = response.context["contact_form"].fields
    assert "contact_agency" in fields and "contact_email" not in fields
    assert "người hỗ trợ khôi phục" in response.content.decode()


def test_submit_saves_section_one_then_sends_the_letter_to_the_head(client, cast):
    cert_request = letter_draft(cast, contact_mobile="")
    letter_row_add(cert_request, cast.clerk_a)
    sign_in(client, cast.clerk_a)
    response = client.post(
        reverse("requests_app:edit", args=[cert_request.pk]),
        {**LETTER_CONTACT, "contact_mobile": "0912000222", "_action": "submit"},
    )
    assert response.url == reverse("requests_app:detail", args=[cert_request.pk])
    cert_request.refresh_from_db()
    assert cert_request.status == Status.AWAITING_HEAD
    assert cert_request.contact_mobile == "0912000222"


def test_a_draft_sent_back_shows_the_comments_it_came_back_with(client, cast):
    cert_request = letter_draft(cast)
    letter_row_add(cert_request, cast.clerk_a)
    services.cert_request_submit(cert_request=cert_request, by=cast.clerk_a)
    services.cert_request_send_back(
        cert_request=cert_request, by=cast.head_a, note="Ghi rõ chức vụ của dòng 1."
    )
    sign_in(client, cast.clerk_a)
    response = client.get(reverse("requests_app:edit", args=[cert_request.pk]))
    assert response.context["returned"].note == "Ghi rõ chức vụ của dòng 1."
    assert "Ghi rõ chức vụ của dòng 1." in response.content.decode()
    fresh = letter_draft(cast)
    response = client.get(reverse("requests_app:edit", args=[fresh.pk]))
    assert response.context["returned"] is None


def test_submit_refused_by_the_rules_is_a_message_not_an_error_page(client, cast):
    cert_request = letter_draft(cast)  # no rows yet
    sign_in(client, cast.clerk_a)
    response = client.post(
        reverse("requests_app:edit", args=[cert_request.pk]),
        {**LETTER_CONTACT, "_action": "submit"},
        follow=True,
    )
    assert response.status_code == 200
    assert "chưa có dòng nào" in response.content.decode()
    cert_request.refresh_from_db()
    assert cert_request.status == Status.DRAFT


def test_editor_query_budget_does_not_grow_with_the_rows(client, cast):
    sign_in(client, cast.clerk_a)
    small, big = letter_draft(cast), letter_draft(cast)
    letter_rows_bulk(small, 10)
    letter_rows_bulk(big, 100)
    ten = count_queries(client, reverse("requests_app:edit", args=[small.pk]))
    hundred = count_queries(client, reverse("requests_app:edit", args=[big.pk]))
    assert hundred == ten
    assert ten <= 10


def test_certificate_editor_query_budget_does_not_grow_with_the_rows(client, cast):
    sign_in(client, cast.clerk_a)
    small, big = letter_draft(cast, form=FormKind.REVOKE), letter_draft(cast, form=FormKind.REVOKE)
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
    ten = count_queries(client, reverse("requests_app:edit", args=[small.pk]))
    hundred = count_queries(client, reverse("requests_app:edit", args=[big.pk]))
    assert hundred == ten
