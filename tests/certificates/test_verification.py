"""Verifying signed letters on receipt (docs/ca.md, "Signing and verification"): integrity,
coverage, trust roots, revocation at signing time, the drafting agency, the rendered revision,
and hostile uploads."""

from datetime import timedelta
from io import BytesIO

import pytest
import time_machine
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.utils import timezone
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.content import RawContent
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.validation.dss import DocumentSecurityStore

from certificates import services
from certificates.choices import RevocationReason, SubjectKind
from certificates.exceptions import CertificateError
from certificates.signing import (
    safe_pdf_filename,
    signed_revision_matches,
    verification_summary,
    verify_pdf,
)
from portal.lib.loops import outside_event_loop
from portal.lib.pdf import render_pdf
from tests.certificates.pdf_tools import minimal_pdf
from tests.certificates.signed_by import foreign_root_pem, sign_as
from tests.outside_signer import pyhanko_signer

pytestmark = pytest.mark.django_db

REVOKED_BEFORE = "Chứng thư người ký đã bị thu hồi trước thời điểm ký"


@pytest.fixture
def signed(sign_letter, letter_pdf):
    return sign_letter(letter_pdf)


def test_a_letter_signed_by_the_head_and_sealed_has_two_valid_signatures(
    signed, head_certificate, seal_certificate
):
    head, seal = verify_pdf(signed)

    for report in (head, seal):
        assert report.intact and report.covers_document and report.trusted
        assert not report.revoked_before_signing and report.problems == ()
    assert head.certificate == head_certificate and seal.certificate == seal_certificate
    assert head.signer_name == "Trần Thị Ánh Dương"
    assert head.signer_serial == head_certificate.serial
    assert verification_summary([head, seal]) == "2 chữ ký hợp lệ"


def test_one_byte_changed_inside_the_signed_range_breaks_both_signatures(signed):
    assert signed.count(b"(Cong van so 12") == 1
    tampered = signed.replace(b"(Cong van so 12", b"(Cong van so 13")

    reports = verify_pdf(tampered)

    assert [r.intact for r in reports] == [False, False]
    assert verification_summary(reports).startswith("Chữ ký bị sửa đổi")


def test_a_change_appended_after_the_signatures_is_reported(signed):
    writer = IncrementalPdfFileWriter(BytesIO(signed))
    RawContent(b"0 0 1 rg 72 600 100 50 re f").add_to_page(writer, 0)
    out = BytesIO()
    writer.write(out)

    reports = verify_pdf(out.getvalue())

    assert all(r.intact for r in reports)
    assert [r.covers_document for r in reports] == [False, False]
    assert "Văn bản bị thay đổi sau khi ký" in verification_summary(reports)


OUTSIDE = "Tệp có dữ liệu nằm ngoài mọi phần đã ký"


def _unsigned_update(pdf: bytes, change) -> bytes:
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    change(writer)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_signed_file_ends_with_its_end_of_file_marker_and_one_end_of_line(signed):
    # The boundary below: the signatures' file as the signing software wrote it is whole.
    assert signed.endswith(b"%%EOF\n")
    reports = verify_pdf(signed)

    assert [r.outside_data for r in reports] == ["", ""]
    assert verification_summary(reports) == "2 chữ ký hợp lệ"


@pytest.mark.parametrize(
    ("tail", "count"),
    [(b"\n", 1), (b"x", 1), (b" ", 1), (b"<script>alert(1)</script>\n", 26)],
    ids=["second-end-of-line", "one-byte", "one-space", "a-payload"],
)
def test_bytes_after_the_last_end_of_file_marker_are_outside_every_signature(signed, tail, count):
    reports = verify_pdf(signed + tail)

    assert all(r.intact for r in reports)
    assert [r.covers_document for r in reports] == [False, False]
    assert reports[0].outside_data == f"{count} byte sau dấu kết thúc tệp của phiên bản cuối cùng"
    assert all(OUTSIDE in r.problems for r in reports)
    assert verification_summary(reports) == OUTSIDE


