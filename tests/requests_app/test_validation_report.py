"""The ETSI EN 319 102-1 validation report of a letter's signed version (docs/ca.md,
"Validation report"): made with every check (on receipt and on request), stored with it, shown
beside the signed version and downloaded as JSON and PDF by whoever may see the letter (persona
by persona: test_letter_download_scopes.py)."""

import json
from datetime import timedelta

import pytest
import time_machine
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.urls import reverse
from django.utils import timezone

from certificates.choices import RevocationReason
from certificates.services import certificate_revoke, crl_publish
from certificates.signing import personal_signing_certificate
from requests_app import services
from tests.certificates.signed_by import foreign_root_pem
from tests.certificates.timestamped import sign_timestamped
from tests.document_checks import text_of
from tests.helpers import sign_in
from tests.requests_app.letters import signing_ready
from tests.requests_app.signed_letters import (
    issued_external,
    received,
    rendered,
    signed_of,
    tampered,
    worker_runs,
)

pytestmark = pytest.mark.django_db


def revoke_head(cast, reason=RevocationReason.DEVICE_BROKEN):
    """Revoke the head's certificate and publish its CA's CRL, as the worker does."""
    certificate = personal_signing_certificate(cast.head_a)
    certificate_revoke(certificate=certificate, by=cast.ca_operator, reason=reason)
    crl_publish(authority=certificate.issuer, force=True)
    return certificate


def stored(cast, pdf: bytes, letter):
    """`pdf` taken as the signed version of `letter` (what an upload stores once inspected)."""
    services.letter_signed_store(
        cert_request_id=letter.pk, number=letter.number, by=cast.head_a, source="upload", pdf=pdf
    )
    worker_runs(letter)
    return services.letter_verification_current(letter)


def test_a_letter_signed_at_the_desk_is_received_with_a_total_passed_report(cast):
    before = timezone.now()
    letter = received(cast)

    verification = services.letter_verification_current(letter)
    assert (verification.indication, verification.sub_indication) == ("TOTAL-PASSED", "")
    assert before <= verification.validated_at <= timezone.now()
    signatures = verification.report["signatures"]
    assert [s["indication"] for s in signatures] == ["TOTAL-PASSED", "TOTAL-PASSED"]
    assert all(s["timestamped"] for s in signatures)  # the desk's signatures are B-T
    assert signatures[0]["signer_serial"] == personal_signing_certificate(cast.head_a).serial
    assert verification.ok  # the receipt's own check is unchanged


def test_a_head_revoked_after_signing_leaves_the_letter_total_passed_on_recheck(cast, client):
    letter = received(cast)
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        revoke_head(cast)
    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        sign_in(client, cast.officer_1)
        client.post(reverse("requests_app:verify", args=[letter.pk]))

        messages = [str(m) for m in client.get(reverse("requests_app:detail", args=[letter.pk])).context["messages"]]  # fmt: skip

    verification = services.letter_verification_current(letter)
    assert verification.checked_by == cast.officer_1
    assert (verification.indication, verification.sub_indication) == ("TOTAL-PASSED", "")
    assert messages == ["Đã kiểm tra lại chữ ký số: 2 chữ ký hợp lệ. Báo cáo thẩm định: Hợp lệ."]


def test_a_letter_signed_after_the_heads_revocation_is_total_failed_revoked(cast, client):
    signing_ready(cast)
    letter = issued_external(cast)
    certificate = revoke_head(cast)
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        verification = stored(
            cast, sign_timestamped(rendered(letter), certificate, cast.head_a), letter
        )

    assert (verification.indication, verification.sub_indication) == ("TOTAL-FAILED", "REVOKED")
    sign_in(client, cast.officer_1)
    page = client.get(reverse("requests_app:detail", args=[letter.pk])).content.decode()
    assert 'data-indication="TOTAL-FAILED"' in page
    assert "Chứng thư đã bị thu hồi trước thời điểm ký" in page


def test_a_signed_version_changed_after_signing_is_total_failed_hash_failure(cast):
    good = received(cast)
    signing_ready(cast)
    letter = issued_external(cast)

    verification = stored(cast, tampered(bytes(signed_of(good).content)), letter)

    assert (verification.indication, verification.sub_indication) == (
        "TOTAL-FAILED",
        "HASH_FAILURE",
    )
    assert not verification.ok


