"""The signatures' look and what an independent verifier (poppler's pdfsig, on NSS) says of a
letter signed as the head's own software signs it (tests/outside_signer.py): the portal's stamp
appearance, position and chain (docs/domain.md §9, docs/ca.md)."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone, translation

from certificates import services
from certificates.choices import RevocationReason
from certificates.exceptions import CertificateError
from certificates.signing import Appearance, Position, signature_position
from portal.lib.loops import run_outside_event_loop
from portal.models import AuditEvent
from tests.certificates.pdf_tools import (
    minimal_pdf,
    pdfsig,
    pdftotext,
    poppler,
)
from tests.outside_signer import OutsideSigner, sign_and_seal, sign_with_material, signing_pair

pytestmark = pytest.mark.django_db

VALID = "Signature Validation: Signature is Valid."
TRUSTED = "Certificate Validation: Certificate is Trusted."


@pytest.fixture
def signed_path(tmp_path, sign_letter, letter_pdf):
    path = tmp_path / "signed.pdf"
    path.write_bytes(sign_letter(letter_pdf))
    return path


def signature_sections(report: str) -> list[str]:
    return re.split(r"^Signature #\d+:$", report, flags=re.MULTILINE)[1:]


def test_pdfsig_reports_the_head_signature_and_the_agency_seal_valid(signed_path, nss, head):
    first, second = signature_sections(pdfsig(signed_path, nss))

    assert VALID in first and VALID in second
    assert f"Common Name: {head.full_name}" in first
    assert "Common Name: Sở Tài chính tỉnh Lai Châu" in second
    assert "Signature Type: ETSI.CAdES.detached" in first
    assert "Signature Type: ETSI.CAdES.detached" in second
    assert "Total document signed" in second
    # NSS builds the head's chain to the trusted simulated root.
    assert TRUSTED in first


def test_pdfsig_trusts_the_agency_seal_chain(tmp_path, nss, letter_pdf, seal_certificate, cast):
    # poppler 22.12 reads a stale NSS error code after the first signature's check, so it
    # reports every later signature "Unknown issue" whatever its chain: the seal's chain is
    # checked here as the only signature of a letter.
    path = tmp_path / "sealed.pdf"
    path.write_bytes(
        OutsideSigner().sign(
            letter_pdf,
            certificate=seal_certificate,
            field_name="DauCoQuan",
            appearance=Appearance.seal(signature_position(letter_pdf), agency=cast.agency_a.name),
        )
    )

    (only,) = signature_sections(pdfsig(path, nss))

    assert VALID in only and TRUSTED in only


def test_pdfsig_does_not_trust_the_signatures_without_the_simulated_root(signed_path):
    report = pdfsig(signed_path)

    assert report.count(VALID) == 2
    assert TRUSTED not in report


def test_one_byte_changed_inside_the_signed_range_makes_pdfsig_say_invalid(tmp_path, signed_path):
    data = signed_path.read_bytes()
    assert data.count(b"(Cong van so 12") == 1
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(data.replace(b"(Cong van so 12", b"(Cong van so 13"))

    report = pdfsig(tampered)

    assert len(signature_sections(report)) == 2
    assert VALID not in report
    assert report.count("Signature Validation: Digest Mismatch.") == 2


def test_the_stamps_show_the_signer_title_agency_time_and_seal_in_vietnamese(
    signed_path, head, cast
):
    text = pdftotext(signed_path)

    assert f"Người ký: {head.full_name}" in text
    assert "Chức vụ: Giám đốc" in text
    assert "Cơ quan: Sở Tài chính tỉnh Lai Châu" in text
    assert re.search(r"Thời gian ký: \d\d/\d\d/\d{4} \d\d:\d\d", text)
    assert "SỞ TÀI CHÍNH" in text and "TỈNH LAI CHÂU" in text


def test_the_stamp_stays_vietnamese_when_the_interface_is_english(
    tmp_path, sign_letter, letter_pdf
):
    path = tmp_path / "signed_en.pdf"
    with translation.override("en"):
        path.write_bytes(sign_letter(letter_pdf))

    text = pdftotext(path)

    assert "Người ký: " in text and "Thời gian ký: " in text
    assert "Signed by" not in text


def test_the_signing_time_in_the_stamp_is_in_the_portal_time_zone(signed_path, settings):
    shown = re.search(r"Thời gian ký: (\d\d/\d\d/\d{4} \d\d:\d\d)", pdftotext(signed_path))[1]

    stamped = datetime.strptime(shown, "%d/%m/%Y %H:%M").replace(
        tzinfo=ZoneInfo(settings.TIME_ZONE)
    )
    assert abs(stamped - timezone.now()) < timedelta(minutes=2)


def test_the_stamp_text_stays_inside_the_signature_box_and_the_seal(signed_path, letter_pdf):
    x1, _y1, x2, _y2 = signature_position(letter_pdf).box
    seal_x2 = x1 + (x2 - x1) / 3
    bbox = poppler("pdftotext", "-bbox", signed_path, "-").stdout
    words = [
        (float(m[1]), float(m[2]), m[3])
        for m in re.finditer(
            r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)"[^>]*>([^<]*)<', bbox
        )
    ]
    seal = [w for w in words if w[2] in ("SỞ TÀI CHÍNH", "TỈNH LAI CHÂU")]
    signature = [w for w in words if ":" in w[2]]

    assert len(signature) == 4 and len(seal) == 2
    assert all(seal_x2 < start and end <= x2 for start, end, _text in signature)
    assert all(x1 < start and end < seal_x2 for start, end, _text in seal)


def test_pdffonts_shows_the_stamp_font_embedded(signed_path):
    rows = [
        line
        for line in poppler("pdffonts", signed_path).stdout.splitlines()
        if "LiberationSerif" in line
    ]

    assert len(rows) == 2  # one subset per stamp
    assert all(line.split()[-5] == "yes" for line in rows)  # the "emb" column


def test_the_seal_stands_over_the_left_third_of_the_signature_box():
    signature = Position(page=0, box=(300.0, 72.0, 570.0, 162.0))

    seal = Appearance.seal(signature, agency="Sở Tài chính").position

    assert seal.box == (300.0, 72.0, 390.0, 162.0)


def test_the_signature_block_is_on_the_last_page_by_default():
    pdf = minimal_pdf(pages=3)

    position = signature_position(pdf)

    assert position.page == 2
    x1, y1, x2, y2 = position.box
    assert (x1 + x2) / 2 > 595 / 2 and x2 <= 595  # the right column
    assert y2 < 842 / 3  # above the bottom margin, in the lower third


def test_a_signature_box_outside_the_page_is_refused():
    with pytest.raises(CertificateError) as refused:
        signature_position(minimal_pdf(), box=(400, 72, 700, 160))

    assert refused.value.code == "bad_position"


def test_signing_records_the_use_of_the_heads_key_in_the_audit_trail(
    sign_letter, letter_pdf, head_certificate, cast
):
    sign_letter(letter_pdf)

    event = AuditEvent.objects.get(action="device_key.use", object_id=str(head_certificate.pk))
    assert event.actor == cast.head_a


def test_the_outside_signer_refuses_a_revoked_certificate(head_certificate, letter_pdf, cast):
    services.certificate_revoke(
        certificate=head_certificate, by=cast.ca_operator, reason=RevocationReason.KEY_COMPROMISE
    )

    with pytest.raises(CertificateError) as refused:
        OutsideSigner().sign(
            letter_pdf,
            certificate=head_certificate,
            field_name="ChuKy",
            appearance=Appearance.signature(
                signature_position(letter_pdf), signer_name="A", title="B", agency="C"
            ),
        )

    assert refused.value.code == "not_valid"


def test_signing_a_pdf_over_the_size_cap_is_refused(settings, head_certificate):
    settings.SIGNING_MAX_PDF_MB = 1
    too_big = b"%PDF-1.7\n" + b"0" * (1024 * 1024)

    with pytest.raises(CertificateError) as refused:
        OutsideSigner().sign(
            too_big,
            certificate=head_certificate,
            field_name="ChuKy",
            appearance=Appearance.signature(
                Position(page=0, box=(300, 72, 570, 162)), signer_name="A", title="B", agency="C"
            ),
        )

    assert refused.value.code == "pdf_too_large"
    assert "1 MB" in str(refused.value)


def test_the_head_signs_then_the_agency_seals_and_both_verify(
    cast, head, head_certificate, seal_certificate, letter_pdf
):
    from certificates.signing import verify_pdf

    pair = signing_pair(user=cast.head_a, agency=cast.agency_a)
    assert (pair.personal, pair.seal) == (head_certificate, seal_certificate)
    signed = sign_and_seal(
        letter_pdf, pair=pair, agency_name=cast.agency_a.name, by=cast.head_a, reason="Ký"
    )
    reports = verify_pdf(signed, agency=cast.agency_a)
    assert [r.signer_serial for r in reports] == [head_certificate.serial, seal_certificate.serial]
    assert all(r.ok for r in reports)


def test_signing_works_in_a_thread_that_runs_an_event_loop(cast, head_certificate, letter_pdf):
    """pyHanko runs its own loop: in a thread that already runs one (an ASGI server's, a test
    browser's) the portal still signs (portal/lib/loops.py)."""
    from certificates.signing import verify_pdf

    material = services.certificate_signing_material(certificate=head_certificate, by=cast.head_a)
    appearance = Appearance.signature(
        signature_position(letter_pdf), signer_name="Người ký", title="Chức vụ", agency="Cơ quan"
    )

    async def inside_a_loop():
        return sign_with_material(
            letter_pdf, material=material, field_name="ChuKy", appearance=appearance
        )

    # The signing runs inside a loop of its own (in another thread when this one runs the
    # session browser's).
    signed = run_outside_event_loop(inside_a_loop())
    reports = verify_pdf(signed, agency=cast.agency_a)
    assert len(reports) == 1 and reports[0].ok
