"""Every model's visible_to(user): each role sees its own slice and nothing of others'."""

import pytest
from django.contrib.auth.models import AnonymousUser

from agencies.choices import Role
from agencies.models import Membership, Organization, Person
from certificates.models import Certificate
from devices.models import Device
from requests_app.choices import FormKind
from requests_app.models import CertRequest
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast):
    """A person, certificate and device in each of agency A (its unit), B and C."""
    rows = {}
    for key, org in (("a", cast.unit_a), ("b", cast.agency_b), ("c", cast.agency_c)):
        person = f.PersonFactory(organization=org)
        device = f.DeviceFactory(agency=org.managing_agency, holder=person)
        certificate = f.CertificateFactory(person=person, agency=org.managing_agency, device=device)
        rows[key] = (person, device, certificate)
    subscriber_device = f.DeviceFactory(agency=cast.agency_a, holder=cast.subscriber)
    subscriber_cert = f.CertificateFactory(person=cast.subscriber, agency=cast.agency_a)
    rows["own"] = (cast.subscriber, subscriber_device, subscriber_cert)
    return rows


def ids(queryset):
    return set(queryset.values_list("pk", flat=True))


def test_anonymous_sees_nothing_of_any_model(world):
    anonymous = AnonymousUser()
    for model in (Organization, Person, Certificate, Device, Membership):
        assert not model.objects.visible_to(anonymous).exists(), model


@pytest.mark.parametrize("model_index", [0, 1, 2], ids=["person", "device", "certificate"])
def test_a_clerk_sees_their_agency_and_its_units_only(cast, world, model_index):
    model = type(world["a"][model_index])
    visible = ids(model.objects.visible_to(cast.clerk_a))
    assert world["a"][model_index].pk in visible
    assert world["own"][model_index].pk in visible  # the subscriber works in agency A's unit
    assert world["b"][model_index].pk not in visible
    assert world["c"][model_index].pk not in visible


@pytest.mark.parametrize("model_index", [0, 1, 2], ids=["person", "device", "certificate"])
def test_a_clerk_of_another_agency_sees_nothing_of_agency_a(cast, world, model_index):
    model = type(world["a"][model_index])
    visible = ids(model.objects.visible_to(cast.clerk_b))
    assert visible == {world["b"][model_index].pk}


@pytest.mark.parametrize("model_index", [0, 1, 2], ids=["person", "device", "certificate"])
def test_a_provincial_officer_sees_their_province_only(cast, world, model_index):
    model = type(world["a"][model_index])
    in_province = {world[k][model_index].pk for k in ("a", "b", "own")}
    assert ids(model.objects.visible_to(cast.officer_1)) == in_province
    assert ids(model.objects.visible_to(cast.officer_2)) == {world["c"][model_index].pk}


def test_a_subscriber_sees_only_their_own_certificates_devices_and_record(cast, world):
    person, device, certificate = world["own"]
    user = cast.subscriber_user
    assert ids(Certificate.objects.visible_to(user)) == {certificate.pk}
    assert ids(Device.objects.visible_to(user)) == {device.pk}
    assert ids(Person.objects.visible_to(user)) == {person.pk}
    assert ids(Organization.objects.visible_to(user)) == {cast.unit_a.pk}


def test_the_ca_operator_sees_every_certificate_and_device(cast, world):
    all_certs = {world[k][2].pk for k in world}
    assert ids(Certificate.objects.visible_to(cast.ca_operator)) == all_certs
    assert ids(Device.objects.visible_to(cast.ca_operator)) == {world[k][1].pk for k in world}


def test_the_ca_operator_sees_people_only_through_their_certificates(cast, world):
    without_certificate = f.PersonFactory(organization=cast.agency_b)
    visible = ids(Person.objects.visible_to(cast.ca_operator))
    assert visible == {world[k][0].pk for k in world}
    assert without_certificate.pk not in visible


def test_organisations_are_scoped_to_the_agency_subtree_and_the_province(cast):
    assert ids(Organization.objects.visible_to(cast.clerk_a)) == {
        cast.agency_a.pk,
        cast.unit_a.pk,
    }
    officer_view = ids(Organization.objects.visible_to(cast.officer_1))
    assert officer_view == {
        cast.province_1.pk,
        cast.office_1.pk,
        cast.agency_a.pk,
        cast.unit_a.pk,
        cast.agency_b.pk,
    }


