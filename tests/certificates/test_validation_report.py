"""The ETSI EN 319 102-1 validation report of a signed PDF (docs/ca.md, "Validation report"):
pyHanko's AdES validation over the portal's trust material, at now or at a past time, with the
portal's rule for revocations (revoked after signing stays valid, signed after revocation
fails) and public CAs' roots named as such."""

from datetime import timedelta
from io import BytesIO

import pytest
import time_machine
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.utils import timezone
from pyhanko.pdf_utils.content import RawContent
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from certificates import services
from certificates.checks import check_signing_settings
from certificates.choices import RevocationReason
from certificates.signing.ades import validation_report
from certificates.signing.context import validation_material
from tests.certificates.signed_by import foreign_root_pem, sign_as
from tests.certificates.timestamped import document_timestamped, sign_timestamped

pytestmark = pytest.mark.django_db


def report_of(pdf: bytes, at=None):
    return validation_report(pdf, material=validation_material(), at=at)


def outcomes(report) -> list[tuple[str, str]]:
    return [(s.indication, s.sub_indication) for s in report.signatures]


def revoke(certificate, by, reason=RevocationReason.DEVICE_BROKEN):
    """Revoke and publish the CA's CRL, as the worker does right after the commit."""
    services.certificate_revoke(certificate=certificate, by=by, reason=reason)
    services.crl_publish(authority=certificate.issuer, force=True)


def test_a_timestamped_signature_passes_with_its_time_stamp_as_signing_time(
    head_certificate, letter_pdf, cast
):
    before = timezone.now().replace(microsecond=0)
    report = report_of(sign_timestamped(letter_pdf, head_certificate, cast.head_a))

    (signature,) = report.signatures
    assert (report.indication, report.sub_indication) == ("TOTAL-PASSED", "")
    assert signature.timestamped and signature.signing_time >= before
    assert signature.signer_serial == head_certificate.serial
    assert signature.text == "" and signature.foreign_root == ""


def test_the_head_and_seal_signatures_both_pass(sign_letter, letter_pdf):
    report = report_of(sign_letter(letter_pdf))

    assert outcomes(report) == [("TOTAL-PASSED", ""), ("TOTAL-PASSED", "")]
    assert report.indication == "TOTAL-PASSED"


def test_a_signer_revoked_after_a_timestamped_signature_stays_total_passed(
    head_certificate, letter_pdf, cast
):
    signed = sign_timestamped(letter_pdf, head_certificate, cast.head_a)
    signed_at = timezone.now()
    with time_machine.travel(signed_at + timedelta(minutes=5)):
        revoke(head_certificate, cast.ca_operator)
    with time_machine.travel(signed_at + timedelta(minutes=10)):
        now = report_of(signed)
        at_signing = report_of(signed, at=signed_at)

    assert outcomes(now) == [("TOTAL-PASSED", "")]
    assert outcomes(at_signing) == [("TOTAL-PASSED", "")]
    assert at_signing.validated_at == signed_at


def test_a_timestamped_signature_made_after_the_revocation_is_total_failed_revoked(
    head_certificate, letter_pdf, cast
):
    revoke(head_certificate, cast.ca_operator)
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        signed = sign_timestamped(letter_pdf, head_certificate, cast.head_a)
        report = report_of(signed)

    assert outcomes(report) == [("TOTAL-FAILED", "REVOKED")]
    assert report.signatures[0].text == "Chứng thư đã bị thu hồi trước thời điểm ký"
    assert report.indication == "TOTAL-FAILED"


def test_a_b_b_signature_revoked_since_is_indeterminate_now_and_passed_at_its_time(
    head_certificate, letter_pdf, cast
):
    signed = sign_as(letter_pdf, head_certificate, cast.head_a)
    signed_at = timezone.now()
    with time_machine.travel(signed_at + timedelta(minutes=5)):
        revoke(head_certificate, cast.ca_operator)
    with time_machine.travel(signed_at + timedelta(minutes=10)):
        now = report_of(signed)
        at_signing = report_of(signed, at=signed_at)

    # Without a time-stamp nothing proves the signature predates the revocation.
    assert outcomes(now) == [("INDETERMINATE", "REVOKED_NO_POE")]
    assert outcomes(at_signing) == [("TOTAL-PASSED", "")]


def test_a_byte_changed_inside_the_signed_range_is_total_failed_hash_failure(
    head_certificate, letter_pdf, cast
):
    signed = sign_timestamped(letter_pdf, head_certificate, cast.head_a)
    assert signed.count(b"(Cong van so 12") == 1

    report = report_of(signed.replace(b"(Cong van so 12", b"(Cong van so 13"))

    assert outcomes(report) == [("TOTAL-FAILED", "HASH_FAILURE")]
    assert report.signatures[0].text == "Văn bản bị thay đổi sau khi ký"


def test_a_page_drawn_on_after_signing_is_total_failed_hash_failure(
    head_certificate, letter_pdf, cast
):
    writer = IncrementalPdfFileWriter(
        BytesIO(sign_timestamped(letter_pdf, head_certificate, cast.head_a))
    )
    RawContent(b"0 0 1 rg 72 600 100 50 re f").add_to_page(writer, 0)
    out = BytesIO()
    writer.write(out)

    assert outcomes(report_of(out.getvalue())) == [("TOTAL-FAILED", "HASH_FAILURE")]


