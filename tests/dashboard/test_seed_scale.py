"""`manage.py seed_scale` (docs/scale.md §12.1) at a small size, on PostgreSQL: the tables
hold what was asked, the data keeps the portal's invariants and scopes, and every page and API
list bench/bench_lists.py measures answers 200 to the account it measures it as."""

import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from agencies.choices import OrgKind
from agencies.models import Organization, Person
from certificates.models import Certificate
from dashboard.scale_seed import CA_USERNAME, CLERK_USERNAME, OFFICER_USERNAME
from devices.models import Device, HandoverNotice, ReturnObligation
from requests_app.models import CertRequest, RequestRow
from tests.helpers import postgresql_only, sign_in

pytestmark = [pytest.mark.services, pytest.mark.django_db]

SIZES = {
    "certificates": 3000,
    "letters": 400,
    "agencies": 60,
    "devices": 900,
    "people": 1800,
    "notices": 100,
    "obligations": 30,
}


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        postgresql_only("seed_scale writes with it")


@pytest.fixture
def seeded():
    call_command("seed_scale", *[f"--{k}={v}" for k, v in SIZES.items()], stdout=None)


def test_it_writes_the_sizes_asked_for(seeded):
    assert Organization.objects.filter(kind=OrgKind.PROVINCE).count() == 34
    assert Organization.objects.filter(kind=OrgKind.AGENCY).count() == SIZES["agencies"]
    assert Person.objects.count() == SIZES["people"]
    assert Device.objects.count() == SIZES["devices"]
    assert Certificate.objects.count() == SIZES["certificates"]
    assert CertRequest.objects.count() == SIZES["letters"]
    assert HandoverNotice.objects.count() == SIZES["notices"]
    # 1 + id % 12 rows a letter: 6.5 on average.
    assert 5 * SIZES["letters"] < RequestRow.objects.count() < 8 * SIZES["letters"]
    assert 0 < ReturnObligation.objects.count() <= SIZES["obligations"]


def test_every_agency_lies_in_a_province_under_its_path(seeded):
    for agency in Organization.objects.filter(kind=OrgKind.AGENCY).select_related("province"):
        assert agency.parent_id == agency.province_id
        assert agency.path == f"{agency.province.path}{agency.pk}/"


def test_certificates_and_devices_belong_to_their_holders_agency(seeded):
    for certificate in Certificate.objects.filter(person__isnull=False).select_related("person")[
        :500
    ]:
        assert certificate.agency_id == certificate.person.organization_id
    on_device = Certificate.objects.filter(device__isnull=False).select_related("device")[:500]
    assert on_device
    for certificate in on_device:
        assert certificate.status == "valid"
        assert certificate.device.agency_id == certificate.agency_id


def test_the_statuses_are_spread(seeded):
    statuses = set(Certificate.objects.values_list("status", flat=True).distinct())
    assert statuses == {"valid", "expired", "revoked"}
    letter_statuses = set(CertRequest.objects.values_list("status", flat=True).distinct())
    assert {"done", "draft", "province_review", "forwarded", "in_process"} <= letter_statuses


def test_an_officer_sees_only_their_province(seeded, django_user_model):
    officer = django_user_model.objects.get(username=OFFICER_USERNAME.format(province=1))
    visible = Certificate.objects.visible_to(officer)
    assert 0 < visible.count() < Certificate.objects.count()
    province = officer.memberships.get().organization.province
    assert not visible.exclude(agency__path__startswith=province.path).exists()


def test_it_refuses_a_database_that_already_holds_certificates(seeded):
    with pytest.raises(CommandError, match="already holds"):
        call_command("seed_scale", *[f"--{k}={v}" for k, v in SIZES.items()])


def test_every_page_the_list_bench_measures_answers_its_account(seeded, django_user_model):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    try:
        from bench_lists import pages
    finally:
        sys.path.pop(0)
    clients = {}
    for _label, username, url, _jump in pages():
        if username not in clients:
            user = django_user_model.objects.get(username=username)
            clients[username] = sign_in(Client(), user)
        response = clients[username].get(url)
        assert response.status_code == 200, (username, url, response.status_code)
    assert {CA_USERNAME, CLERK_USERNAME.format(agency=1)} <= set(clients)


def test_the_expiry_sweep_opens_a_return_for_every_expired_device_but_those_already_owing_one(
    time_machine,
):
    """At 1M certificates the sweep expired 10,000 certificates on devices
    and opened 9,565 obligations. The other 435 (1 in 23) are the seed's devices awaiting
    return (device g with g % 23 = 0) that already owe it: an obligation is open on them, and a
    device goes back once (`return_one_open_obligation_per_device`, docs/architecture.md
    §12.4). Every expired certificate's device ends with exactly one open obligation."""
    sizes = {**SIZES, "obligations": SIZES["devices"]}  # every awaiting device owes its return
    call_command("seed_scale", *[f"--{k}={v}" for k, v in sizes.items()], stdout=None)
    from certificates.services import certificate_expire_due

    time_machine.move_to(timezone.now() + timedelta(days=400), tick=False)
    due = list(Certificate.objects.due_to_expire().values_list("device_id", flat=True))
    on_devices = [device for device in due if device is not None]
    owing = set(
        ReturnObligation.objects.open()
        .filter(device_id__in=on_devices)
        .values_list("device_id", flat=True)
    )
    before = set(ReturnObligation.objects.values_list("pk", flat=True))
    awaiting = Device.objects.filter(pk__in=on_devices, status="awaiting_return")
    assert owing == set(awaiting.values_list("pk", flat=True)) and owing  # the 1 in 23

    assert certificate_expire_due() == len(due)

    opened = ReturnObligation.objects.exclude(pk__in=before)
    assert opened.count() == len(set(on_devices)) - len(owing)
    assert not opened.filter(device_id__in=owing).exists()
    assert set(opened.values_list("device_id", flat=True)) | owing == set(on_devices)
    assert ReturnObligation.objects.open().filter(device_id__in=on_devices).count() == len(
        set(on_devices)
    )
