"""The agency head signs a device document (Mẫu 07, 09; Mẫu 08 as the handing-over side) at
their own desk (requests_app/device_desk.py): the head's signature, then the agency's seal,
each a prepare/complete round through the page's endpoints; the document is then stored as
the agency's signed version and sent, as after "Ký và gửi"; a refusal changes nothing.

The "device" is a key the TEST holds (the simulated CA's key of the certificate, decrypted
with `certificate_signing_material`), signing the digest as the signing client signs with the
token; it stands in for the SoftHSM2 token until the certificates' keys live on tokens."""

import base64
import hashlib
import json

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from django.urls import reverse

from certificates import services as ca_services
from certificates.models import Certificate
from devices.models import DeviceDocument, SigningParty
from portal.documents import DocumentKind
from portal.models import AuditEvent
from tests.certificates.pdf_tools import pdfsig
from tests.helpers import sign_in
from tests.requests_app.device_signing_world import (
    VALID,
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
    key = ca_services.certificate_signing_material(certificate=certificate, by=by).private_key
    digest = base64.b64decode(prepared["digest"])
    signature = key.sign(digest, padding.PKCS1v15(), Prehashed(hashes.SHA256()))
    answer = {
        "request_id": prepared["request_id"],
        "nonce": prepared["nonce"],
        "signature": base64.b64encode(signature).decode(),
        "certificate": base64.b64encode(bytes(certificate.der)).decode(),
    }
    return answer | overrides


def post(client, name, kind, document, body=None):
    return client.post(
        reverse(name, args=[kind, document.pk]),
        data=json.dumps(body or {}),
        content_type="application/json",
    )


@pytest.mark.parametrize("build", [notice_of, loss_of, minutes_of], ids=["07", "09", "08"])
def test_the_head_signs_and_seals_a_device_document_at_the_desk(
    client, cast, token, head, nss, tmp_path, build
):
    document = build(cast, token)
    kind = KINDS[build]
    sign_in(client, cast.head_a)

    prepared = post(client, "requests_app:device_desk_prepare", kind, document).json()
    assert prepared["step"] == "signature"
    done = post(
        client, "requests_app:device_desk_complete", kind, document,
        device_answer(prepared, cast.head_a),
    ).json()  # fmt: skip
    assert done["status"] == "next"
    prepared = post(client, "requests_app:device_desk_prepare", kind, document).json()
    assert prepared["step"] == "seal"
    done = post(
        client, "requests_app:device_desk_complete", kind, document,
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
    prepared = post(client, "requests_app:device_desk_prepare", "notice", document).json()

    response = post(
        client, "requests_app:device_desk_complete", "notice", document,
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

    response = post(client, "requests_app:device_desk_prepare", "notice", document)

    assert response.status_code == 403


def test_the_signing_card_offers_the_desk_signing_to_the_head(client, cast, token, head):
    document = notice_of(cast, token)
    sign_in(client, cast.head_a)

    page = client.get(reverse("devices:notice_detail", args=[document.pk])).content.decode()

    assert "data-desk-signing" in page
    assert reverse("requests_app:device_desk_prepare", args=["notice", document.pk]) in page