def _with_text_field(pdf: bytes) -> bytes:
    """`pdf` with a text form field "GhiChu" on its first page (before any signature)."""

    def add(writer):
        page_ref = writer.root["/Pages"]["/Kids"][0]
        widget = writer.add_object(
            generic.DictionaryObject(
                {
                    generic.pdf_name("/Type"): generic.pdf_name("/Annot"),
                    generic.pdf_name("/Subtype"): generic.pdf_name("/Widget"),
                    generic.pdf_name("/FT"): generic.pdf_name("/Tx"),
                    generic.pdf_name("/T"): generic.pdf_string("GhiChu"),
                    generic.pdf_name("/Rect"): generic.ArrayObject(
                        [generic.NumberObject(n) for n in (72, 72, 200, 90)]
                    ),
                    generic.pdf_name("/P"): page_ref,
                }
            )
        )
        page = page_ref.get_object()
        page[generic.pdf_name("/Annots")] = generic.ArrayObject([widget])
        writer.update_container(page)
        writer.root[generic.pdf_name("/AcroForm")] = generic.DictionaryObject(
            {generic.pdf_name("/Fields"): generic.ArrayObject([widget])}
        )
        writer.update_root()

    return _unsigned_update(pdf, add)


def test_an_unsigned_revision_filling_a_form_field_after_the_signatures_is_refused(sign_letter):
    # Filling a form is what a later signature's revision may do; a revision nobody signed
    # may not (pyHanko rates it form filling, above validation data).
    signed = sign_letter(_with_text_field(minimal_pdf()))
    assert verification_summary(verify_pdf(signed)) == "2 chữ ký hợp lệ"

    def fill(writer):
        field = writer.root["/AcroForm"]["/Fields"][0]
        field.get_object()[generic.pdf_name("/V")] = generic.pdf_string("Đã sửa")
        writer.update_container(field.get_object())

    reports = verify_pdf(_unsigned_update(signed, fill))

    assert all(r.intact for r in reports)
    assert [r.covers_document for r in reports] == [False, False]
    assert reports[0].outside_data == "một lần cập nhật không có chữ ký sau chữ ký cuối cùng"
    assert verification_summary(reports) == OUTSIDE


def test_an_unsigned_revision_adding_an_empty_signature_field_is_accepted(signed):
    # pyHanko counts a new empty signature field with the validation data (a document
    # time-stamp's field is one): the boundary of what an unsigned revision may do.
    changed = _unsigned_update(
        signed, lambda w: fields.append_signature_field(w, fields.SigFieldSpec("ChuKyThem"))
    )

    assert verification_summary(verify_pdf(changed)) == "2 chữ ký hợp lệ"


def test_an_unsigned_revision_adding_only_validation_data_is_accepted(signed, head_certificate):
    certificate = asn1_x509.Certificate.load(bytes(head_certificate.der))
    changed = _unsigned_update(
        signed,
        lambda w: DocumentSecurityStore.supply_dss_in_writer(w, None, certs=[certificate]),
    )

    reports = verify_pdf(changed)

    assert [r.outside_data for r in reports] == ["", ""]
    assert verification_summary(reports) == "2 chữ ký hợp lệ"


def test_a_signer_whose_certificate_was_revoked_before_signing_is_flagged(
    head_certificate, letter_pdf, cast
):
    services.certificate_revoke(
        certificate=head_certificate, by=cast.ca_operator, reason=RevocationReason.KEY_COMPROMISE
    )
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        signed = sign_as(letter_pdf, head_certificate, cast.head_a)

    (report,) = verify_pdf(signed)

    assert report.intact and report.trusted
    assert report.revoked_before_signing
    assert report.problems == (REVOKED_BEFORE,)
    assert verification_summary([report]) == REVOKED_BEFORE


def test_a_certificate_revoked_after_signing_does_not_flag_the_signature(
    head_certificate, letter_pdf, cast
):
    signed = sign_as(letter_pdf, head_certificate, cast.head_a)
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        services.certificate_revoke(
            certificate=head_certificate,
            by=cast.ca_operator,
            reason=RevocationReason.DEVICE_BROKEN,
        )

    (report,) = verify_pdf(signed)

    assert report.revoked_at is not None
    assert not report.revoked_before_signing and report.ok


def test_a_key_compromise_after_the_stated_signing_time_still_flags_the_signature(
    head_certificate, letter_pdf, cast
):
    # The signing time of a B-B signature is the signer's word: a stolen key can backdate it.
    signed = sign_as(letter_pdf, head_certificate, cast.head_a)
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        services.certificate_revoke(
            certificate=head_certificate,
            by=cast.ca_operator,
            reason=RevocationReason.KEY_COMPROMISE,
        )

    (report,) = verify_pdf(signed)

    assert not report.revoked_before_signing and report.key_at_risk
    assert report.problems == (
        "Chứng thư người ký đã bị thu hồi do khóa bị lộ hoặc mất: không tin được thời điểm ký",
    )


