"""Mẫu 08 signed by both parties (the agency, then the receiving Sở KH&CN or CA) and the
signing done by the worker: each signature valid for pdfsig, exactly one signed version per
document and party (requests_app/device_signing.py, docs/devices.md "Who signs what")."""

import time

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from agencies.choices import Role
from certificates.signing import verify_pdf
from devices.choices import DeviceStatus
from devices.models import (
    DeviceDocument,
    SigningParty,
)
from devices.services import (
    return_minutes_confirm,
)
from portal.documents import DocumentKind
from portal.errors import DomainError
from portal.models import AuditEvent
from requests_app.device_signing import (
    device_document_sign,
    device_document_sign_request,
    device_signing_resume,
    device_signing_waiting,
    return_minutes_countersign,
    signing_request,
)
from requests_app.tasks import device_document_sign_task
from tests.certificates.pdf_tools import pdfsig
from tests.helpers import device_signing_runs, reauth_for, sign_in
from tests.requests_app.device_signing_world import (
    VALID,
    loss_of,
    minutes_of,
    notice_of,
    signature_sections,
    widget_boxes,
)

pytestmark = pytest.mark.django_db


# --- Mẫu 08: both parties ---------------------------------------------------------------------
def test_mau_08_carries_both_parties_signatures_all_valid(
    cast, token, head, officer, nss, tmp_path
):
    minutes = minutes_of(cast, token)
    agency_signed = device_document_sign(document=minutes, by=cast.head_a)
    minutes.refresh_from_db()
    assert minutes.sent_at is not None and minutes.confirmed_at is None

    stored = return_minutes_countersign(minutes=minutes, by=cast.officer_1)

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
    # Both signed: the return is complete.
    minutes.refresh_from_db()
    token.refresh_from_db()
    assert minutes.confirmed_at is not None
    assert minutes.receiver_representative == officer.full_name
    assert token.status == DeviceStatus.RETURNED_TO_CA


def test_the_receiver_cannot_sign_before_the_agency(cast, token, head, officer):
    minutes = minutes_of(cast, token)

    with pytest.raises(DomainError):
        return_minutes_countersign(minutes=minutes, by=cast.officer_1)
    # Nor confirm the receipt without signing: not before the agency sent the minutes.
    with pytest.raises(PermissionDenied):
        return_minutes_confirm(minutes=minutes, by=cast.officer_1)

    minutes.refresh_from_db()
    assert minutes.confirmed_at is None


def test_a_second_countersigning_stores_nothing_new(cast, token, head, officer):
    minutes = minutes_of(cast, token)
    device_document_sign(document=minutes, by=cast.head_a)
    first = return_minutes_countersign(minutes=minutes, by=cast.officer_1)

    second = return_minutes_countersign(minutes=minutes, by=cast.officer_1)

    assert second.pk == first.pk
    assert DeviceDocument.objects.filter(minutes=minutes, kind=DocumentKind.SIGNED).count() == 2


def test_only_the_receiving_side_countersigns(client, cast, token, head, officer):
    minutes = minutes_of(cast, token)
    device_document_sign(document=minutes, by=cast.head_a)
    sign_in(client, cast.head_a)

    url = reverse("requests_app:return_minutes_countersign", args=[minutes.pk])
    assert client.post(url).status_code == 403
    sign_in(client, cast.officer_2)
    assert client.post(url).status_code == 404
    minutes.refresh_from_db()
    assert minutes.confirmed_at is None


def test_the_database_keeps_one_signed_version_per_document_and_party(cast, token, head):
    from django.db import IntegrityError, transaction

    notice = notice_of(cast, token)
    stored = device_document_sign(document=notice, by=cast.head_a)
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


def test_ky_va_gui_without_the_password_typed_again_signs_nothing(client, cast, token, head):
    report = loss_of(cast, token)
    sign_in(client, cast.head_a)

    client.post(
        reverse("requests_app:device_document_sign", args=["loss", report.pk]),
        {"reauth_password": "not-the-password"},
    )

    report.refresh_from_db()
    assert report.sent_at is None
    assert not DeviceDocument.objects.filter(loss_report=report).exists()


