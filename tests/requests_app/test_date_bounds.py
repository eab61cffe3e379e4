"""Dates within sane bounds (docs/domain.md): born from 1900 to 16 years ago, ID issued not in the
future, in the row rules (imports included) and in the forms."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from agencies.validators import validate_birth_date, validate_issue_date
from requests_app import rules
from requests_app.models import RequestRow
from tests.factories import PERSON_ROW, letter_draft
from tests.helpers import HTMX, sign_in


@pytest.mark.parametrize("born", [date(1, 1, 1), date(9999, 12, 31), date(1899, 12, 31), None])
def test_an_absurd_date_of_birth_is_refused(born):
    born = born or timezone.localdate()
    with pytest.raises(ValidationError):
        validate_birth_date(born)


def test_a_sixteen_year_old_and_a_person_born_in_1900_are_accepted():
    today = timezone.localdate()
    validate_birth_date(date(1900, 1, 1))
    validate_birth_date(
        date(today.year - 16, 1, 1) if today.month > 1 else date(today.year - 17, 1, 1)
    )


@pytest.mark.parametrize("days_ahead", [1, None])
def test_an_issue_date_in_the_future_or_before_1900_is_refused(days_ahead):
    # "Tomorrow" is taken when the test runs, not when the suite is collected: a run that
    # crosses midnight would otherwise check today's date.
    issued = date(1, 1, 1) if days_ahead is None else timezone.localdate() + timedelta(days_ahead)
    with pytest.raises(ValidationError):
        validate_issue_date(issued)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("date_of_birth", "01/01/0001"),
        ("date_of_birth", "31/12/9999"),
        ("id_issue_date", "31/12/9999"),
    ],
)
def test_the_row_form_refuses_an_absurd_date_and_saves_nothing(client, cast, field, value):
    cert_request = letter_draft(cast)
    sign_in(client, cast.clerk_a)
    response = client.post(
        reverse("requests_app:row_add", args=[cert_request.pk]),
        {**PERSON_ROW, field: value},
        **HTMX,
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not RequestRow.objects.exists()


@pytest.mark.django_db
def test_the_row_rules_refuse_an_absurd_date_from_an_import(cast):
    cert_request = letter_draft(cast)
    row = RequestRow(
        cert_request=cert_request,
        position=1,
        full_name="Lò Thị Mai",
        national_id="012190001234",
        email="mai@laichau.gov.vn",
        date_of_birth=date(9999, 12, 31),
        id_issue_date=date(9999, 12, 31),
    )
    errors = rules.row_errors(row)
    assert "date_of_birth" in errors and "id_issue_date" in errors
