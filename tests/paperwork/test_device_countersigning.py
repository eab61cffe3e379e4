"""Mẫu 08 signed by both parties at their desks (the agency, then the receiving Sở KH&CN or CA;
paperwork/desk.py, docs/devices.md "Who signs what"): each signature valid for
pdfsig and the portal's verifier, the receiver's an incremental update over the agency's,
exactly one signed version per document and party, and the receipt confirmed only by the
receiver's completed signing."""

from functools import partial

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from certificates.choices import SubjectKind
from certificates.models import Certificate
from certificates.signing import verify_pdf
from devices.choices import DeviceStatus
from devices.models import DeviceDocument, SigningParty
from devices.services import return_minutes_confirm
from paperwork.desk import (
    return_minutes_receiver_desk_complete,
    return_minutes_receiver_desk_prepare,
)
from portal.documents import DocumentKind
from portal.errors import DomainError
from portal.models import AuditEvent
from tests.certificates.pdf_tools import pdfsig
from tests.desk import answer
from tests.paperwork.device_signing_world import (
    VALID,
    agency_signs,
    issue,
    minutes_of,
    notice_of,
    receiver_signs,
    signature_sections,
    widget_boxes,
)

pytestmark = pytest.mark.django_db


def test_mau_08_carries_both_parties_signatures_all_valid(
    cast, token, head, officer, nss, tmp_path
):
    minutes = minutes_of(cast, token)
    agency_signed = agency_signs(minutes, cast.head_a)
    minutes.refresh_from_db()
    assert minutes.sent_at is not None and minutes.confirmed_at is None

    # The receiving province has no seal: the officer's signature is its only round.
    stored = receiver_signs(minutes, cast.officer_1)

    assert stored.party == SigningParty.RECEIVER
    pdf = bytes(stored.content)
    # An incremental update: the agency's signed version is the start of the receiver's.
    assert pdf.startswith(bytes(agency_signed.content))
    path = tmp_path / "mau08.pdf"
    path.write_bytes(pdf)
    sections = signature_sections(pdfsig(path, nss))
    assert len(sections) == 3
    assert all(VALID in section for section in sections)
    assert f"Common Name: {officer.full_name}" in sections[2]
    assert [r.ok for r in verify_pdf(pdf)] == [True, True, True]
    # Each party's signature stands over its own block: the agency's in the left column (the
    # seal over its left third), the receiver's in the right one, at one height.
    boxes = widget_boxes(pdf)
    agency, seal, receiver = boxes["ChuKyLanhDao"], boxes["DauCoQuan"], boxes["ChuKyBenNhan"]
    assert agency[0] < 595 / 2 < receiver[0] and agency[2] < receiver[0]
    assert agency[1] == receiver[1] and agency[0] <= seal[0] < seal[2] <= agency[2]
    # Both signed: the return is complete, as the receiver's signing has always confirmed it.
    minutes.refresh_from_db()
    token.refresh_from_db()
    assert minutes.confirmed_at is not None and minutes.confirmed_by == cast.officer_1
    assert minutes.receiver_representative == officer.full_name
    assert minutes.receiver_representative_title == officer.position
    assert token.status == DeviceStatus.RETURNED_TO_CA
    assert not minutes.items.filter(is_open=True).exists()
    signed = AuditEvent.objects.filter(action="device_document.sign")
    assert [e.after["party"] for e in signed.order_by("pk")] == ["agency", "receiver"]
    assert AuditEvent.objects.filter(action="return_minutes.confirm").count() == 1


def test_a_receiver_with_a_seal_signs_then_seals_and_all_four_signatures_are_valid(
    cast, token, head, officer, nss, tmp_path
):
    minutes = minutes_of(cast, token)
    agency_signs(minutes, cast.head_a)
    minutes.refresh_from_db()
    # The receiving organisation's seal: an organisation certificate attributed to it.
    seal = issue(cast, subject_kind=SubjectKind.ORGANIZATION)
    Certificate.objects.filter(pk=seal.pk).update(subject_organization=minutes.receiver)
    prepare = partial(return_minutes_receiver_desk_prepare, minutes=minutes, by=cast.officer_1)
    complete = partial(return_minutes_receiver_desk_complete, minutes=minutes, by=cast.officer_1)

    first = complete(answer=answer(prepare(), cast.officer_1))
    assert first.document is None  # the seal comes next: nothing confirmed yet
    minutes.refresh_from_db()
    assert minutes.confirmed_at is None
    second = prepare()
    assert (second.field_name, second.certificate_id) == ("DauBenNhan", seal.pk)
    done = complete(answer=answer(second, cast.officer_1))

    pdf = bytes(done.document.content)
    path = tmp_path / "mau08.pdf"
    path.write_bytes(pdf)
    sections = signature_sections(pdfsig(path, nss))
    assert len(sections) == 4 and all(VALID in section for section in sections)
    assert [r.field_name for r in verify_pdf(pdf)] == [
        "ChuKyLanhDao",
        "DauCoQuan",
        "ChuKyBenNhan",
        "DauBenNhan",
    ]
    assert all(r.ok for r in verify_pdf(pdf))
    minutes.refresh_from_db()
    assert minutes.confirmed_at is not None


