"""The device documents signed at the head's desk before they leave the agency
(paperwork/desk.py, docs/devices.md "Who signs what"): Mẫu 07 and 09 by the agency
head (signature + seal) before they go to the CA, each signature valid for an independent
verifier (poppler's pdfsig); the portal offers no other way to sign them."""

import json
import re
import uuid

import pytest
from django.urls import NoReverseMatch, reverse

from certificates.signing import verify_pdf
from devices.models import DeviceDocument, HandoverNotice, SigningParty
from paperwork.desk import device_document_desk_prepare
from paperwork.signing import latest_signed
from portal.documents import DocumentKind
from portal.errors import DomainError
from portal.models import AuditEvent
from tests.certificates.pdf_tools import pdfsig
from tests.helpers import sign_in
from tests.paperwork.device_signing_world import (
    VALID,
    agency_signs,
    loss_of,
    notice_of,
    signature_sections,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("build", [notice_of, loss_of], ids=["mau_07", "mau_09"])
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


@pytest.mark.parametrize("build", [notice_of, loss_of], ids=["mau_07", "mau_09"])
def test_the_heads_signature_stores_a_signed_version_pdfsig_finds_valid_and_sends_it(
    cast, token, head, nss, tmp_path, build
):
    document = build(cast, token)

    stored = agency_signs(document, cast.head_a)

    document.refresh_from_db()
    assert document.sent_at is not None
    assert (stored.kind, stored.party) == (DocumentKind.SIGNED, SigningParty.AGENCY)
    path = tmp_path / "signed.pdf"
    path.write_bytes(bytes(stored.content))
    first, second = signature_sections(pdfsig(path, nss))
    assert VALID in first and VALID in second
    assert f"Common Name: {head.full_name}" in first
    assert "Common Name: Sở Tài chính tỉnh Lai Châu" in second
    assert [r.ok for r in verify_pdf(bytes(stored.content))] == [True, True]
    assert AuditEvent.objects.filter(action="device_document.sign").count() == 1


def test_a_signed_document_is_not_signed_again(cast, token, head):
    notice = notice_of(cast, token)
    agency_signs(notice, cast.head_a)
    count = DeviceDocument.objects.filter(notice=notice).count()

    with pytest.raises(DomainError) as refused:
        device_document_desk_prepare(document=notice, by=cast.head_a)

    assert refused.value.code == "already_signed"
    assert DeviceDocument.objects.filter(notice=notice).count() == count
    assert AuditEvent.objects.filter(action="handover_notice.send").count() == 1


def test_a_head_without_a_certificate_is_told_and_nothing_changes(cast, token, ca):
    notice = notice_of(cast, token)

    with pytest.raises(DomainError) as refused:
        device_document_desk_prepare(document=notice, by=cast.head_a)

    assert refused.value.code == "no_personal_certificate"
    assert "chứng thư số cá nhân" in refused.value.message
    notice.refresh_from_db()
    assert notice.sent_at is None
    assert not DeviceDocument.objects.filter(notice=notice, kind=DocumentKind.SIGNED).exists()


def test_the_clerk_cannot_sign(client, cast, token, head):
    notice = notice_of(cast, token)
    sign_in(client, cast.clerk_a)

    prepare = reverse("paperwork:device_desk_prepare", args=["notice", notice.pk])
    complete = reverse("paperwork:device_desk_complete", args=["notice", notice.pk])
    assert client.post(prepare).status_code == 403
    answer = {"request_id": str(uuid.uuid4()), "nonce": "x", "signature": "", "certificate": ""}
    response = client.post(complete, data=json.dumps(answer), content_type="application/json")
    assert response.status_code == 403

    notice.refresh_from_db()
    assert notice.sent_at is None


def test_another_agency_gets_404(client, cast, token, head):
    notice = notice_of(cast, token)
    sign_in(client, cast.clerk_b)

    prepare = reverse("paperwork:device_desk_prepare", args=["notice", notice.pk])
    signed = reverse("paperwork:device_document_signed_pdf", args=["notice", notice.pk])
    assert client.post(prepare).status_code == 404
    assert client.get(signed).status_code == 404


def test_the_portal_has_no_server_signing_of_device_documents():
    for name, args in (
        ("paperwork:device_document_sign", ["notice", 1]),
        ("requests_app:return_minutes_countersign", [1]),
        ("paperwork:device_document_signing_panel", ["notice", 1]),
    ):
        with pytest.raises(NoReverseMatch):
            reverse(name, args=args)


def test_the_head_signs_from_the_page_and_the_ca_sees_two_valid_signatures(
    client, cast, token, head
):
    report = loss_of(cast, token)
    sign_in(client, cast.head_a)
    page = client.get(reverse("devices:loss_detail", args=[report.pk])).content.decode()
    prepare = reverse("paperwork:device_desk_prepare", args=["loss", report.pk])
    assert "data-desk-signing" in page and prepare in page
    assert "Ký và gửi" not in page

    agency_signs(report, cast.head_a)

    page = client.get(reverse("devices:loss_detail", args=[report.pk])).content.decode()
    assert "2 chữ ký hợp lệ" in page and "data-desk-signing" not in page
    sign_in(client, cast.ca_operator)
    page = client.get(reverse("devices:loss_detail", args=[report.pk])).content.decode()
    assert "2 chữ ký hợp lệ" in page and "data-desk-signing" not in page
    response = client.get(reverse("paperwork:device_document_signed_pdf", args=["loss", report.pk]))
    assert response.status_code == 200
    name = re.search(r'filename="([^"]+)"', response["Content-Disposition"]).group(1)
    assert name.isascii() and len(name) <= 50 and name.endswith(".pdf")
    assert bytes(response.content) == bytes(latest_signed(report).content)