# --- in the worker (docs/architecture.md §4) -----------------------------------------------------
def test_the_signing_task_run_twice_stores_one_signed_version(cast, token, head):
    notice = notice_of(cast, token)
    asked = device_document_sign_request(document=notice, by=cast.head_a)

    first = device_document_sign_task(asked.pk)
    second = device_document_sign_task(asked.pk)

    assert first == second
    assert DeviceDocument.objects.filter(notice=notice, kind=DocumentKind.SIGNED).count() == 1
    assert AuditEvent.objects.filter(action="device_document.sign").count() == 1
    notice.refresh_from_db()
    assert notice.sent_at is not None


def test_a_signing_the_worker_cannot_do_is_stored_audited_shown_and_may_be_asked_again(
    client, cast, token, head
):
    report = loss_of(cast, token)
    asked = device_document_sign_request(document=report, by=cast.head_a)
    cast.head_a.memberships.filter(role=Role.AGENCY_HEAD).delete()  # no longer the head

    assert device_document_sign_task(asked.pk) is None

    asked.refresh_from_db()
    assert asked.error == "Người ký không còn quyền ký văn bản này."
    assert AuditEvent.objects.filter(action="device_document.sign_failed").count() == 1
    report.refresh_from_db()
    assert report.sent_at is None
    assert asked.pk not in device_signing_waiting().values_list("pk", flat=True)
    sign_in(client, cast.clerk_a)
    page = client.get(reverse("devices:loss_detail", args=[report.pk])).content.decode()
    assert "Ký số không thành công" in page and 'data-signing-state="failed"' in page


def test_asking_again_after_a_failure_clears_it_and_the_worker_signs(cast, token, head):
    notice = notice_of(cast, token)
    asked = device_document_sign_request(document=notice, by=cast.head_a)
    asked.error = "Lỗi cũ."
    asked.save(update_fields=["error"])

    again = device_document_sign_request(document=notice, by=cast.head_a)

    assert again.pk == asked.pk and again.error == ""
    assert device_document_sign_task(again.pk) is not None
    assert device_document_sign_request(document=notice, by=cast.head_a) is None  # done


def test_the_receivers_signature_is_asked_on_the_page_and_done_by_the_worker(
    client, cast, token, head, officer
):
    minutes = minutes_of(cast, token)
    device_document_sign(document=minutes, by=cast.head_a)
    sign_in(client, cast.officer_1)

    client.post(
        reverse("requests_app:return_minutes_countersign", args=[minutes.pk]),
        reauth_for(client),
    )
    minutes.refresh_from_db()
    assert minutes.confirmed_at is None
    assert signing_request(minutes, SigningParty.RECEIVER) is not None

    stored = device_signing_runs(minutes, SigningParty.RECEIVER)

    assert stored.party == SigningParty.RECEIVER
    minutes.refresh_from_db()
    assert minutes.confirmed_at is not None


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_signing_whose_task_was_lost_is_queued_again_by_the_sweep(cast, token, head, redis_app):
    from datetime import timedelta

    from devices.models import DeviceSigningRequest
    from tests.helpers import running_worker

    notice = notice_of(cast, token)
    asked = device_document_sign_request(document=notice, by=cast.head_a)  # queued on commit
    redis_app.control.purge()  # ... and lost
    assert device_signing_resume() == 0  # too recent: its task may still be on its way
    DeviceSigningRequest.objects.filter(pk=asked.pk).update(
        requested_at=timezone.now() - timedelta(minutes=5)
    )

    with running_worker(redis_app):
        assert device_signing_resume() == 1
        deadline = time.monotonic() + 120
        while signed_version_of(notice) is None:
            assert time.monotonic() < deadline, "the worker did not sign in 120 s"
            time.sleep(0.25)
    notice.refresh_from_db()
    assert notice.sent_at is not None
    assert list(device_signing_waiting()) == []


def signed_version_of(document):
    return DeviceDocument.objects.filter(notice=document, kind=DocumentKind.SIGNED).first()