def test_a_chain_to_an_unknown_root_is_indeterminate_not_trusted(
    settings, head_certificate, letter_pdf, cast, tmp_path
):
    signed = sign_timestamped(letter_pdf, head_certificate, cast.head_a)
    settings.SIGNING_TRUST_ROOTS = [foreign_root_pem(tmp_path / "other.pem")]
    settings.SIGNING_PUBLIC_ROOTS = [foreign_root_pem(tmp_path / "public.pem")]

    report = report_of(signed)

    assert outcomes(report) == [("INDETERMINATE", "NO_CERTIFICATE_CHAIN_FOUND")]
    assert report.signatures[0].foreign_root == ""
    assert report.signatures[0].text == "Chứng thư không chuỗi về CA gốc tin cậy"


def test_a_chain_to_a_public_ca_root_is_reported_as_foreign(
    settings, head_certificate, letter_pdf, cast, tmp_path, ca
):
    # The simulated root plays a public CA's: not one of ours, but in the public bundle.
    signed = sign_timestamped(letter_pdf, head_certificate, cast.head_a)
    root = x509.load_der_x509_certificate(bytes(ca.root.certificate_der))
    public = tmp_path / "public.pem"
    public.write_bytes(root.public_bytes(serialization.Encoding.PEM))
    settings.SIGNING_TRUST_ROOTS = [foreign_root_pem(tmp_path / "ours.pem")]
    settings.SIGNING_PUBLIC_ROOTS = [foreign_root_pem(tmp_path / "other.pem"), str(public)]
    root_name = root.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value

    (signature,) = report_of(signed).signatures

    assert (signature.indication, signature.sub_indication) == (
        "INDETERMINATE",
        "NO_CERTIFICATE_CHAIN_FOUND",
    )
    assert signature.foreign_root == root_name
    assert signature.text == (
        f"Chứng thư của CA công cộng (không phải CA chuyên dùng Chính phủ): {root_name}"
    )


def test_a_document_without_signatures_is_not_passed(letter_pdf):
    report = report_of(letter_pdf)

    assert report.signatures == ()
    assert (report.indication, report.sub_indication) == ("INDETERMINATE", "NO_SIGNATURE")


def test_a_file_that_is_not_a_pdf_is_total_failed_format_failure():
    report = report_of(b"%PDF-1.7\nnot really")

    assert (report.indication, report.sub_indication) == ("TOTAL-FAILED", "FORMAT_FAILURE")


def test_the_json_names_the_standard_outcome_and_each_signature(head_certificate, letter_pdf, cast):
    signed_at = timezone.now()
    data = report_of(sign_timestamped(letter_pdf, head_certificate, cast.head_a), at=signed_at)
    data = data.as_json()

    assert data["standard"] == "ETSI EN 319 102-1"
    assert data["validated_at"] == signed_at.isoformat()
    assert (data["indication"], data["sub_indication"]) == ("TOTAL-PASSED", "")
    (signature,) = data["signatures"]
    assert signature["signer_serial"] == head_certificate.serial
    assert signature["timestamped"] is True and signature["indication"] == "TOTAL-PASSED"


def test_a_timestamped_signature_with_a_dss_and_a_document_time_stamp_passes(
    head_certificate, letter_pdf, cast
):
    signed = sign_timestamped(letter_pdf, head_certificate, cast.head_a)
    archived = document_timestamped(signed)
    assert b"/DSS" in archived[len(signed) :] and b"/DocTimeStamp" in archived[len(signed) :]

    report = report_of(archived)

    assert outcomes(report) == [("TOTAL-PASSED", "")]  # the document time-stamp is no signature


def test_a_b_b_signature_under_a_document_time_stamp_is_validated_as_b_b(
    head_certificate, letter_pdf, cast
):
    # pyHanko's long-term validation needs a signature time-stamp; without one the signature
    # is validated at the validation time (docs/ca.md, "Validation report").
    signed = document_timestamped(sign_as(letter_pdf, head_certificate, cast.head_a))
    signed_at = timezone.now()
    fresh = report_of(signed)
    with time_machine.travel(signed_at + timedelta(minutes=5)):
        revoke(head_certificate, cast.ca_operator)
    with time_machine.travel(signed_at + timedelta(minutes=10)):
        now = report_of(signed)
        at_signing = report_of(signed, at=signed_at)

    assert outcomes(fresh) == [("TOTAL-PASSED", "")]
    assert outcomes(now) == [("INDETERMINATE", "REVOKED_NO_POE")]
    assert outcomes(at_signing) == [("TOTAL-PASSED", "")]


def test_an_unreadable_public_roots_file_fails_the_system_check_and_names_no_public_ca(
    settings, head_certificate, letter_pdf, cast, tmp_path
):
    signed = sign_timestamped(letter_pdf, head_certificate, cast.head_a)
    settings.SIGNING_TRUST_ROOTS = [foreign_root_pem(tmp_path / "other.pem")]
    settings.SIGNING_PUBLIC_ROOTS = [str(tmp_path / "missing.pem")]

    assert [e.id for e in check_signing_settings(None)] == ["certificates.E013"]
    (signature,) = report_of(signed).signatures
    assert (signature.indication, signature.sub_indication, signature.foreign_root) == (
        "INDETERMINATE",
        "NO_CERTIFICATE_CHAIN_FOUND",
        "",
    )
