"""A letter signed outside the portal (requests_app/services/upload.py, docs/domain.md §9): the
head downloads the unsigned PDF, signs it with their own token and uploads it; the portal
accepts only an intact, trusted, unrevoked signature of the drafting agency over exactly the
bytes it rendered, and then hands the letter to the Sở KH&CN."""

from datetime import UTC, datetime, timedelta
from io import BytesIO

import pytest
import time_machine
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

from certificates import services as ca_services
from certificates.choices import RevocationReason, SubjectKind
from certificates.signing import Appearance, SigningPair, signature_position
from portal.documents import DocumentKind
from portal.errors import DomainError
from portal.lib.loops import outside_event_loop
from portal.lib.pdf import render_pdf
from portal.models import AuditEvent
from requests_app import services
from requests_app.choices import Status
from requests_app.documents import TEMPLATES, letter_document
from tests import factories as f
from tests.helpers import sign_in
from tests.outside_signer import sign_with_material
from tests.requests_app.signed_letters import (
    head_signing_pair,
    issued_external,
    rendered,
    signed_by,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(ca, cast):
    return head_signing_pair(cast)


def signed_with_key(pdf: bytes, certificate, by) -> bytes:
    """One signature with a certificate's key whatever its status (a token signs anything)."""
    material = ca_services.certificate_signing_material(certificate=certificate, by=by)
    return sign_with_material(
        pdf, material=material, field_name="ChuKy",
        appearance=Appearance.signature(
            signature_position(pdf), signer_name="Người ký", title="Giám đốc", agency="Sở"
        ),
    )  # fmt: skip


def self_made_signature(pdf: bytes) -> bytes:
    """Signed with a certificate from a root the agency made itself (cryptography, pyHanko)."""
    now = datetime.now(UTC)

    def certificate(subject, issuer, public_key, signing_key, *, ca: bool):
        return (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .sign(signing_key, hashes.SHA256())
        )

    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    leaf_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root = certificate("CA tự lập", "CA tự lập", root_key.public_key(), root_key, ca=True)
    leaf = certificate("Trần Thị Ánh Dương", "CA tự lập", leaf_key.public_key(), root_key, ca=False)
    der = serialization.Encoding.DER
    signer = signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(leaf.public_bytes(der)),
        signing_key=asn1_keys.PrivateKeyInfo.load(
            leaf_key.private_bytes(
                der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        ),
        cert_registry=SimpleCertificateStore.from_certs(
            [asn1_x509.Certificate.load(root.public_bytes(der))]
        ),
    )
    pdf_signer = signers.PdfSigner(
        signers.PdfSignatureMetadata(
            field_name="ChuKy", md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES
        ),
        signer=signer,
    )
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    return outside_event_loop(lambda: pdf_signer.sign_pdf(writer)).getvalue()


def refused(letter, upload, by) -> DomainError:
    with pytest.raises(DomainError) as caught:
        services.letter_signed_upload(cert_request=letter, uploaded=upload, by=by)
    return caught.value


def assert_nothing_stored(letter) -> None:
    letter.refresh_from_db()
    assert letter.status == Status.ISSUED
    assert not letter.documents.filter(kind=DocumentKind.SIGNED).exists()


# --- the service ---------------------------------------------------------------------------
def test_an_upload_signed_by_the_head_over_the_rendered_pdf_is_stored_and_sent(cast, pair):
    letter = issued_external(cast)
    pdf = signed_by(rendered(letter), pair, cast)

    stored = services.letter_signed_upload(cert_request=letter, uploaded=pdf, by=cast.head_a)

    assert stored.kind == DocumentKind.SIGNED and stored.number == letter.number
    assert bytes(stored.content) == pdf
    letter.refresh_from_db()
    assert letter.status == Status.PROVINCE_REVIEW and letter.received_on is not None
    event = AuditEvent.objects.get(action="letter_document.sign")
    assert event.after["source"] == "upload" and event.actor == cast.head_a


def test_a_pdf_whose_content_differs_from_the_rendered_letter_is_refused(cast, pair):
    letter = issued_external(cast)
    other = render_pdf(
        TEMPLATES[letter.form],
        letter_document(letter, number="999/STC-CKS", issued_on=letter.issued_on),
    )

    error = refused(letter, signed_by(other, pair, cast), cast.head_a)

    assert error.code == "content_differs"
    assert letter.number in error.message and "khác với văn bản" in error.message
    assert_nothing_stored(letter)
    event = AuditEvent.objects.get(action="letter_document.upload_refused")
    assert event.after["code"] == "content_differs" and event.actor == cast.head_a


def test_one_byte_changed_in_the_signed_file_is_refused(cast, pair):
    letter = issued_external(cast)
    original = rendered(letter)
    pdf = bytearray(signed_by(original, pair, cast))
    stream = original.index(b"stream\n", len(original) // 2) + len(b"stream\n") + 20
    pdf[stream] ^= 0x01

    error = refused(letter, bytes(pdf), cast.head_a)

    assert error.code == "not_intact"
    assert "không còn nguyên vẹn" in error.message
    assert_nothing_stored(letter)


@pytest.mark.parametrize("tail", [b"x", b"\n"], ids=["one-byte", "second-end-of-line"])
def test_bytes_appended_after_the_last_signed_revision_are_refused(cast, pair, tail):
    letter = issued_external(cast)
    pdf = signed_by(rendered(letter), pair, cast)
    assert pdf.endswith(b"%%EOF\n")  # the same file without the tail is accepted (above)

    error = refused(letter, pdf + tail, cast.head_a)

    assert error.code == "outside_signatures"
    assert error.message.startswith(
        "Tệp có dữ liệu nằm ngoài mọi phần đã ký (1 byte sau dấu kết thúc tệp của phiên bản "
        "cuối cùng): không chữ ký nào bảo đảm phần này"
    )
    assert_nothing_stored(letter)
    event = AuditEvent.objects.get(action="letter_document.upload_refused")
    assert event.after["code"] == "outside_signatures"


def test_a_signer_of_another_agency_is_refused(cast, ca):
    letter = issued_external(cast)
    stranger = f.PersonFactory(organization=cast.agency_b, full_name="Lò Văn Khách")
    foreign = SigningPair(
        personal=ca_services.certificate_issue(
            subject_kind=SubjectKind.PERSON, agency=cast.agency_b, person=stranger,
            by=cast.ca_operator,
        ),
        seal=ca_services.certificate_issue(
            subject_kind=SubjectKind.ORGANIZATION, agency=cast.agency_b, by=cast.ca_operator
        ),
    )  # fmt: skip

    error = refused(letter, signed_by(rendered(letter), foreign, cast, cast.agency_b), cast.head_a)

    assert error.code == "foreign_signer"
    assert cast.agency_a.name in error.message
    assert_nothing_stored(letter)


def test_a_signer_revoked_before_signing_is_refused(cast, pair):
    letter = issued_external(cast)
    ca_services.certificate_revoke(
        certificate=pair.personal, by=cast.ca_operator, reason=RevocationReason.DEVICE_LOST
    )
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        pdf = signed_with_key(rendered(letter), pair.personal, cast.head_a)

    error = refused(letter, pdf, cast.head_a)

    assert error.code == "revoked"
    assert "thu hồi" in error.message
    assert_nothing_stored(letter)


def test_a_signer_chaining_to_an_untrusted_root_is_refused(cast, ca):
    letter = issued_external(cast)

    error = refused(letter, self_made_signature(rendered(letter)), cast.head_a)

    assert error.code == "untrusted"
    assert "CA gốc tin cậy" in error.message
    assert_nothing_stored(letter)


def test_the_seal_alone_without_the_heads_signature_is_refused(cast, pair):
    letter = issued_external(cast)

    error = refused(letter, signed_with_key(rendered(letter), pair.seal, cast.head_a), cast.head_a)

    assert error.code == "no_person_signature"
    assert_nothing_stored(letter)


def test_the_unsigned_rendered_pdf_is_refused(cast, ca):
    letter = issued_external(cast)

    error = refused(letter, rendered(letter), cast.head_a)

    assert error.code == "unsigned"
    assert_nothing_stored(letter)


def test_a_file_that_is_not_a_pdf_is_refused(cast, ca):
    letter = issued_external(cast)

    error = refused(letter, b"GIF89a\x01\x00 not a pdf", cast.head_a)

    assert error.code == "bad_pdf" and "không phải là tệp PDF" in error.message
    assert_nothing_stored(letter)


def test_a_file_over_the_size_cap_is_refused(settings, cast, pair):
    letter = issued_external(cast)
    settings.SIGNING_MAX_PDF_MB = 1
    pdf = signed_by(rendered(letter), pair, cast) + b"\n" * (1024 * 1024)

    error = refused(letter, SimpleUploadedFile("ky.pdf", pdf, "application/pdf"), cast.head_a)

    assert error.code == "pdf_too_large" and "1 MB" in error.message
    assert_nothing_stored(letter)


@pytest.mark.parametrize("persona", ["clerk_a", "officer_1"])
def test_someone_other_than_the_head_may_not_upload(cast, pair, persona):
    letter = issued_external(cast)
    pdf = signed_by(rendered(letter), pair, cast)

    with pytest.raises(PermissionDenied):
        services.letter_signed_upload(cert_request=letter, uploaded=pdf, by=getattr(cast, persona))

    assert_nothing_stored(letter)


def test_a_letter_no_longer_issued_takes_no_upload(cast, pair):
    letter = issued_external(cast)
    pdf = signed_by(rendered(letter), pair, cast)
    services.cert_request_send_back(cert_request=letter, by=cast.head_a, note="Sửa lại")

    error = refused(letter, pdf, cast.head_a)

    assert error.code == "stale_status"
    letter.refresh_from_db()
    assert letter.status == Status.DRAFT
    assert not letter.documents.filter(kind=DocumentKind.SIGNED).exists()


def test_uploading_twice_keeps_one_signed_version(cast, pair):
    letter = issued_external(cast)
    pdf = signed_by(rendered(letter), pair, cast)
    first = services.letter_signed_upload(cert_request=letter, uploaded=pdf, by=cast.head_a)

    error = refused(letter, signed_by(rendered(letter), pair, cast), cast.head_a)

    assert error.code == "stale_status"
    assert list(letter.documents.filter(kind=DocumentKind.SIGNED)) == [first]
    assert AuditEvent.objects.filter(action="letter_document.sign").count() == 1


# --- the pages -----------------------------------------------------------------------------
def upload_url(letter) -> str:
    return reverse("requests_app:signed_upload", args=[letter.pk])


def test_the_heads_letter_page_offers_the_unsigned_pdf_and_the_upload_form(cast, client, ca):
    letter = issued_external(cast)
    sign_in(client, cast.head_a)

    page = client.get(reverse("requests_app:detail", args=[letter.pk])).content.decode()

    assert "data-signed-upload" in page
    assert reverse("requests_app:document", args=[letter.pk, 1]) in page
    assert f'action="{upload_url(letter)}"' in page and 'enctype="multipart/form-data"' in page


def test_the_clerks_letter_page_has_no_upload_form(cast, client, ca):
    letter = issued_external(cast)
    sign_in(client, cast.clerk_a)

    page = client.get(reverse("requests_app:detail", args=[letter.pk])).content.decode()

    assert "data-signed-upload" not in page


def test_the_head_uploads_through_the_form_and_the_letter_goes_to_the_province(cast, client, pair):
    letter = issued_external(cast)
    pdf = signed_by(rendered(letter), pair, cast)
    sign_in(client, cast.head_a)

    response = client.post(
        upload_url(letter), {"file": SimpleUploadedFile("da_ky.pdf", pdf, "application/pdf")}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("requests_app:detail", args=[letter.pk])
    letter.refresh_from_db()
    assert letter.status == Status.PROVINCE_REVIEW
    assert bytes(services.letter_signed_current(letter).content) == pdf


def test_a_refused_upload_shows_its_reason_beside_the_file_field(cast, client, ca):
    letter = issued_external(cast)
    sign_in(client, cast.head_a)

    response = client.post(
        upload_url(letter), {"file": SimpleUploadedFile("anh.pdf", b"GIF89a", "image/gif")}
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert 'class="field-error"' in page and "Tệp tải lên không phải là tệp PDF." in page
    assert_nothing_stored(letter)


@pytest.mark.parametrize(("persona", "status"), [("clerk_a", 403), ("clerk_b", 404)])
def test_the_upload_page_is_the_heads_within_the_letters_scope(cast, client, pair, persona, status):
    letter = issued_external(cast)
    pdf = signed_by(rendered(letter), pair, cast)
    sign_in(client, getattr(cast, persona))

    assert client.get(upload_url(letter)).status_code == status
    response = client.post(
        upload_url(letter), {"file": SimpleUploadedFile("da_ky.pdf", pdf, "application/pdf")}
    )

    assert response.status_code == status
    assert_nothing_stored(letter)


def test_every_letter_pdf_downloads_under_a_short_ascii_name(cast, client, pair):
    letter = issued_external(cast, number="1234/SỞTÀICHÍNH-VĂNPHÒNG-CHỨNGTHƯSỐ-ĐẶCBIỆT-LAICHÂU")
    services.letter_signed_upload(
        cert_request=letter, uploaded=signed_by(rendered(letter), pair, cast), by=cast.head_a
    )
    sign_in(client, cast.head_a)

    names = []
    for document in letter.documents.order_by("version"):
        response = client.get(reverse("requests_app:document", args=[letter.pk, document.version]))
        assert response.status_code == 200
        names.append(response["Content-Disposition"].split('filename="')[1].rstrip('"'))

    assert len(names) == 2 and len(set(names)) == 2
    for name in names:
        assert name.isascii() and len(name) <= 50 and name.endswith(".pdf"), name
        assert "/" not in name and " " not in name
    assert names[0].endswith("_v1.pdf") and names[1].endswith("_v2_da_ky.pdf")


def test_a_personal_signature_of_someone_who_is_not_the_head_is_refused(cast, pair):
    letter = issued_external(cast)
    clerk = f.PersonFactory(organization=cast.agency_a, user=cast.clerk_a, full_name="Lò Thị Mai")
    clerks = ca_services.certificate_issue(
        subject_kind=SubjectKind.PERSON, agency=cast.agency_a, person=clerk, by=cast.ca_operator
    )

    pdf = signed_by(rendered(letter), SigningPair(personal=clerks, seal=pair.seal), cast)
    error = refused(letter, pdf, cast.head_a)

    assert error.code == "no_person_signature"
    assert_nothing_stored(letter)


def test_an_upload_with_the_heads_signature_but_no_agency_seal_is_refused(cast, pair):
    letter = issued_external(cast)
    head_only = SigningPair(personal=pair.personal, seal=None)

    error = refused(letter, signed_by(rendered(letter), head_only, cast), cast.head_a)

    assert error.code == "no_seal"
    assert cast.agency_a.name in error.message
    assert_nothing_stored(letter)
