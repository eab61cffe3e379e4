"""A new letter: created by a clerk of the agency, prefilled from their own record."""

import pytest
from django.urls import reverse
from django.utils import timezone

from agencies.models import Person
from agencies.services.retention import persons_minimise
from requests_app.choices import FormKind, Status
from requests_app.models import CertRequest
from tests import factories as f
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db


# --- a new letter --------------------------------------------------------------------------
def test_a_clerk_creates_a_letter_prefilled_from_their_own_record(client, cast):
    f.PersonFactory(
        user=cast.clerk_a,
        organization=cast.agency_a,
        full_name="Hoàng Văn Đầu Mối",
        mobile="0988000111",
        official_email="daumoi@laichau.gov.vn",
    )
    sign_in(client, cast.clerk_a)
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


def test_a_record_whose_data_was_minimised_fills_nothing_in(client, cast):
    own = f.PersonFactory(user=cast.clerk_a, organization=cast.agency_a, full_name="Hoàng Văn A")
    persons_minimise(Person.objects.filter(pk=own.pk), now=timezone.now())
    sign_in(client, cast.clerk_a)

    client.post(reverse("requests_app:create"), {"form": "04", "agency": cast.agency_a.pk})

    cert_request = CertRequest.objects.get()
    assert (cert_request.contact_name, cert_request.contact_national_id) == ("", "")


def test_a_clerk_cannot_create_a_letter_for_another_agency(client, cast):
    sign_in(client, cast.clerk_a)
    response = client.post(
        reverse("requests_app:create"), {"form": "01", "agency": cast.agency_b.pk}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["agency"]
    assert not CertRequest.objects.exists()


def test_the_form_kind_comes_from_the_link(client, cast):
    sign_in(client, cast.clerk_a)
    response = client.get(reverse("requests_app:create") + "?mau=05")
    assert response.context["form"].initial["form"] == "05"
