"""The device documents signed before they leave the agency (requests_app/device_signing.py,
docs/devices.md "Who signs what"): Mẫu 07 and 09 by the agency head (signature + seal) before
they go to the CA; Mẫu 08 by both parties, the agency then the receiving side; each signature
valid for an independent verifier (poppler's pdfsig)."""

import re
import time
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from agencies.choices import Role
from certificates import services as ca_services
from certificates.choices import SubjectKind
from certificates.exceptions import CertificateError
from certificates.models import RevocationList
from certificates.signing import verify_pdf
from devices.choices import DeviceStatus, ReceiverKind, ReturnReason
from devices.models import (
    CustodyRecord,
    DeviceDocument,
    HandoverNotice,
    LossReport,
    ReturnMinutes,
    SigningParty,
)
from devices.services import (
    device_return_obligation_open,
    handover_notice_create,
    loss_report_create,
    return_minutes_confirm,
    return_minutes_create,
)
from portal.documents import DocumentKind
from portal.errors import DomainError
from portal.models import AuditEvent
from requests_app.device_signing import (
    device_document_sign,
    device_document_sign_request,
    device_signing_resume,
    device_signing_waiting,
    latest_signed,
    return_minutes_countersign,
    signing_request,
)
from requests_app.tasks import device_document_sign_task
from tests import factories as f
from tests.certificates.pdf_tools import nss_db_trusting, pdfsig
from tests.helpers import device_signing_runs, reauth_for, sign_in

pytestmark = pytest.mark.django_db

VALID = "Signature Validation: Signature is Valid."


# --- the world ----------------------------------------------------------------------------------
def _issue(cast, **kwargs):
    kwargs.setdefault("subject_kind", SubjectKind.PERSON)
    kwargs.setdefault("agency", cast.agency_a)
    kwargs.setdefault("by", cast.ca_operator)
    return ca_services.certificate_issue(**kwargs)


@pytest.fixture
def head(cast, ca):
    """Agency A's head with a personal certificate, and the agency's seal."""
    person = f.PersonFactory(
        organization=cast.agency_a,
        user=cast.head_a,
        full_name="Trần Thị Ánh Dương",
        position="Giám đốc",
        official_email="duong.tta@thunghiem.gov.vn",
    )
    _issue(cast, person=person)
    _issue(cast, subject_kind=SubjectKind.ORGANIZATION)
    return person


@pytest.fixture
def officer(cast, ca):
    """The province's officer with a personal certificate (the receiving side of a Mẫu 08
    returned to the provincial point). The CA issues only to people under a managing agency
    (kind AGENCY or MINISTRY), so the officer's person sits under one."""
    managing = f.AgencyFactory(parent=cast.province_1, name="Sở Khoa học và Công nghệ")
    person = f.PersonFactory(
        organization=managing,
        user=cast.officer_1,
        full_name="Lò Văn Thắng",
        position="Chuyên viên",
        official_email="thang.lv@thunghiem.gov.vn",
    )
    _issue(cast, person=person, agency=managing)
    return person


@pytest.fixture
def nss(tmp_path, ca):
    crls = [bytes(crl.der) for crl in RevocationList.objects.all()]
    return nss_db_trusting(
        tmp_path / "nss",
        root_der=bytes(ca.root.certificate_der),
        issuing_der=bytes(ca.issuing.certificate_der),
        crls=crls,
    )


@pytest.fixture
def token(cast):
    holder = f.PersonFactory(organization=cast.agency_a, full_name="Phạm Thị Hường")
    device = f.DeviceFactory(
        agency=cast.agency_a, holder=holder, serial="VT26000777", status="delivered_to_agency"
    )
    CustodyRecord.objects.create(
        device=device,
        status=device.status,
        holder_kind=CustodyRecord.HolderKind.AGENCY,
        agency=cast.agency_a,
        held_from=device.created_at,
    )
    return device


def _notice(cast, token) -> HandoverNotice:
    return handover_notice_create(
        agency=cast.agency_a,
        devices=[token],
        acknowledged={token.pk},
        handed_on=timezone.localdate(),
        by=cast.clerk_a,
    )


