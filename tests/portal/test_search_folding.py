"""Search that forgives accents on every list with a search box, and letters found by their
rows (docs/architecture.md, "Search that forgives accents"). Runs on PostgreSQL (the
`portal_fold` function of migration portal 0009) and on SQLite (the Python function registered
on every connection)."""

from datetime import date

import pytest
from django.db import connection
from django.test import RequestFactory
from django.utils import timezone

from certificates.filters import CertificateFilterSet
from certificates.models import Certificate
from devices.filters import DeviceFilterSet
from devices.filters_documents import LossReportFilterSet, MinutesFilterSet, NoticeFilterSet
from devices.models import (
    Device,
    HandoverItem,
    HandoverNotice,
    LossReport,
    ReturnMinutes,
    ReturnMinutesItem,
    ReturnObligation,
)
from portal.lib.folding import Folded, fold, translate_table
from requests_app import services
from requests_app.choices import FormKind, Status
from requests_app.filters import CertRequestFilterSet
from requests_app.filters_queue import QueueFilterSet
from requests_app.models import CertRequest
from tests import factories as f
from tests.helpers import sign_in

NAME = "Đặng Thị Hằng"


def test_fold_lowercases_strips_marks_and_turns_d_with_stroke_into_d():
    assert fold("Đặng Thị HẰNG") == "dang thi hang"
    assert fold("Nguyễn Ưng Ước đoàn") == "nguyen ung uoc doan"
    assert fold("Hằng") == fold("Ha\u0300\u0306ng")  # decomposed input folds the same
    assert fold(None) is None


def test_sql_portal_fold_matches_python_fold_for_every_latin_letter(db):
    letters = "".join(translate_table()[0]) + "Hằng Đặng HA\u0306\u0300NG ABCxyz 0123"
    with connection.cursor() as cursor:
        cursor.execute("SELECT portal_fold(%s)", [letters])
        assert cursor.fetchone()[0] == fold(letters)


def test_folded_expression_annotates_the_folded_value(cast):
    f.PersonFactory(full_name=NAME, organization=cast.agency_a)
    from agencies.models import Person

    folded = Person.objects.filter(full_name=NAME).annotate(x=Folded("full_name")).get().x
    assert folded == "dang thi hang"


# --- one record named NAME per list, in agency A (seen by clerk_a / officer_1) and agency C
# (another province: never shown) ----------------------------------------------------------


def _certificate(cast, agency):
    f.CertificateFactory(person=f.PersonFactory(full_name=NAME, organization=agency))


def _device(cast, agency):
    f.DeviceFactory(agency=agency, holder=f.PersonFactory(full_name=NAME, organization=agency))


def _notice(cast, agency):
    device = f.DeviceFactory(agency=agency)
    notice = HandoverNotice.objects.create(
        agency=agency,
        number=f"TB-{device.pk}",
        issued_on=date(2026, 1, 5),
        handed_on=date(2026, 1, 5),
        created_by=cast.clerk_a,
    )
    HandoverItem.objects.create(
        notice=notice, position=1, device=device, subscriber_name=NAME, acknowledged=True
    )


def _minutes(cast, agency):
    device = f.DeviceFactory(agency=agency)
    minutes = ReturnMinutes.objects.create(
        agency=agency,
        number=f"BB-{device.pk}",
        held_at=timezone.now(),
        place="Lai Châu",
        receiver=cast.ca_org,
        agency_representative="Lò Văn Thủ",
        created_by=cast.clerk_a,
    )
    obligation = ReturnObligation.objects.create(
        device=device,
        agency=agency,
        reason=minutes_reason(),
        notified_on=date(2026, 1, 5),
        due_on=date(2026, 1, 12),
    )
    ReturnMinutesItem.objects.create(
        minutes=minutes,
        position=1,
        device=device,
        obligation=obligation,
        subscriber_name=NAME,
        reason=obligation.reason,
    )


def minutes_reason():
    from devices.choices import ReturnReason

    return ReturnReason.values[0]


def _loss_report(cast, agency):
    device = f.DeviceFactory(agency=agency)
    LossReport.objects.create(
        device=device,
        agency=agency,
        subscriber_name=NAME,
        number=f"MT-{device.pk}",
        held_at=timezone.now(),
        held_place="Lai Châu",
        lost_on=date(2026, 1, 5),
        lost_place="Lai Châu",
        circumstances="Để quên trên xe.",
        created_by=cast.clerk_a,
    )


def _letter(cast, agency, **row):
    clerk = cast.clerk_a if agency == cast.agency_a else cast.clerk_c
    letter = services.cert_request_create(
        agency=agency, form=FormKind.ISSUE_PERSON, by=clerk, **f.LETTER_CONTACT
    )
    f.letter_row_add(letter, clerk, **({"full_name": NAME} | row))
    return letter


def _letter_in_queue(cast, agency):
    _to_province(_letter(cast, agency))


def _to_province(letter):
    CertRequest.objects.filter(pk=letter.pk).update(
        status=Status.PROVINCE_REVIEW, issued_on=date(2026, 1, 5), number=f"{letter.pk}/STC"
    )