def test_memberships_are_visible_to_their_owner_only(cast):
    assert ids(Membership.objects.visible_to(cast.clerk_b)) == set(
        cast.clerk_b.memberships.values_list("pk", flat=True)
    )
    assert ids(Membership.objects.visible_to(cast.ca_operator)) == set(
        cast.ca_operator.memberships.values_list("pk", flat=True)
    )
    assert ids(Membership.objects.visible_to(cast.admin)) == ids(Membership.objects.all())


def test_a_nested_unit_moves_with_its_agency_in_scope(cast):
    sub_unit = f.UnitFactory(parent=cast.unit_a, name="Tổ Thẩm định")
    person = f.PersonFactory(organization=sub_unit)
    assert person.pk in ids(Person.objects.visible_to(cast.clerk_a))
    assert person.pk not in ids(Person.objects.visible_to(cast.clerk_b))
    assert sub_unit.province_id == cast.province_1.pk
    assert sub_unit.managing_agency == cast.agency_a


def test_is_within_follows_the_tree_not_the_name(cast):
    assert cast.unit_a.is_within(cast.agency_a)
    assert cast.agency_a.is_within(cast.agency_a)
    assert cast.agency_a.is_within(cast.province_1)
    assert not cast.agency_a.is_within(cast.unit_a)
    assert not cast.agency_b.is_within(cast.agency_a)


def test_within_takes_an_organisation_and_all_its_units(cast, world):
    def of(*keys, index):
        return {world[key][index].pk for key in keys}

    assert ids(Organization.objects.within(cast.agency_a.path)) == {
        cast.agency_a.pk,
        cast.unit_a.pk,
    }
    assert ids(Person.objects.within(cast.agency_a.path)) == of("a", "own", index=0)
    assert ids(Device.objects.within(cast.agency_a.path, cast.agency_c.path)) == of(
        "a", "own", "c", index=1
    )
    assert ids(Certificate.objects.within(cast.province_1.path)) == of("a", "b", "own", index=2)
    assert not Certificate.objects.within().exists()


@pytest.fixture
def letters(cast):
    """Per agency: an unsent draft, a letter issued to the province, one forwarded to the CA;
    and a Mẫu 04 of agency A marked forwarded (the CA never processes Mẫu 04)."""

    def letter(agency, form=FormKind.ISSUE_PERSON, **dates):
        return CertRequest.objects.create(
            form=form, agency=agency, created_by=cast.admin, **dates
        ).pk

    made = {
        key: {
            "draft": letter(agency),
            "issued": letter(agency, FormKind.REVOKE, issued_on="2026-01-05"),
            "forwarded": letter(
                agency, issued_on="2026-01-05", forwarded_at="2026-01-06T08:00+07:00"
            ),
        }
        for key, agency in (("a", cast.agency_a), ("b", cast.agency_b), ("c", cast.agency_c))
    }
    made["renewal"] = letter(
        cast.agency_a, FormKind.RENEW_CHANGE,
        issued_on="2026-01-05", forwarded_at="2026-01-06T08:00+07:00",
    )  # fmt: skip
    return made


def test_letters_are_seen_by_their_agency_by_the_province_once_issued_and_by_the_ca_once_forwarded(
    cast, letters
):
    sent = {key: {letters[key]["issued"], letters[key]["forwarded"]} for key in "abc"}
    forwarded = {letters[key]["forwarded"] for key in "abc"}
    assert ids(CertRequest.objects.visible_to(cast.clerk_a)) == {
        *letters["a"].values(),
        letters["renewal"],
    }
    assert ids(CertRequest.objects.visible_to(cast.officer_1)) == {
        *sent["a"],
        *sent["b"],
        letters["renewal"],
    }
    assert ids(CertRequest.objects.visible_to(cast.officer_2)) == sent["c"]
    assert ids(CertRequest.objects.visible_to(cast.ca_operator)) == forwarded
    assert not CertRequest.objects.visible_to(cast.subscriber_user).exists()
    assert ids(CertRequest.objects.visible_to(cast.admin)) == ids(CertRequest.objects.all())


def test_a_clerk_who_is_also_an_officer_sees_other_agencies_drafts_only_of_their_own(cast, letters):
    f.MembershipFactory(user=cast.clerk_a, role=Role.PROVINCIAL_OFFICER, organization=cast.office_2)
    assert ids(CertRequest.objects.visible_to(cast.clerk_a)) == {
        *letters["a"].values(),
        letters["renewal"],
        letters["c"]["issued"],
        letters["c"]["forwarded"],
    }
