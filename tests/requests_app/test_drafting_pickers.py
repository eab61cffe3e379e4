"""The pickers: people, valid certificates and locked devices of the agency."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agencies.models import Person
from agencies.services.retention import persons_minimise
from certificates.choices import CertStatus
from devices.choices import DeviceStatus
from requests_app.choices import FormKind
from tests import factories as f
from tests.factories import (
    certificate_valid_for,
    letter_draft,
)
from tests.helpers import HTMX, sign_in

pytestmark = pytest.mark.django_db


# --- pickers -------------------------------------------------------------------------------
def _pick(client, cert_request, kind, q=""):
    response = client.get(
        reverse("requests_app:pick", args=[cert_request.pk, kind]), {"q": q}, **HTMX
    )
    assert response.status_code == 200
    return response.context["results"]


def test_person_picker_returns_only_people_of_the_agency(client, cast):
    cert_request = letter_draft(cast)
    ours = f.PersonFactory(organization=cast.unit_a, full_name="Trần Văn Bình")
    f.PersonFactory(organization=cast.agency_b, full_name="Trần Văn Bảo")
    sign_in(client, cast.clerk_a)
    results = _pick(client, cert_request, "person", "Trần")
    assert results == [ours]


def test_pickers_find_names_typed_without_accents(client, cast):
    cert_request = letter_draft(cast)
    person = f.PersonFactory(organization=cast.unit_a, full_name="Đặng Thị Hằng")
    f.PersonFactory(organization=cast.unit_a, full_name="Trần Văn Bình")
    sign_in(client, cast.clerk_a)
    assert _pick(client, cert_request, "person", "dang thi hang") == [person]
    renewal = letter_draft(cast, form=FormKind.RENEW_CHANGE)
    certificate = certificate_valid_for(cast, person=person, common_name=person.full_name)
    assert _pick(client, renewal, "certificate", "Hang") == [certificate]
    recovery = letter_draft(cast, form=FormKind.RECOVER_DEVICE, contact_email="")
    device = f.DeviceFactory(agency=cast.agency_a, status=DeviceStatus.LOCKED, holder=person)
    assert _pick(client, recovery, "device", "hang") == [device]


def test_picking_a_person_fills_the_row_form(client, cast):
    cert_request = letter_draft(cast)
    person = f.PersonFactory(organization=cast.unit_a, full_name="Trần Văn Bình")
    sign_in(client, cast.clerk_a)
    response = client.get(
        reverse("requests_app:row_add", args=[cert_request.pk]),
        {"chon": person.pk, "old_serial": "ABC123"},
        **HTMX,
    )
    form = response.context["form"]
    initial = form.initial
    assert initial["full_name"] == "Trần Văn Bình"
    assert form.kept["national_id"] == person.national_id, "kept, never written in the page"
    assert person.national_id not in response.content.decode()
    assert initial["work_agency"] == "Phòng Ngân sách"
    assert initial["old_serial"] == "ABC123", "what the clerk typed is kept"
    foreign = f.PersonFactory(organization=cast.agency_b)
    response = client.get(
        reverse("requests_app:row_add", args=[cert_request.pk]), {"chon": foreign.pk}, **HTMX
    )
    assert "full_name" not in response.context["form"].initial


def test_people_whose_data_was_minimised_are_neither_offered_nor_filled_in(client, cast):
    cert_request = letter_draft(cast)
    kept = f.PersonFactory(organization=cast.unit_a, full_name="Trần Văn Bình")
    minimised = f.PersonFactory(organization=cast.unit_a, full_name="Trần Văn Bảo")
    persons_minimise(Person.objects.filter(pk=minimised.pk), now=timezone.now())
    sign_in(client, cast.clerk_a)

    assert _pick(client, cert_request, "person", "Trần") == [kept]
    response = client.get(
        reverse("requests_app:row_add", args=[cert_request.pk]), {"chon": minimised.pk}, **HTMX
    )
    assert "national_id" not in response.context["form"].initial


def test_certificate_picker_returns_only_valid_certificates_of_the_agency(client, cast):
    cert_request = letter_draft(cast, form=FormKind.RENEW_CHANGE)
    valid = certificate_valid_for(cast)
    certificate_valid_for(cast, status=CertStatus.REVOKED, revoked_at=timezone.now())
    certificate_valid_for(cast, days_left=-3)  # still marked valid, but its validity has ended
    certificate_valid_for(cast, agency=cast.agency_b)
    sign_in(client, cast.clerk_a)
    assert _pick(client, cert_request, "certificate") == [valid]
    assert _pick(client, cert_request, "certificate", valid.serial[:6]) == [valid]


def test_device_picker_returns_only_locked_devices_of_the_agency(client, cast):
    cert_request = letter_draft(cast, form=FormKind.RECOVER_DEVICE, contact_email="")
    locked = f.DeviceFactory(agency=cast.agency_a, status=DeviceStatus.LOCKED)
    f.DeviceFactory(agency=cast.agency_a, status=DeviceStatus.HANDED_TO_SUBSCRIBER)
    f.DeviceFactory(agency=cast.agency_b, status=DeviceStatus.LOCKED)
    sign_in(client, cast.clerk_a)
    assert _pick(client, cert_request, "device") == [locked]
    client.post(
        reverse("requests_app:row_add", args=[cert_request.pk]), {"device": locked.serial}, **HTMX
    )
    assert cert_request.rows.get().device == locked


def test_pickers_are_limited_to_20_and_do_not_query_per_result(client, cast):
    cert_request = letter_draft(cast, form=FormKind.REVOKE)
    for _ in range(25):
        certificate_valid_for(cast)
    sign_in(client, cast.clerk_a)
    url = reverse("requests_app:pick", args=[cert_request.pk, "certificate"])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **HTMX)
    assert len(response.context["results"]) == 20
    assert len(queries) <= 8


def test_a_picker_of_another_form_kind_is_not_found(client, cast):
    cert_request = letter_draft(cast)
    sign_in(client, cast.clerk_a)
    url = reverse("requests_app:pick", args=[cert_request.pk, "certificate"])
    assert client.get(url, **HTMX).status_code == 404