def test_the_letter_page_shows_the_outcome_each_signature_and_the_validation_time(cast, client):
    letter = received(cast)
    verification = services.letter_verification_current(letter)
    sign_in(client, cast.clerk_a)

    page = client.get(reverse("requests_app:detail", args=[letter.pk])).content.decode()

    assert 'data-validation-report data-indication="TOTAL-PASSED"' in page
    assert "alert-success" in page and "Hợp lệ" in page
    assert page.count('data-report-signature data-indication="TOTAL-PASSED"') == 2
    at = timezone.localtime(verification.validated_at).strftime("%d/%m/%Y %H:%M")
    assert f"Thẩm định tại thời điểm {at}" in page
    assert reverse("requests_app:validation_report_pdf", args=[letter.pk]) in page
    assert reverse("requests_app:validation_report_json", args=[letter.pk]) in page


def test_the_json_report_is_the_stored_one_about_this_file(cast, client):
    letter = received(cast)
    verification = services.letter_verification_current(letter)
    sign_in(client, cast.officer_1)

    response = client.get(reverse("requests_app:validation_report_json", args=[letter.pk]))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    name = response["Content-Disposition"].split('filename="')[1].rstrip('"')
    assert name.isascii() and name.endswith(".json") and len(name) <= 50
    data = json.loads(response.content)
    assert data["standard"] == "ETSI EN 319 102-1"
    assert (data["indication"], data["indication_text"]) == ("TOTAL-PASSED", "Hợp lệ")
    assert data["validated_at"] == verification.report["validated_at"]
    assert data["document"]["sha256"] == signed_of(letter).sha256
    assert [s["signer_name"] for s in data["signatures"]][0] == "Trần Thị Ánh Dương"


def test_the_pdf_report_reads_the_outcome_and_each_signer(cast, client):
    letter = received(cast)
    verification = services.letter_verification_current(letter)
    sign_in(client, cast.officer_1)

    response = client.get(reverse("requests_app:validation_report_pdf", args=[letter.pk]))

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    name = response["Content-Disposition"].split('filename="')[1].rstrip('"')
    assert name.isascii() and name.endswith(".pdf")
    text = " ".join(text_of(response.content).split())
    assert "BÁO CÁO THẨM ĐỊNH CHỮ KÝ SỐ" in text.upper()
    assert "Kết luận: Hợp lệ (TOTAL-PASSED)" in text
    assert "Trần Thị Ánh Dương" in text and cast.agency_a.name in text
    at = timezone.localtime(verification.validated_at).strftime("%d/%m/%Y %H:%M")
    assert f"Thời điểm thẩm định: {at}" in text


def test_a_letter_without_a_signed_version_has_no_report_to_download(cast, client):
    signing_ready(cast)
    letter = issued_external(cast)
    sign_in(client, cast.clerk_a)

    for url in ("validation_report_json", "validation_report_pdf"):
        assert client.get(reverse(f"requests_app:{url}", args=[letter.pk])).status_code == 404


def test_a_signer_under_a_public_cas_root_is_shown_as_such_not_as_an_error(
    cast, client, settings, tmp_path, ca
):
    letter = received(cast)
    # The simulated root plays a public CA's: no longer one of ours, but in the public bundle.
    root = x509.load_der_x509_certificate(bytes(ca.root.certificate_der))
    public = tmp_path / "public.pem"
    public.write_bytes(root.public_bytes(serialization.Encoding.PEM))
    settings.SIGNING_TRUST_ROOTS = [foreign_root_pem(tmp_path / "ours.pem")]
    settings.SIGNING_PUBLIC_ROOTS = [str(public)]
    root_name = root.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value
    sign_in(client, cast.officer_1)
    client.post(reverse("requests_app:verify", args=[letter.pk]))

    verification = services.letter_verification_current(letter)
    assert verification.indication == "INDETERMINATE"
    assert [s["foreign_root"] for s in verification.report["signatures"]] == [root_name] * 2
    page = client.get(reverse("requests_app:detail", args=[letter.pk])).content.decode()
    assert page.count("data-foreign-root") == 2
    assert "alert-warning" in page
    assert (
        f'<small class="muted">Chứng thư của CA công cộng (không phải CA chuyên dùng Chính phủ): '
        f"{root_name}"
    ) in page
