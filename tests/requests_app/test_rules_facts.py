"""The facts the rules read once for many rows of one letter (requests_app/rules.py:
`row_facts`, `person_rows_facts`, `letter_positions`) and `rows_errors`, which checks many
rows on those facts without a query (docs/domain.md §5, the same rules as one row at a time).
"""

import unicodedata
from datetime import date, timedelta

import pytest
from django.utils import timezone

from certificates.choices import CertStatus
from devices.choices import DeviceStatus
from requests_app import services
from requests_app.choices import ChangeField, FormKind
from requests_app.models import CertRequest, RequestRow
from requests_app.rules import (
    RowFacts,
    letter_positions,
    person_rows_facts,
    row_facts,
    rows_errors,
)
from tests import factories as f
from tests.requests_app.letters import CONTACT

pytestmark = pytest.mark.django_db


def letter(cast, form):
    return services.cert_request_create(agency=cast.agency_a, form=form, by=cast.clerk_a, **CONTACT)


def certificate(agency, days_left=200, **fields):
    fields.setdefault("person", f.PersonFactory(organization=agency))
    return f.CertificateFactory(
        agency=agency, not_after=timezone.now() + timedelta(days=days_left, hours=1), **fields
    )


def test_row_facts_name_the_open_requests_units_organisations_and_lost_devices(cast):
    agency = cast.agency_a
    planning = f.UnitFactory(
        parent=agency, name=unicodedata.normalize("NFD", "Phòng Kế Hoạch")
    )  # as a browser may send it: decomposed, in capitals
    closed = f.UnitFactory(
        parent=agency, name="Phòng Đã Giải Thể", valid_from=date(2020, 1, 1),
        valid_to=date(2024, 1, 1),
    )  # fmt: skip
    in_revocation, free, taken_elsewhere = (certificate(agency) for _ in range(3))
    lost = certificate(agency, device=f.DeviceFactory(agency=agency, status=DeviceStatus.LOST))
    lost_elsewhere = certificate(
        agency, device=f.DeviceFactory(agency=agency, status=DeviceStatus.LOST)
    )
    services.row_save(
        cert_request=letter(cast, FormKind.REVOKE),
        by=cast.clerk_a,
        data={"certificate": in_revocation, "revoke_reason": "resigned"},
    )
    services.row_save(
        cert_request=letter(cast, FormKind.REVOKE),
        by=cast.clerk_a,
        data={"certificate": taken_elsewhere, "revoke_reason": "resigned"},
    )
    locked, idle, locked_elsewhere = (
        f.DeviceFactory(agency=agency, status=DeviceStatus.LOCKED) for _ in range(3)
    )
    for device in (locked, locked_elsewhere):
        services.row_save(
            cert_request=letter(cast, FormKind.RECOVER_DEVICE),
            by=cast.clerk_a,
            data={"device": device},
        )

    facts = row_facts(
        agency,
        certificate_ids=[c.pk for c in (in_revocation, lost, free)],
        device_ids=[d.pk for d in (locked, idle)],
    )

    assert facts.open_certificate_ids == frozenset({in_revocation.pk})
    assert facts.open_device_ids == frozenset({locked.pk})
    assert facts.unit_names == frozenset(
        {"sở tài chính tỉnh lai châu", "phòng ngân sách", "phòng kế hoạch"}
    )
    assert facts.agency_ids == frozenset({agency.pk, cast.unit_a.pk, planning.pk, closed.pk})
    assert facts.lost_certificate_ids == frozenset({lost.pk})
    assert lost_elsewhere.pk not in facts.lost_certificate_ids
    assert (facts.letter_positions, facts.holders) == (None, None)


def person(national_id, agency):
    return f.PersonFactory(national_id=national_id, organization=agency)


def mau01_row(cert_request, position, national_id):
    return RequestRow.objects.create(
        cert_request=cert_request, position=position, national_id=national_id
    )


def test_person_rows_facts_hold_each_persons_valid_certificates_and_first_position(cast):
    first, second, third = "001190000001", "001190000002", "001190000003"
    holder = person(first, cast.agency_a)
    here = certificate(cast.agency_a, person=holder)
    there = certificate(cast.agency_b, person=holder)
    other = person(second, cast.agency_a)
    valid = certificate(cast.agency_a, person=other)
    certificate(cast.agency_a, person=other, days_left=-2)
    certificate(
        cast.agency_a, person=other, status=CertStatus.REVOKED, revoked_at=timezone.now(),
        revocation_reason="resigned",
    )  # fmt: skip
    cert_request = letter(cast, FormKind.ISSUE_PERSON)
    mau01_row(cert_request, 1, second)
    mau01_row(cert_request, 2, third)
    mau01_row(cert_request, 3, second)

    facts = person_rows_facts(cert_request, [third, first, "", second, first])

    assert {key: sorted(c.pk for c in held) for key, held in facts.holders.items()} == {
        first: sorted([here.pk, there.pk]),
        second: [valid.pk],
    }
    assert facts.letter_positions == {second: 1, third: 2}
    assert (facts.open_certificate_ids, facts.open_device_ids, facts.unit_names) == (
        frozenset(),
        frozenset(),
        frozenset(),
    )
    assert (facts.agency_ids, facts.lost_certificate_ids) == (frozenset(), frozenset())