def test_the_receiver_cannot_sign_before_the_agency(cast, token, head, officer):
    minutes = minutes_of(cast, token)

    with pytest.raises(DomainError) as refused:
        return_minutes_receiver_desk_prepare(minutes=minutes, by=cast.officer_1)
    assert refused.value.code == "not_sent"
    # Nor confirm the receipt without signing: not before the agency sent the minutes.
    with pytest.raises(PermissionDenied):
        return_minutes_confirm(minutes=minutes, by=cast.officer_1)

    minutes.refresh_from_db()
    assert minutes.confirmed_at is None
    refusal = AuditEvent.objects.get(action="device_document.desk_refused")
    assert refusal.after["party"] == "receiver" and refusal.after["code"] == "not_sent"


def test_a_refused_receiver_answer_leaves_the_minutes_unconfirmed_and_is_audited(
    cast, token, head, officer
):
    minutes = minutes_of(cast, token)
    agency_signs(minutes, cast.head_a)
    minutes.refresh_from_db()
    desk = return_minutes_receiver_desk_prepare(minutes=minutes, by=cast.officer_1)

    with pytest.raises(DomainError) as refused:
        return_minutes_receiver_desk_complete(
            minutes=minutes, by=cast.officer_1, answer=answer(desk, cast.officer_1, nonce="khac")
        )

    assert refused.value.code == "nonce"
    minutes.refresh_from_db()
    token.refresh_from_db()
    assert minutes.confirmed_at is None and minutes.receiver_representative == ""
    assert token.status != DeviceStatus.RETURNED_TO_CA
    assert not DeviceDocument.objects.filter(minutes=minutes, party=SigningParty.RECEIVER)
    assert not AuditEvent.objects.filter(action="return_minutes.confirm").exists()
    refusal = AuditEvent.objects.get(action="device_document.desk_refused")
    assert refusal.after["party"] == "receiver" and refusal.after["code"] == "nonce"
    assert refusal.after["request_id"] == str(desk.pk)


def test_an_officer_without_a_certificate_is_told_and_nothing_changes(cast, token, head):
    minutes = minutes_of(cast, token)
    agency_signs(minutes, cast.head_a)
    minutes.refresh_from_db()

    with pytest.raises(DomainError) as refused:
        return_minutes_receiver_desk_prepare(minutes=minutes, by=cast.officer_1)

    assert refused.value.code == "no_personal_certificate"
    minutes.refresh_from_db()
    assert minutes.confirmed_at is None


def test_signed_minutes_are_not_countersigned_again(cast, token, head, officer):
    minutes = minutes_of(cast, token)
    agency_signs(minutes, cast.head_a)
    minutes.refresh_from_db()
    receiver_signs(minutes, cast.officer_1)

    with pytest.raises(DomainError) as refused:
        return_minutes_receiver_desk_prepare(minutes=minutes, by=cast.officer_1)

    assert refused.value.code == "already_confirmed"
    assert DeviceDocument.objects.filter(minutes=minutes, kind=DocumentKind.SIGNED).count() == 2


def test_only_the_receiving_side_countersigns(cast, token, head, officer):
    minutes = minutes_of(cast, token)
    agency_signs(minutes, cast.head_a)
    minutes.refresh_from_db()

    with pytest.raises(PermissionDenied):
        return_minutes_receiver_desk_prepare(minutes=minutes, by=cast.head_a)
    with pytest.raises(PermissionDenied):
        return_minutes_receiver_desk_prepare(minutes=minutes, by=cast.officer_2)

    minutes.refresh_from_db()
    assert minutes.confirmed_at is None


def test_the_database_keeps_one_signed_version_per_document_and_party(cast, token, head):
    notice = notice_of(cast, token)
    stored = agency_signs(notice, cast.head_a)
    twin = DeviceDocument(
        form="07",
        notice=notice,
        kind=DocumentKind.SIGNED,
        party=SigningParty.AGENCY,
        number=notice.number,
        version=stored.version + 1,
    )
    twin.set_content(bytes(stored.content) + b"\n%")

    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()
