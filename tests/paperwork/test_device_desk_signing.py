"""The device documents signed at the signers' desks through the pages' endpoints
(paperwork/desk.py, paperwork/views/signing.py): the agency head signs a
Mẫu 07, 09, or a Mẫu 08 as the handing-over side (signature, then the agency's seal), after
which the document is stored as the agency's signed version and sent; then the receiving side
signs the Mẫu 08 (its officer, then its seal if it has one), which confirms the receipt. A
refusal changes nothing.

The "device" is the tests' stand-in for the signing client and the token (tests/desk.py)."""

import base64
import hashlib
import json

import pytest
from django.urls import reverse

from certificates.models import Certificate
from certificates.signing import verify_pdf
from devices.choices import DeviceStatus
from devices.models import DeviceDocument, SigningParty
from portal.documents import DocumentKind
from portal.models import AuditEvent
from tests.certificates.pdf_tools import pdfsig
from tests.desk import device_signs
from tests.helpers import sign_in
from tests.paperwork.device_signing_world import (
    VALID,
    agency_signs,
    loss_of,
    minutes_of,
    notice_of,
    signature_sections,
)

pytestmark = pytest.mark.django_db

KINDS = {notice_of: "notice", loss_of: "loss", minutes_of: "minutes"}


def asked_certificate(prepared: dict) -> Certificate:
    """The registry's certificate with the fingerprint the portal asked the client for."""
    for certificate in Certificate.objects.exclude(der=None):
        if hashlib.sha256(bytes(certificate.der)).hexdigest() == prepared["certificate_sha256"]:
            return certificate
    raise AssertionError("no such certificate")


def device_answer(prepared: dict, by, **overrides) -> dict:
    """The client's result, signed by the stand-in device (see the module)."""
    certificate = asked_certificate(prepared)
    signature = device_signs(certificate, base64.b64decode(prepared["digest"]), by)
    answer = {
        "request_id": prepared["request_id"],
        "nonce": prepared["nonce"],
        "signature": base64.b64encode(signature).decode(),
        "certificate": base64.b64encode(bytes(certificate.der)).decode(),
    }
    return answer | overrides


def post(client, name, kind, document, body=None):
    args = [document.pk] if kind is None else [kind, document.pk]
    return client.post(
        reverse(name, args=args), data=json.dumps(body or {}), content_type="application/json"
    )


RECEIVER_PREPARE = "paperwork:return_minutes_receiver_desk_prepare"
RECEIVER_COMPLETE = "paperwork:return_minutes_receiver_desk_complete"


@pytest.mark.parametrize("build", [notice_of, loss_of, minutes_of], ids=["07", "09", "08"])
def test_the_head_signs_and_seals_a_device_document_at_the_desk(
    client, cast, token, head, nss, tmp_path, build
):
    document = build(cast, token)
    kind = KINDS[build]
    sign_in(client, cast.head_a)

    prepared = post(client, "paperwork:device_desk_prepare", kind, document).json()
    assert prepared["step"] == "signature"
    done = post(
        client, "paperwork:device_desk_complete", kind, document,
        device_answer(prepared, cast.head_a),
    ).json()  # fmt: skip
    assert done["status"] == "next"
    prepared = post(client, "paperwork:device_desk_prepare", kind, document).json()
    assert prepared["step"] == "seal"
    done = post(
        client, "paperwork:device_desk_complete", kind, document,
        device_answer(prepared, cast.head_a),
    ).json()  # fmt: skip

    assert done["status"] == "done"
    document.refresh_from_db()
    assert document.sent_at is not None
    stored = DeviceDocument.objects.get(kind=DocumentKind.SIGNED, party=SigningParty.AGENCY)
    path = tmp_path / "signed.pdf"
    path.write_bytes(bytes(stored.content))
    first, second = signature_sections(pdfsig(path, nss))
    assert VALID in first and VALID in second
    assert f"Common Name: {head.full_name}" in first
    assert "Common Name: Sở Tài chính tỉnh Lai Châu" in second


def test_a_refused_answer_leaves_the_device_document_unsent(client, cast, token, head):
    document = notice_of(cast, token)
    sign_in(client, cast.head_a)
    prepared = post(client, "paperwork:device_desk_prepare", "notice", document).json()

    response = post(
        client, "paperwork:device_desk_complete", "notice", document,
        device_answer(prepared, cast.head_a, nonce="khac"),
    )  # fmt: skip

    assert response.status_code == 400 and response.json()["error"] == "nonce"
    document.refresh_from_db()
    assert document.sent_at is None
    assert not DeviceDocument.objects.filter(kind=DocumentKind.SIGNED).exists()
    assert AuditEvent.objects.filter(action="device_document.desk_refused").exists()