def test_person_rows_facts_take_the_positions_they_are_given(cast):
    cert_request = letter(cast, FormKind.ISSUE_PERSON)
    mau01_row(cert_request, 1, "001190000001")

    facts = person_rows_facts(cert_request, ["001190000001"], positions={"001190000009": 7})

    assert facts.letter_positions == {"001190000009": 7}
    assert person_rows_facts(cert_request, [], positions={}).letter_positions == {}
    assert person_rows_facts(cert_request, []).holders == {}


def test_letter_positions_give_the_lowest_position_of_each_number_in_one_query(
    cast, django_assert_num_queries
):
    cert_request = letter(cast, FormKind.ISSUE_PERSON)
    mau01_row(cert_request, 1, "001190000004")
    mau01_row(cert_request, 2, "001190000002")
    mau01_row(cert_request, 3, "001190000004")
    mau01_row(cert_request, 4, "001190000003")
    other = letter(cast, FormKind.ISSUE_PERSON)
    mau01_row(other, 1, "001190000009")

    with django_assert_num_queries(1):
        positions = letter_positions(
            cert_request, ["001190000004", "", "001190000009", "001190000002", "001190000004"]
        )

    assert positions == {"001190000004": 1, "001190000002": 2}


def test_a_letter_not_saved_yet_has_no_positions(cast):
    unsaved = CertRequest(agency=cast.agency_a, form=FormKind.ISSUE_PERSON)

    assert letter_positions(unsaved, ["001190000001"]) == {}


def test_rows_errors_read_the_facts_given_and_ask_the_database_nothing(
    cast, django_assert_num_queries
):
    """The facts are what `rows_errors` knows: a unit and an open request named only there
    count, the database is not asked (the facts were read for the rows a moment before)."""
    cert_request = letter(cast, FormKind.RENEW_CHANGE)
    good, taken, before, foreign, after = (certificate(cast.agency_a) for _ in range(5))
    foreign.agency = cast.agency_b
    facts = RowFacts(
        open_certificate_ids=frozenset({taken.pk}),
        open_device_ids=frozenset(),
        unit_names=frozenset({"phòng mới lập"}),
        agency_ids=frozenset({cast.agency_a.pk}),
    )
    to_unit = {"change_info": True, "change_field": ChangeField.UNIT, "new_value": "Phòng Mới Lập"}
    unnamed = {"change_info": True, "change_field": ChangeField.UNIT, "new_value": ""}
    rows = [
        RequestRow(cert_request=cert_request, certificate=good, **to_unit),
        RequestRow(cert_request=cert_request, certificate=taken, **to_unit),
        RequestRow(cert_request=cert_request, certificate=before, **unnamed),
        RequestRow(cert_request=cert_request, certificate=foreign, **unnamed),
        RequestRow(cert_request=cert_request, certificate=after, **unnamed),
    ]

    with django_assert_num_queries(0):
        together = rows_errors(rows, facts)

    unnamed_error = ["Ghi rõ thông tin cần thay đổi và thông tin mới."]
    assert together == [
        {},
        {"certificate": ["Đã có một đề nghị khác chưa xử lý xong cho chứng thư này."]},
        {"new_value": unnamed_error},
        {"new_value": unnamed_error, "certificate": ["Chứng thư không thuộc cơ quan đề nghị."]},
        {"new_value": unnamed_error},
    ]


def test_rows_errors_read_a_devices_open_request_from_the_devices_facts(cast):
    """A device's open request is looked up among the devices', not the certificates' ids:
    the two sets are given crossed, so a rule reading the wrong one refuses the free device
    and lets the taken one through."""
    cert_request = letter(cast, FormKind.RECOVER_DEVICE)
    taken, free = (
        f.DeviceFactory(agency=cast.agency_a, status=DeviceStatus.LOCKED) for _ in range(2)
    )
    facts = RowFacts(
        open_certificate_ids=frozenset({free.pk}),
        open_device_ids=frozenset({taken.pk}),
        unit_names=frozenset(),
        agency_ids=frozenset({cast.agency_a.pk}),
    )
    rows = [
        RequestRow(cert_request=cert_request, device=taken),
        RequestRow(cert_request=cert_request, device=free),
    ]

    assert rows_errors(rows, facts) == [
        {"device": ["Đã có một đề nghị khác chưa xử lý xong cho thiết bị này."]},
        {},
    ]
