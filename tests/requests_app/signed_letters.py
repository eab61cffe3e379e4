"""Letters issued to be signed outside the portal, and what a head's own token makes of
them (tests/requests_app/test_signed_upload.py, tests/browser/test_signed_upload.py)."""

from certificates import services as ca_services
from certificates.choices import SubjectKind
from certificates.signing import SigningPair
from portal.documents import DocumentKind
from requests_app import services
from requests_app.choices import FormKind, Status
from requests_app.models import CertRequest, LetterDocument
from requests_app.tasks import letter_archive_extend_task
from tests import factories as f
from tests.outside_signer import sign_and_seal
from tests.requests_app.letters import draft, letter_at


def issued_external(
    cast, *, number: str = "", form: str = FormKind.ISSUE_ORGANIZATION
) -> CertRequest:
    """A letter of agency A (a Mẫu 02 unless `form` says) issued by its head, its unsigned PDF
    rendered as the worker does: waiting for the head's signature (at the desk, or outside and
    uploaded)."""
    letter = draft(cast, form)
    services.cert_request_submit(cert_request=letter, by=cast.clerk_a)
    services.cert_request_issue(cert_request=letter, by=cast.head_a, number=number)
    letter.refresh_from_db()
    assert letter.status == Status.ISSUED
    assert services.letter_document_render(cert_request_id=letter.pk) is not None
    return letter


def rendered(letter) -> bytes:
    return bytes(letter.documents.get(kind=DocumentKind.RENDERED, number=letter.number).content)


def head_signing_pair(cast) -> SigningPair:
    """Agency A's head (the account head_a) as a person with a personal certificate, and the
    agency's seal, from the simulated CA (the `ca` fixture must have run)."""
    head = f.PersonFactory(
        organization=cast.agency_a, user=cast.head_a, full_name="Trần Thị Ánh Dương",
        position="Giám đốc",
    )  # fmt: skip
    personal = ca_services.certificate_issue(
        subject_kind=SubjectKind.PERSON, agency=cast.agency_a, person=head, by=cast.ca_operator
    )
    seal = ca_services.certificate_issue(
        subject_kind=SubjectKind.ORGANIZATION, agency=cast.agency_a, by=cast.ca_operator
    )
    return SigningPair(personal=personal, seal=seal)


def signed_by(pdf: bytes, pair: SigningPair, cast, agency=None) -> bytes:
    """`pdf` signed as the head's own token would, then sealed (the portal's signing helper)."""
    return sign_and_seal(
        pdf, pair=pair, agency_name=(agency or cast.agency_a).name, by=cast.head_a,
        reason="Ký ban hành",
    )  # fmt: skip


def signed_of(letter) -> LetterDocument:
    return LetterDocument.objects.get(letter=letter, kind=DocumentKind.SIGNED)


def tampered(pdf: bytes) -> bytes:
    """One byte changed inside the first revision's page content (signed by both)."""
    at = pdf.index(b"stream", pdf.index(b"%%EOF") // 4) + 40
    return pdf[:at] + bytes([pdf[at] ^ 0x01]) + pdf[at + 1 :]


def worker_runs(letter) -> None:
    """What the worker does once a signed version is stored: its archive, then its report."""
    letter_archive_extend_task(LetterDocument.objects.signed_for(letter).get().pk)


def received(cast):
    letter = letter_at(cast, Status.PROVINCE_REVIEW, FormKind.ISSUE_ORGANIZATION)
    worker_runs(letter)
    return letter
