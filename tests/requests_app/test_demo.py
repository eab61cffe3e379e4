import pytest
from django.contrib.auth import get_user_model

from certificates.models import Certificate
from devices.choices import DeviceStatus
from devices.models import Device
from requests_app.choices import Status
from requests_app.demo import load_full_demo
from requests_app.models import CertRequest

pytestmark = pytest.mark.django_db


def user(name):
    return get_user_model().objects.get(username=name)


def test_the_full_demo_gives_every_role_something_to_act_on():
    load_full_demo()
    assert CertRequest.objects.filter(status=Status.DRAFT, created_by=user("canbo.stc")).exists()
    assert CertRequest.objects.province_inbox(user("so.khcn")).exists()
    assert CertRequest.objects.ca_queue(user("cuc.cts")).exists()
    assert Certificate.objects.visible_to(user("thuebao")).exists()
    assert Device.objects.filter(status=DeviceStatus.LOCKED).exists()
    assert Certificate.objects.expiring_within(30).exists()
    for certificate in Certificate.objects.all():
        assert certificate.der, "demo certificates are real X.509 from the simulated CA"


def test_loading_the_full_demo_twice_changes_nothing():
    load_full_demo()
    counts = (Certificate.objects.count(), Device.objects.count(), CertRequest.objects.count())
    load_full_demo()
    assert (Certificate.objects.count(), Device.objects.count(), CertRequest.objects.count()) == (
        counts
    )


def test_the_demo_head_signs_on_the_portal_out_of_the_box():
    from agencies.models import Organization
    from requests_app.services import letter_verification_current
    from tests.outside_signer import signing_pair

    load_full_demo()
    finance = Organization.objects.get(name="Sở Tài chính tỉnh Lai Châu")
    pair = signing_pair(user=user("lanhdao.stc"), agency=finance)
    assert pair.personal.person.user == user("lanhdao.stc")
    for letter in CertRequest.objects.exclude(number=""):
        verification = letter_verification_current(letter)
        assert verification is not None and verification.ok, letter
        assert verification.summary == "2 chữ ký hợp lệ"


def test_every_demo_account_with_a_person_has_the_persons_name_as_its_own():
    # One account, one name: the header names the person, a job or an approval the account.
    load_full_demo()
    for account in get_user_model().objects.filter(person__isnull=False).select_related("person"):
        own = f"{account.first_name} {account.last_name}".strip()
        assert own in ("", account.person.full_name), account.username
    assert user("cuc.cts").person.full_name == "Vũ Đức Thắng"