def test_a_signer_of_another_agency_is_flagged_for_the_drafting_agency(
    issue, signed, letter_pdf, cast
):
    other_seal = issue(subject_kind=SubjectKind.ORGANIZATION, agency=cast.agency_b)

    (foreign,) = verify_pdf(sign_as(letter_pdf, other_seal, cast.clerk_b), agency=cast.agency_a)
    own = verify_pdf(signed, agency=cast.agency_a)

    assert foreign.belongs_to_agency is False
    assert foreign.problems == ("Người ký không thuộc cơ quan",)
    assert [r.belongs_to_agency for r in own] == [True, True]


def test_a_chain_to_a_root_not_in_signing_trust_roots_is_not_trusted(settings, signed, tmp_path):
    settings.SIGNING_TRUST_ROOTS = [foreign_root_pem(tmp_path / "foreign.pem")]

    reports = verify_pdf(signed)

    assert [r.trusted for r in reports] == [False, False]
    assert [r.intact for r in reports] == [True, True]
    assert "Chứng thư người ký không chuỗi về CA gốc tin cậy" in verification_summary(reports)


def test_the_simulated_root_given_as_a_pem_file_is_trusted(settings, signed, tmp_path, ca):
    root = x509.load_der_x509_certificate(bytes(ca.root.certificate_der))
    path = tmp_path / "root.pem"
    path.write_bytes(root.public_bytes(serialization.Encoding.PEM))
    settings.SIGNING_TRUST_ROOTS = [foreign_root_pem(tmp_path / "other.pem"), str(path)]

    assert [r.trusted for r in verify_pdf(signed)] == [True, True]


def test_an_unsigned_pdf_has_no_signatures(letter_pdf):
    assert verify_pdf(letter_pdf) == []
    assert verification_summary([]) == "Văn bản chưa có chữ ký số"


def test_the_signed_revision_of_a_portal_letter_matches_the_rendered_pdf(signed, letter_pdf):
    assert signed_revision_matches(letter_pdf, signed)


def test_a_pdf_signed_from_another_rendering_does_not_match(sign_letter, letter_pdf):
    other = sign_letter(minimal_pdf("Cong van so 13/STC-VP"))

    assert not signed_revision_matches(letter_pdf, other)


def test_an_unsigned_change_before_the_first_signature_does_not_match(sign_letter, letter_pdf):
    writer = IncrementalPdfFileWriter(BytesIO(letter_pdf))
    RawContent(b"0 0 1 rg 72 600 100 50 re f").add_to_page(writer, 0)
    changed = BytesIO()
    writer.write(changed)
    signed = sign_letter(changed.getvalue())
    assert signed.startswith(letter_pdf)

    assert not signed_revision_matches(letter_pdf, signed)


def sign_with_pending_change(pdf: bytes, certificate, by, change) -> bytes:
    """An outside signer that changes the letter in the same revision as its signature."""
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    change(writer)
    material = services.certificate_signing_material(certificate=certificate, by=by)
    pdf_signer = signers.PdfSigner(
        signers.PdfSignatureMetadata(
            field_name="ChuKy", md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES
        ),
        signer=pyhanko_signer(material),
    )
    return outside_event_loop(lambda: pdf_signer.sign_pdf(writer)).getvalue()


def test_a_page_changed_in_the_signing_revision_does_not_match(head_certificate, letter_pdf, cast):
    def draw(writer):
        RawContent(b"0 0 1 rg 72 600 100 50 re f").add_to_page(writer, 0)

    signed = sign_with_pending_change(letter_pdf, head_certificate, cast.head_a, draw)
    (report,) = verify_pdf(signed)
    assert report.ok  # the signature itself is sound: it signs the changed page

    assert not signed_revision_matches(letter_pdf, signed)


def test_an_annotation_added_in_the_signing_revision_does_not_match(
    head_certificate, letter_pdf, cast
):
    def annotate(writer):
        note = generic.DictionaryObject(
            {
                generic.pdf_name("/Type"): generic.pdf_name("/Annot"),
                generic.pdf_name("/Subtype"): generic.pdf_name("/FreeText"),
                generic.pdf_name("/Rect"): generic.ArrayObject(
                    map(generic.NumberObject, (72, 600, 300, 640))
                ),
                generic.pdf_name("/Contents"): generic.pdf_string("Số tiền: 1 tỷ đồng"),
            }
        )
        writer.register_annotation(writer.find_page_for_modification(0)[0], writer.add_object(note))

    signed = sign_with_pending_change(letter_pdf, head_certificate, cast.head_a, annotate)

    assert not signed_revision_matches(letter_pdf, signed)