LISTS = {
    "certificates": (_certificate, Certificate, CertificateFilterSet, "clerk_a", {}),
    "devices": (_device, Device, DeviceFilterSet, "clerk_a", {}),
    "handover_notices": (_notice, HandoverNotice, NoticeFilterSet, "clerk_a", {}),
    "return_minutes": (_minutes, ReturnMinutes, MinutesFilterSet, "clerk_a", {}),
    "loss_reports": (_loss_report, LossReport, LossReportFilterSet, "clerk_a", {}),
    "letters": (_letter, CertRequest, CertRequestFilterSet, "clerk_a", {}),
    "province_queue": (_letter_in_queue, CertRequest, QueueFilterSet, "officer_1", {}),
}


def _search(cast, list_name, text):
    _make, model, filterset_class, username, extra = LISTS[list_name]
    user = getattr(cast, username)
    request = RequestFactory().get("/", {"q": text})
    request.user = user
    base = model.objects.visible_to(user)
    return list(filterset_class(request.GET, queryset=base, request=request, **extra).qs)


@pytest.mark.parametrize("text", ["Hang", "dang", "DANG THI HANG", "Hăng"])
@pytest.mark.parametrize("list_name", list(LISTS))
def test_search_ignoring_accents_and_case_finds_the_accented_name_on_every_list(
    cast, list_name, text
):
    LISTS[list_name][0](cast, cast.agency_a)
    assert len(_search(cast, list_name, text)) == 1


@pytest.mark.parametrize("list_name", list(LISTS))
def test_search_finds_nothing_for_a_name_not_there(cast, list_name):
    LISTS[list_name][0](cast, cast.agency_a)
    assert _search(cast, list_name, "Hung") == []


@pytest.mark.parametrize("list_name", list(LISTS))
def test_search_shows_only_the_match_visible_to_the_user(cast, list_name):
    make = LISTS[list_name][0]
    make(cast, cast.agency_a)
    make(cast, cast.agency_c)  # another province: neither clerk_a nor officer_1 sees it
    found = _search(cast, list_name, "hang")
    assert len(found) == 1
    assert found[0].agency_id == cast.agency_a.pk


# --- letters found by what their rows hold ------------------------------------------------


@pytest.mark.parametrize("list_name", ["letters", "province_queue"])
def test_letter_found_by_a_row_national_id_once_even_with_two_matching_rows(cast, list_name):
    letter = _letter(cast, cast.agency_a)
    f.letter_row_add(letter, cast.clerk_a, full_name="Đặng Văn Hùng", national_id="012190009999")
    if list_name == "province_queue":
        _to_province(letter)
    assert _search(cast, list_name, "012190001234") == [letter]
    assert _search(cast, list_name, "dang") == [letter]  # both rows match: one result


def test_letter_found_by_the_serial_of_its_row_certificate(cast):
    letter = _letter(cast, cast.agency_a)
    certificate = f.CertificateFactory(person=f.PersonFactory(organization=cast.agency_a))
    letter.rows.update(certificate=certificate)
    assert _search(cast, "letters", certificate.serial.lower()) == [letter]
    assert _search(cast, "letters", "5400FFFFFFFFFFFF") == []


@pytest.mark.parametrize("list_name", ["letters", "province_queue"])
def test_a_revocation_or_renewal_letter_is_found_by_its_certificates_holder(cast, list_name):
    holder = f.PersonFactory(
        organization=cast.agency_a, full_name="Vàng A Sử", national_id="012185001005"
    )
    certificate = f.CertificateFactory(person=holder)
    letter = services.cert_request_create(
        agency=cast.agency_a, form=FormKind.REVOKE, by=cast.clerk_a, **f.LETTER_CONTACT
    )
    services.row_save(
        cert_request=letter,
        by=cast.clerk_a,
        data={"certificate": certificate, "revoke_reason": "retired"},
    )
    if list_name == "province_queue":
        _to_province(letter)
    assert _search(cast, list_name, "vang a su") == [letter]
    assert _search(cast, list_name, "012185001005") == [letter]


def test_a_recovery_letter_is_found_by_its_devices_holder(cast):
    holder = f.PersonFactory(organization=cast.agency_a, full_name="Hoàng Thị Hằng")
    letter = _letter(cast, cast.agency_a)
    letter.rows.update(device=f.DeviceFactory(agency=cast.agency_a, holder=holder))
    assert _search(cast, "letters", "hang") == [letter]


def test_letter_found_by_the_serial_of_its_row_device(cast):
    letter = _letter(cast, cast.agency_a)
    device = f.DeviceFactory(agency=cast.agency_a)
    letter.rows.update(device=device)
    assert _search(cast, "letters", device.serial) == [letter]


def test_letter_found_by_its_subject_without_accents(cast):
    letter = _letter(cast, cast.agency_a)
    CertRequest.objects.filter(pk=letter.pk).update(subject="Đề nghị cấp chứng thư số")
    assert _search(cast, "letters", "de nghi cap") == [letter]


def test_letters_page_search_box_says_accents_are_optional(cast, client):
    sign_in(client, cast.clerk_a)
    _letter(cast, cast.agency_a)
    from django.urls import reverse

    response = client.get(reverse("requests_app:list"), {"q": "hang"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Gõ có dấu hoặc không dấu đều được" in body
    assert "họ tên, số định danh" in body
