"""Verification of signatures the portal never makes itself (docs/ca.md, "Verification" and
"Profile"): one that states no signing time, one whose time-stamp comes from an authority no
trust root vouches for, and one whose signer cannot be read at all."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from certificates import services
from certificates.choices import RevocationReason
from certificates.signing import SignatureReport, verification_summary, verify_pdf
from tests.certificates.odd_signatures import foreign_time_stamper, sign_oddly, without_certificates

pytestmark = pytest.mark.django_db

REVOKED_BEFORE = "Chứng thư người ký đã bị thu hồi trước thời điểm ký"
BAD_STAMP = "Dấu thời gian của chữ ký không hợp lệ"


def test_a_signature_stating_no_time_by_a_certificate_revoked_for_an_ordinary_reason_is_flagged(
    head_certificate, letter_pdf, cast
):
    # docs/ca.md, "Verification": without a stated time a revoked signer is flagged, whatever
    # the reason (it cannot show it signed before the revocation).
    signed = sign_oddly(letter_pdf, head_certificate, cast.head_a, stated_time=False)
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        services.certificate_revoke(
            certificate=head_certificate, by=cast.ca_operator, reason=RevocationReason.RETIRED
        )

    (report,) = verify_pdf(signed)

    assert report.intact and report.trusted and report.covers_document
    assert report.signing_time is None and not report.timestamped
    assert report.revoked_at is not None
    assert report.revoked_before_signing and not report.key_at_risk
    assert report.problems == (REVOKED_BEFORE,)


def test_the_same_signature_stating_its_time_before_that_revocation_is_valid(
    head_certificate, letter_pdf, cast
):
    signed = sign_oddly(letter_pdf, head_certificate, cast.head_a)
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        services.certificate_revoke(
            certificate=head_certificate, by=cast.ca_operator, reason=RevocationReason.RETIRED
        )

    (report,) = verify_pdf(signed)

    assert report.signing_time is not None and report.signing_time < report.revoked_at
    assert not report.revoked_before_signing and report.ok


def test_a_time_stamp_of_an_untrusted_authority_is_not_taken_as_the_signing_time(
    head_certificate, letter_pdf, cast
):
    # docs/ca.md, "Profile": only a token validating against the trust roots gives the signing
    # time. This one claims a day before the revocation; the signer states a time after it.
    revoked_at = timezone.now()
    services.certificate_revoke(
        certificate=head_certificate, by=cast.ca_operator, reason=RevocationReason.RETIRED
    )
    stamper = foreign_time_stamper(stamp_time=revoked_at - timedelta(days=1))
    with time_machine.travel(revoked_at + timedelta(minutes=5)):
        signed = sign_oddly(letter_pdf, head_certificate, cast.head_a, timestamper=stamper)

    (report,) = verify_pdf(signed)

    assert report.intact and report.trusted
    assert not report.timestamped
    assert report.signing_time > report.revoked_at
    assert report.signing_time - revoked_at < timedelta(minutes=6)
    assert report.revoked_before_signing
    assert report.problems == (BAD_STAMP, REVOKED_BEFORE)


def test_a_signature_whose_signer_cannot_be_read_is_reported_unreadable(
    head_certificate, letter_pdf, cast
):
    signed = without_certificates(sign_oddly(letter_pdf, head_certificate, cast.head_a))

    reports = verify_pdf(signed)

    assert reports == [
        SignatureReport(
            field_name="ChuKy",
            signer_name="",
            signer_serial="",
            signing_time=None,
            intact=False,
            covers_document=False,
            trusted=False,
            certificate=None,
            revoked_at=None,
            revoked_before_signing=False,
            key_at_risk=False,
            belongs_to_agency=None,
            problems=("Chữ ký không đọc được",),
        )
    ]
    assert verification_summary(reports) == "Chữ ký không đọc được"