def test_a_signature_added_in_the_signing_revision_alone_matches(
    head_certificate, letter_pdf, cast
):
    signed = sign_with_pending_change(letter_pdf, head_certificate, cast.head_a, lambda w: None)

    assert signed_revision_matches(letter_pdf, signed)


def _pdfa_letter() -> bytes:
    """A rendered PDF/A document (portal.lib.pdf), with its XMP metadata stream."""
    return render_pdf("portal/pdf/base.html", {"document_title": "Công văn số 12/STC-VP"})


def test_the_xmp_packet_rewritten_in_the_signing_revision_matches(head_certificate, cast):
    pdfa = _pdfa_letter()
    signed = sign_with_pending_change(pdfa, head_certificate, cast.head_a, lambda w: None)
    reader = PdfFileReader(BytesIO(signed))
    assert reader.root.raw_get("/Metadata").idnum in {
        ref.idnum for ref in reader.xrefs.explicit_refs_in_revision(1)
    }  # pyHanko overwrote the packet with its producer and date

    assert signed_revision_matches(pdfa, signed)


def test_the_xmp_packet_turned_into_something_else_does_not_match(head_certificate, cast):
    def clobber(writer):
        reference = writer.root.raw_get("/Metadata")
        writer.mark_update(reference)
        reference.get_object()["/Subtype"] = generic.pdf_name("/Form")

    pdfa = _pdfa_letter()
    signed = sign_with_pending_change(pdfa, head_certificate, cast.head_a, clobber)

    assert not signed_revision_matches(pdfa, signed)


def test_an_unsigned_change_after_the_signatures_does_not_match(signed, letter_pdf):
    writer = IncrementalPdfFileWriter(BytesIO(signed))
    RawContent(b"0 0 1 rg 72 600 100 50 re f").add_to_page(writer, 0)
    changed = BytesIO()
    writer.write(changed)

    assert not signed_revision_matches(letter_pdf, changed.getvalue())


def test_the_unsigned_rendered_pdf_does_not_match_itself(letter_pdf):
    assert not signed_revision_matches(letter_pdf, letter_pdf)


@pytest.mark.parametrize(
    "upload",
    [b"", b"GIF89a not a pdf", b"%PDF-1.7\n" + bytes(range(256)) * 40, b"%PDF-1.7\n1 0 obj <<"],
    ids=["empty", "not-a-pdf", "garbage", "truncated-object"],
)
def test_a_hostile_upload_is_a_vietnamese_refusal_not_a_crash(upload):
    with pytest.raises(CertificateError) as refused:
        verify_pdf(upload)

    assert refused.value.code == "bad_pdf"
    assert "PDF" in str(refused.value)


def test_a_truncated_signed_pdf_is_refused_or_reported_broken(signed):
    try:
        reports = verify_pdf(signed[: len(signed) // 2])
    except CertificateError as refused:
        assert refused.code == "bad_pdf"
    else:
        assert reports and not any(r.ok for r in reports)


def test_an_upload_over_the_size_cap_is_refused(settings, signed):
    settings.SIGNING_MAX_PDF_MB = 1

    with pytest.raises(CertificateError) as refused:
        verify_pdf(signed + b"\n" * (1024 * 1024))

    assert refused.value.code == "pdf_too_large"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Đề nghị cấp chứng thư", "De_nghi_cap_chung_thu.pdf"),
        ("Công văn số 12/STC-VP.pdf", "Cong_van_so_12_STC_VP.pdf"),
        ("", "van_ban.pdf"),
        ("???", "van_ban.pdf"),
    ],
)
def test_a_file_name_has_no_diacritics_nor_special_characters(text, expected):
    assert safe_pdf_filename(text) == expected


def test_a_file_name_is_at_most_50_characters():
    name = safe_pdf_filename(
        "Công văn số 12/STC-VP về việc đề nghị cấp chứng thư số cho Sở Tài chính tỉnh Lai Châu"
    )

    assert len(name) <= 50 and name.endswith(".pdf") and name.isascii()
    assert name.startswith("Cong_van_so_12_STC_VP_ve_viec_de_nghi")


def test_an_unreadable_trust_root_file_fails_the_system_check(settings, tmp_path):
    from certificates.checks import check_signing_settings

    not_a_certificate = tmp_path / "root.pem"
    not_a_certificate.write_text("không phải chứng thư")
    settings.SIGNING_TRUST_ROOTS = [str(tmp_path / "missing.pem"), str(not_a_certificate)]

    errors = check_signing_settings(None)

    assert [e.id for e in errors] == ["certificates.E006", "certificates.E006"]