def _loss(cast, token) -> LossReport:
    _notice(cast, token)
    token.refresh_from_db()
    return loss_report_create(
        device=token,
        lost_on=date(2026, 3, 7),
        lost_place="Bến xe khách Lai Châu",
        circumstances="Để quên trên xe khách tuyến Lai Châu – Điện Biên.",
        by=cast.clerk_a,
    )


def _minutes(cast, token) -> ReturnMinutes:
    _notice(cast, token)
    token.refresh_from_db()
    device_return_obligation_open(
        device=token,
        reason=ReturnReason.REVOKED,
        notified_on=timezone.localdate(),
        by=None,
        certificate_serial="54AB0000DEADBEEF",
    )
    token.refresh_from_db()
    return return_minutes_create(
        agency=cast.agency_a,
        devices=[token],
        held_at=timezone.now(),
        place="Hội trường Sở Tài chính",
        receiver_kind=ReceiverKind.PROVINCE,
        agency_representative="Nguyễn Thị Thu Hà",
        by=cast.clerk_a,
    )


def _widget_boxes(pdf: bytes) -> dict[str, list[float]]:
    """The rectangle of each signature field's widget, by field name."""
    from io import BytesIO

    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(BytesIO(pdf), strict=False)
    fields = [field.get_object() for field in reader.root["/AcroForm"]["/Fields"]]
    return {str(field["/T"]): [float(v) for v in field["/Rect"]] for field in fields}


def _sections(report: str) -> list[str]:
    return re.split(r"^Signature #\d+:$", report, flags=re.MULTILINE)[1:]


# --- Mẫu 07 and 09: the head signs, then they go ----------------------------------------------
@pytest.mark.parametrize("build", [_notice, _loss], ids=["mau_07", "mau_09"])
def test_the_clerks_document_is_not_sent_before_the_head_signs(client, cast, token, build):
    document = build(cast, token)
    document.refresh_from_db()

    assert document.sent_at is None
    assert not DeviceDocument.objects.filter(kind=DocumentKind.SIGNED).exists()
    # The CA does not see it yet.
    sign_in(client, cast.ca_operator)
    url = reverse(
        "devices:notice_detail" if isinstance(document, HandoverNotice) else "devices:loss_detail",
        args=[document.pk],
    )
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("build", [_notice, _loss], ids=["mau_07", "mau_09"])
def test_the_heads_signature_stores_a_signed_version_pdfsig_finds_valid_and_sends_it(
    cast, token, head, nss, tmp_path, build
):
    document = build(cast, token)

    stored = device_document_sign(document=document, by=cast.head_a)

    document.refresh_from_db()
    assert document.sent_at is not None
    assert (stored.kind, stored.party) == (DocumentKind.SIGNED, SigningParty.AGENCY)
    path = tmp_path / "signed.pdf"
    path.write_bytes(bytes(stored.content))
    first, second = _sections(pdfsig(path, nss))
    assert VALID in first and VALID in second
    assert f"Common Name: {head.full_name}" in first
    assert "Common Name: Sở Tài chính tỉnh Lai Châu" in second
    assert [r.ok for r in verify_pdf(bytes(stored.content))] == [True, True]
    assert AuditEvent.objects.filter(action="device_document.sign").count() == 1


def test_a_second_signing_stores_nothing_new(cast, token, head):
    notice = _notice(cast, token)
    first = device_document_sign(document=notice, by=cast.head_a)
    count = DeviceDocument.objects.filter(notice=notice).count()

    second = device_document_sign(document=notice, by=cast.head_a)

    assert second.pk == first.pk
    assert DeviceDocument.objects.filter(notice=notice).count() == count
    assert AuditEvent.objects.filter(action="handover_notice.send").count() == 1


def test_a_head_without_a_certificate_is_told_and_nothing_changes(cast, token, ca):
    notice = _notice(cast, token)

    with pytest.raises(CertificateError) as refused:
        device_document_sign(document=notice, by=cast.head_a)

    assert "chứng thư số cá nhân" in refused.value.message
    notice.refresh_from_db()
    assert notice.sent_at is None
    assert not DeviceDocument.objects.filter(notice=notice).exists()


def test_the_clerk_cannot_sign(client, cast, token, head):
    notice = _notice(cast, token)
    sign_in(client, cast.clerk_a)

    response = client.post(reverse("requests_app:device_document_sign", args=["notice", notice.pk]))

    assert response.status_code == 403
    notice.refresh_from_db()
    assert notice.sent_at is None