def test_the_clerk_may_not_prepare(client, cast, token, head):
    document = notice_of(cast, token)
    sign_in(client, cast.clerk_a)

    response = post(client, "paperwork:device_desk_prepare", "notice", document)

    assert response.status_code == 403


def test_the_signing_card_offers_the_desk_signing_to_the_head(client, cast, token, head):
    document = notice_of(cast, token)
    sign_in(client, cast.head_a)

    page = client.get(reverse("devices:notice_detail", args=[document.pk])).content.decode()

    assert "data-desk-signing" in page
    assert reverse("paperwork:device_desk_prepare", args=["notice", document.pk]) in page


# --- the receiving side of a Mẫu 08 -----------------------------------------------------------
def test_the_receiver_countersigns_the_mau_08_at_the_desk_and_both_parties_verify(
    client, cast, token, head, officer, nss, tmp_path
):
    minutes = minutes_of(cast, token)
    agency_signed = agency_signs(minutes, cast.head_a)
    sign_in(client, cast.officer_1)
    page = client.get(reverse("devices:minutes_detail", args=[minutes.pk])).content.decode()
    assert "data-desk-signing" in page and "data-countersign" in page
    assert reverse(RECEIVER_PREPARE, args=[minutes.pk]) in page

    prepared = post(client, RECEIVER_PREPARE, None, minutes).json()
    assert prepared["step"] == "signature"
    assert prepared["step_label"] == "Chữ ký xác nhận của bên nhận"
    done = post(
        client, RECEIVER_COMPLETE, None, minutes, device_answer(prepared, cast.officer_1)
    ).json()

    # The province has no seal: the officer's signature was the last round.
    assert done == {
        "status": "done",
        "redirect": reverse("devices:minutes_detail", args=[minutes.pk]),
    }
    stored = DeviceDocument.objects.get(kind=DocumentKind.SIGNED, party=SigningParty.RECEIVER)
    pdf = bytes(stored.content)
    assert pdf.startswith(bytes(agency_signed.content))
    reports = verify_pdf(pdf)
    assert [(r.field_name, r.ok) for r in reports] == [
        ("ChuKyLanhDao", True),
        ("DauCoQuan", True),
        ("ChuKyBenNhan", True),
    ]
    path = tmp_path / "mau08.pdf"
    path.write_bytes(pdf)
    sections = signature_sections(pdfsig(path, nss))
    assert len(sections) == 3 and all(VALID in section for section in sections)
    assert f"Common Name: {head.full_name}" in sections[0]
    assert f"Common Name: {officer.full_name}" in sections[2]
    minutes.refresh_from_db()
    token.refresh_from_db()
    assert minutes.confirmed_at is not None and token.status == DeviceStatus.RETURNED_TO_CA
    page = client.get(reverse("devices:minutes_detail", args=[minutes.pk])).content.decode()
    assert "3 chữ ký hợp lệ" in page and "data-desk-signing" not in page


def test_a_refused_receiver_answer_leaves_the_minutes_unconfirmed(
    client, cast, token, head, officer
):
    minutes = minutes_of(cast, token)
    agency_signs(minutes, cast.head_a)
    sign_in(client, cast.officer_1)
    prepared = post(client, RECEIVER_PREPARE, None, minutes).json()

    response = post(
        client, RECEIVER_COMPLETE, None, minutes,
        device_answer(prepared, cast.officer_1, nonce="khac"),
    )  # fmt: skip

    assert response.status_code == 400 and response.json()["error"] == "nonce"
    minutes.refresh_from_db()
    assert minutes.confirmed_at is None
    assert not DeviceDocument.objects.filter(party=SigningParty.RECEIVER).exists()
    refusal = AuditEvent.objects.get(action="device_document.desk_refused")
    assert refusal.after["party"] == "receiver"


def test_only_the_receiving_side_gets_the_receivers_button_and_endpoints(
    client, cast, token, head, officer
):
    minutes = minutes_of(cast, token)
    agency_signs(minutes, cast.head_a)
    sign_in(client, cast.head_a)
    page = client.get(reverse("devices:minutes_detail", args=[minutes.pk])).content.decode()
    assert "data-desk-signing" not in page

    assert post(client, RECEIVER_PREPARE, None, minutes).status_code == 403
    sign_in(client, cast.officer_2)
    assert post(client, RECEIVER_PREPARE, None, minutes).status_code == 404
    minutes.refresh_from_db()
    assert minutes.confirmed_at is None