def test_another_agency_gets_404(client, cast, token, head):
    notice = _notice(cast, token)
    sign_in(client, cast.clerk_b)

    sign = reverse("requests_app:device_document_sign", args=["notice", notice.pk])
    signed = reverse("requests_app:device_document_signed_pdf", args=["notice", notice.pk])
    assert client.post(sign).status_code == 404
    assert client.get(signed).status_code == 404


def test_the_heads_ky_va_gui_on_the_page_sends_it_and_the_ca_sees_two_valid_signatures(
    client, cast, token, head
):
    report = _loss(cast, token)
    sign_in(client, cast.head_a)
    page = client.get(reverse("devices:loss_detail", args=[report.pk])).content.decode()
    assert "Ký và gửi" in page

    client.post(
        reverse("requests_app:device_document_sign", args=["loss", report.pk]),
        reauth_for(client),
    )
    # Recorded, not signed in the request: the card says so and polls; nothing is sent yet.
    report.refresh_from_db()
    assert report.sent_at is None
    assert not DeviceDocument.objects.filter(loss_report=report, kind="signed").exists()
    page = client.get(reverse("devices:loss_detail", args=[report.pk])).content.decode()
    assert "Đang ký…" in page and 'data-signing-state="running"' in page
    panel = reverse("requests_app:device_document_signing_panel", args=["loss", report.pk])
    assert f'hx-get="{panel}"' in page and "Ký và gửi" not in page

    device_signing_runs(report)  # the worker

    card = client.get(panel).content.decode()
    assert "2 chữ ký hợp lệ" in card and "hx-get" not in card
    sign_in(client, cast.ca_operator)
    page = client.get(reverse("devices:loss_detail", args=[report.pk])).content.decode()
    assert "2 chữ ký hợp lệ" in page
    assert "Ký và gửi" not in page
    response = client.get(
        reverse("requests_app:device_document_signed_pdf", args=["loss", report.pk])
    )
    assert response.status_code == 200
    name = re.search(r'filename="([^"]+)"', response["Content-Disposition"]).group(1)
    assert name.isascii() and len(name) <= 50 and name.endswith(".pdf")
    assert bytes(response.content) == bytes(latest_signed(report).content)


# --- Mẫu 08: both parties ---------------------------------------------------------------------
def test_mau_08_carries_both_parties_signatures_all_valid(
    cast, token, head, officer, nss, tmp_path
):
    minutes = _minutes(cast, token)
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
    sections = _sections(pdfsig(path, nss))
    assert len(sections) == 3
    assert all(VALID in section for section in sections)
    assert f"Common Name: {officer.full_name}" in sections[2]
    assert [r.ok for r in verify_pdf(pdf)] == [True, True, True]
    # Each party's signature stands over its own block: the agency's in the left column (the
    # seal over its left third), the receiver's in the right one, at one height.
    boxes = _widget_boxes(pdf)
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
    minutes = _minutes(cast, token)

    with pytest.raises(DomainError):
        return_minutes_countersign(minutes=minutes, by=cast.officer_1)
    # Nor confirm the receipt without signing: not before the agency sent the minutes.
    with pytest.raises(PermissionDenied):
        return_minutes_confirm(minutes=minutes, by=cast.officer_1)

    minutes.refresh_from_db()
    assert minutes.confirmed_at is None


def test_a_second_countersigning_stores_nothing_new(cast, token, head, officer):
    minutes = _minutes(cast, token)
    device_document_sign(document=minutes, by=cast.head_a)
    first = return_minutes_countersign(minutes=minutes, by=cast.officer_1)

    second = return_minutes_countersign(minutes=minutes, by=cast.officer_1)

    assert second.pk == first.pk
    assert DeviceDocument.objects.filter(minutes=minutes, kind=DocumentKind.SIGNED).count() == 2


def test_only_the_receiving_side_countersigns(client, cast, token, head, officer):
    minutes = _minutes(cast, token)
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

    notice = _notice(cast, token)
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
    report = _loss(cast, token)
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
    notice = _notice(cast, token)
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
    report = _loss(cast, token)
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
    notice = _notice(cast, token)
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
    minutes = _minutes(cast, token)
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

    notice = _notice(cast, token)
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
