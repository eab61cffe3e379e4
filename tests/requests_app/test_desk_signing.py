"""The head signs an issued letter at their own desk (requests_app/services/desk.py,
certificates/desk/): the portal prepares the PDF and the digest of the signed attributes, the
head's device signs the digest, the portal embeds the signature only after checking the
request's nonce and deadline, the certificate and the signature; then the agency's seal the
same way, and the letter goes to the Sở KH&CN. Every refusal leaves the letter as it was and
is audited.

The "device" here is the tests' stand-in for the signing client and the token
(tests/desk.py); the real client over SoftHSM2 tokens: tests/browser/test_desk_signing.py."""

from datetime import timedelta

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.utils import timezone

from certificates import services as ca_services
from certificates.choices import RevocationReason, SigningEventKind, SubjectKind
from certificates.desk.models import DeskSigning, DeskState
from certificates.desk.services import (
    desk_signing_complete,
    desk_signing_prepare,
    desk_signing_sweep,
    digest_of,
)
from certificates.exceptions import CertificateError
from certificates.models import SigningEvent, Timestamp, TimestampUnit
from certificates.signing import Appearance, signature_position, verify_pdf
from portal.documents import DocumentKind
from portal.errors import DomainError
from portal.models import AuditEvent
from requests_app import services
from requests_app.choices import Status
from tests import factories as f
from tests.certificates.pdf_tools import pdfsig_sections
from tests.desk import answer, device_signs
from tests.requests_app.signed_letters import head_signing_pair, issued_external, rendered

pytestmark = pytest.mark.django_db

VALID = "Signature Validation: Signature is Valid."


@pytest.fixture
def pair(ca, cast):
    return head_signing_pair(cast)


def complete(letter, by, answer):
    return services.letter_desk_complete(cert_request=letter, by=by, answer=answer)


def unchanged(letter) -> bool:
    letter.refresh_from_db()
    return (
        letter.status == Status.ISSUED
        and not letter.documents.filter(kind=DocumentKind.SIGNED).exists()
    )


def refusals(code: str) -> int:
    return (
        AuditEvent.objects.filter(action="desk_signing.refuse", after__code=code).count()
        + AuditEvent.objects.filter(action="letter_document.desk_refused", after__code=code).count()
    )


def head_round(letter, cast, pair):
    desk = services.letter_desk_prepare(cert_request=letter, by=cast.head_a)
    assert desk.certificate == pair.personal
    return desk


def test_the_head_signs_and_seals_at_the_desk_and_pdfsig_reports_both_valid(
    cast, ca, pair, tmp_path
):
    letter = issued_external(cast)

    desk = head_round(letter, cast, pair)
    assert desk.field_name == "ChuKyLanhDao" and len(digest_of(desk)) == 32
    first = complete(
        letter, cast.head_a, answer=answer(desk, cast.head_a, certificate=pair.personal)
    )
    assert first.document is None and unchanged(letter)  # the seal is still to come

    seal = services.letter_desk_prepare(cert_request=letter, by=cast.head_a)
    assert (seal.field_name, seal.certificate) == ("DauCoQuan", pair.seal)
    last = complete(letter, cast.head_a, answer=answer(seal, cast.head_a, certificate=pair.seal))

    letter.refresh_from_db()
    assert letter.status == Status.PROVINCE_REVIEW
    assert last.document is not None and last.document.kind == DocumentKind.SIGNED
    assert AuditEvent.objects.filter(action="letter_document.sign", after__source="desk").exists()
    # The signing monitor sees both as signatures made, not as an upload.
    events = SigningEvent.objects.filter(document_number=letter.number)
    assert not events.filter(kind=SigningEventKind.UPLOADED).exists()
    assert sorted(events.filter(kind=SigningEventKind.SIGNED).values_list("serial", flat=True)) == (
        sorted([pair.personal.serial, pair.seal.serial])
    )
    sections = pdfsig_sections(bytes(last.document.content), ca, tmp_path)
    assert len(sections) == 2
    assert all(VALID in section for section in sections)
    assert "Common Name: Trần Thị Ánh Dương" in sections[0]
    assert f"Common Name: {cast.agency_a.name}" in sections[1]


def test_it_refuses_an_answer_after_the_deadline(cast, ca, pair):
    letter = issued_external(cast)
    desk = head_round(letter, cast, pair)
    values = answer(desk, cast.head_a, certificate=pair.personal)

    with (
        time_machine.travel(timezone.now() + timedelta(minutes=6)),
        pytest.raises(CertificateError) as refused,
    ):
        complete(letter, cast.head_a, values)

    assert refused.value.code == "expired"
    desk.refresh_from_db()
    assert desk.state == DeskState.EXPIRED
    assert unchanged(letter) and refusals("expired") == 2


def test_it_refuses_a_replayed_answer(cast, ca, pair):
    letter = issued_external(cast)
    desk = head_round(letter, cast, pair)
    values = answer(desk, cast.head_a, certificate=pair.personal)
    complete(letter, cast.head_a, values)

    with pytest.raises(CertificateError) as refused:
        complete(letter, cast.head_a, values)

    assert refused.value.code == "used"
    desk.refresh_from_db()
    assert desk.state == DeskState.DONE
    assert unchanged(letter) and refusals("used") == 2


def test_it_refuses_an_answer_with_another_nonce(cast, ca, pair):
    letter = issued_external(cast)
    desk = head_round(letter, cast, pair)

    with pytest.raises(CertificateError) as refused:
        complete(
            letter,
            cast.head_a,
            answer=answer(desk, cast.head_a, certificate=pair.personal, nonce="x" * 32),
        )

    assert refused.value.code == "nonce"
    desk.refresh_from_db()
    assert desk.state == DeskState.REFUSED and desk.refusal
    assert unchanged(letter) and refusals("nonce") == 2


def test_it_refuses_a_signature_made_with_another_persons_certificate(cast, ca, pair):
    letter = issued_external(cast)
    desk = head_round(letter, cast, pair)
    other = ca_services.certificate_issue(
        subject_kind=SubjectKind.PERSON,
        agency=cast.agency_a,
        person=f.PersonFactory(organization=cast.agency_a, full_name="Lê Văn Khác"),
        by=cast.ca_operator,
    )

    values = answer(desk, cast.head_a, certificate=pair.personal,
        signature=device_signs(other, digest_of(desk), cast.head_a),
        certificate_der=bytes(other.der),
    )  # fmt: skip
    with pytest.raises(CertificateError) as refused:
        complete(letter, cast.head_a, values)

    assert refused.value.code == "other_certificate"
    assert unchanged(letter) and refusals("other_certificate") == 2


def test_it_refuses_to_prepare_with_a_certificate_that_is_not_the_signers(cast, ca, pair):
    letter = issued_external(cast)
    pdf = rendered(letter)
    with pytest.raises(CertificateError) as refused:
        desk_signing_prepare(
            pdf=pdf, certificate=pair.personal, field_name="ChuKy",
            appearance=Appearance.signature(
                signature_position(pdf), signer_name="X", title="", agency=""
            ),
            reason="", by=cast.clerk_a, document_number="1", title="", purpose="test",
        )  # fmt: skip
    assert refused.value.code == "not_usable"
    assert not DeskSigning.objects.exists()


def test_it_refuses_a_certificate_revoked_after_the_request_was_prepared(cast, ca, pair):
    letter = issued_external(cast)
    desk = head_round(letter, cast, pair)
    values = answer(desk, cast.head_a, certificate=pair.personal)
    ca_services.certificate_revoke(
        certificate=pair.personal, by=cast.ca_operator, reason=RevocationReason.DEVICE_LOST
    )

    with pytest.raises(CertificateError) as refused:
        complete(letter, cast.head_a, values)

    assert refused.value.code == "not_usable"
    assert unchanged(letter) and refusals("not_usable") == 2


def test_it_refuses_a_signature_over_another_documents_digest(cast, ca, pair):
    letter = issued_external(cast)
    other_letter = issued_external(cast)
    desk = head_round(letter, cast, pair)
    other_desk = head_round(other_letter, cast, pair)

    values = answer(desk, cast.head_a, certificate=pair.personal,
        signature=device_signs(pair.personal, digest_of(other_desk), cast.head_a),
    )  # fmt: skip
    with pytest.raises(CertificateError) as refused:
        complete(letter, cast.head_a, values)

    assert refused.value.code == "bad_signature"
    desk.refresh_from_db()
    assert desk.state == DeskState.REFUSED
    assert unchanged(letter) and refusals("bad_signature") == 2


def test_it_refuses_a_request_of_another_letter(cast, ca, pair):
    letter = issued_external(cast)
    other_letter = issued_external(cast)
    other_desk = head_round(other_letter, cast, pair)

    with pytest.raises(DomainError) as refused:
        complete(
            letter, cast.head_a, answer=answer(other_desk, cast.head_a, certificate=pair.personal)
        )

    assert refused.value.code == "foreign_request"
    other_desk.refresh_from_db()
    assert other_desk.state == DeskState.PENDING
    assert unchanged(letter) and refusals("foreign_request") == 1


def test_the_sweep_expires_stale_requests_and_later_forgets_their_pdf(cast, ca, pair):
    letter = issued_external(cast)
    desk = head_round(letter, cast, pair)

    assert desk_signing_sweep() == 0
    later = timezone.now() + timedelta(minutes=6)
    assert desk_signing_sweep(now=later) == 1
    desk.refresh_from_db()
    assert desk.state == DeskState.EXPIRED and bytes(desk.prepared_pdf)
    assert AuditEvent.objects.filter(action="desk_signing.expire").count() == 1

    assert desk_signing_sweep(now=later + timedelta(days=2)) == 0
    desk.refresh_from_db()
    assert bytes(desk.prepared_pdf) == b"" and desk.state == DeskState.EXPIRED


def test_of_two_requests_for_the_same_signature_only_one_completes(cast, ca, pair):
    letter = issued_external(cast)
    first = head_round(letter, cast, pair)
    second = head_round(letter, cast, pair)
    complete(letter, cast.head_a, answer=answer(first, cast.head_a, certificate=pair.personal))

    with pytest.raises(CertificateError) as refused:
        complete(letter, cast.head_a, answer=answer(second, cast.head_a, certificate=pair.personal))

    assert refused.value.code == "already_done"
    second.refresh_from_db()
    assert second.state == DeskState.REFUSED
    assert DeskSigning.objects.filter(state=DeskState.DONE).count() == 1
    assert unchanged(letter)


def test_the_database_lets_one_request_per_purpose_complete(cast, ca, pair):
    letter = issued_external(cast)
    first = head_round(letter, cast, pair)
    second = head_round(letter, cast, pair)
    now = timezone.now()
    DeskSigning.objects.filter(pk=first.pk).update(state=DeskState.DONE, finished_at=now)

    with pytest.raises(IntegrityError), transaction.atomic():
        DeskSigning.objects.filter(pk=second.pk).update(state=DeskState.DONE, finished_at=now)
    with pytest.raises(IntegrityError), transaction.atomic():
        DeskSigning.objects.filter(pk=second.pk).update(state=DeskState.EXPIRED)


def test_it_refuses_an_answer_sent_by_someone_else_than_the_signer(cast, ca, pair):
    letter = issued_external(cast)
    desk = head_round(letter, cast, pair)

    with pytest.raises(CertificateError) as refused:
        desk_signing_complete(
            answer=answer(desk, cast.head_a, certificate=pair.personal), by=cast.clerk_a
        )

    assert refused.value.code == "not_yours"
    desk.refresh_from_db()
    assert desk.state == DeskState.REFUSED
    assert unchanged(letter)
    assert AuditEvent.objects.filter(action="desk_signing.refuse", actor=cast.clerk_a).exists()


def test_a_head_signature_swept_before_the_seal_is_signed_again_from_the_first_round(
    cast, ca, pair, settings
):
    """The head signed, the seal waited past PORTAL_DESK_SIGNING_KEEP_HOURS and the sweep
    emptied the head's signed PDF: "Ký" starts again from the head's signature."""
    letter = issued_external(cast)
    first = head_round(letter, cast, pair)
    complete(letter, cast.head_a, answer=answer(first, cast.head_a, certificate=pair.personal))
    later = timezone.now() + timedelta(hours=settings.PORTAL_DESK_SIGNING_KEEP_HOURS + 1)
    desk_signing_sweep(now=later)

    again = services.letter_desk_prepare(cert_request=letter, by=cast.head_a)

    assert (again.field_name, again.certificate) == ("ChuKyLanhDao", pair.personal)
    first.refresh_from_db()
    assert first.state == DeskState.ABANDONED
    assert AuditEvent.objects.filter(
        action="desk_signing.abandon", object_id=str(first.pk)
    ).exists()
    complete(letter, cast.head_a, answer=answer(again, cast.head_a, certificate=pair.personal))
    seal = services.letter_desk_prepare(cert_request=letter, by=cast.head_a)
    assert seal.field_name == "DauCoQuan"
    complete(letter, cast.head_a, answer=answer(seal, cast.head_a, certificate=pair.seal))
    letter.refresh_from_db()
    assert letter.status == Status.PROVINCE_REVIEW
    assert services.letter_verification_current(letter).ok


def test_rounds_done_whose_letter_was_not_stored_are_signed_again_from_the_first_round(
    cast, ca, pair, settings
):
    """Both rounds done, then the letter not stored (the process died between the last
    round and storing): a "Ký" at once is told the letter is being stored (its completion may
    still be storing it: a second click, another tab); once PORTAL_DESK_SIGNING_SECONDS have
    passed, "Ký" sets both rounds aside and starts again."""
    letter = issued_external(cast)
    head = head_round(letter, cast, pair)
    complete(letter, cast.head_a, answer=answer(head, cast.head_a, certificate=pair.personal))
    seal = services.letter_desk_prepare(cert_request=letter, by=cast.head_a)
    # The seal's round completes at the desk layer only: nothing reaches the letter.
    desk_signing_complete(answer=answer(seal, cast.head_a), by=cast.head_a)
    assert unchanged(letter)
    with pytest.raises(DomainError) as storing:
        services.letter_desk_prepare(cert_request=letter, by=cast.head_a)
    assert storing.value.code == "storing"
    assert DeskSigning.objects.filter(pk__in=[head.pk, seal.pk], state=DeskState.DONE).count() == 2

    with time_machine.travel(
        timezone.now() + timedelta(seconds=settings.PORTAL_DESK_SIGNING_SECONDS + 1)
    ):
        again = services.letter_desk_prepare(cert_request=letter, by=cast.head_a)

    assert again.field_name == "ChuKyLanhDao"
    states = set(
        DeskSigning.objects.filter(pk__in=[head.pk, seal.pk]).values_list("state", flat=True)
    )
    assert states == {DeskState.ABANDONED}
    complete(letter, cast.head_a, answer=answer(again, cast.head_a, certificate=pair.personal))
    last = services.letter_desk_prepare(cert_request=letter, by=cast.head_a)
    complete(letter, cast.head_a, answer=answer(last, cast.head_a, certificate=pair.seal))
    letter.refresh_from_db()
    assert letter.status == Status.PROVINCE_REVIEW


def test_a_desk_signed_pdf_that_does_not_start_with_the_rendered_letter_is_refused(cast, ca, pair):
    """The desk's own check of the content: the sealed PDF must be the rendered letter byte
    for byte plus the portal's incremental updates."""
    other = issued_external(cast)
    sign_at_desk_rounds(other, cast, pair)
    other_signed = bytes(other.documents.get(kind=DocumentKind.SIGNED).content)
    letter = issued_external(cast)

    with pytest.raises(DomainError) as refused:
        services.letter_signed_accept(
            cert_request=letter, pdf=other_signed, by=cast.head_a, source="desk"
        )

    assert refused.value.code == "content_differs"
    assert unchanged(letter)


def sign_at_desk_rounds(letter, cast, pair) -> None:
    for certificate in (pair.personal, pair.seal):
        desk = services.letter_desk_prepare(cert_request=letter, by=cast.head_a)
        complete(letter, cast.head_a, answer=answer(desk, cast.head_a, certificate=certificate))


def test_each_desk_signature_carries_a_time_stamp_of_the_portals_authority(cast, ca, pair):
    """PAdES B-T: the portal's TSA stamps each signature value when it is embedded; the
    signing time the verification reads is the token's."""
    letter = issued_external(cast)
    before = timezone.now()

    sign_at_desk_rounds(letter, cast, pair)

    signed = bytes(letter.documents.get(kind=DocumentKind.SIGNED).content)
    reports = verify_pdf(signed, agency=cast.agency_a)
    assert [r.timestamped for r in reports] == [True, True]
    assert all(r.ok for r in reports), reports
    # genTime is to the second (accuracy one second)
    assert all(before - timedelta(seconds=1) <= r.signing_time <= timezone.now() for r in reports)
    assert Timestamp.objects.count() == 2
    assert services.letter_verification_current(letter).ok


def test_without_a_time_stamp_the_answer_waits_and_is_taken_once_the_authority_answers(
    cast, ca, pair
):
    letter = issued_external(cast)
    desk = head_round(letter, cast, pair)
    values = answer(desk, cast.head_a, certificate=pair.personal)
    TimestampUnit.objects.update(is_active=False)  # no authority to answer

    with pytest.raises(CertificateError) as refused:
        complete(letter, cast.head_a, values)

    assert refused.value.code == "no_timestamp"
    desk.refresh_from_db()
    assert desk.state == DeskState.PENDING and unchanged(letter)
    TimestampUnit.objects.update(is_active=True)
    assert complete(letter, cast.head_a, values).field_name == "ChuKyLanhDao"


def test_a_seal_prepared_over_a_head_signature_set_aside_cannot_complete(cast, ca, pair):
    letter = issued_external(cast)
    head = head_round(letter, cast, pair)
    complete(letter, cast.head_a, answer=answer(head, cast.head_a, certificate=pair.personal))
    seal = services.letter_desk_prepare(cert_request=letter, by=cast.head_a)
    # What the sweep does PORTAL_DESK_SIGNING_KEEP_HOURS after the head's round.
    DeskSigning.objects.filter(pk=head.pk).update(signed_pdf=b"")

    services.letter_desk_prepare(cert_request=letter, by=cast.head_a)  # starts again

    seal.refresh_from_db()
    assert seal.state == DeskState.REFUSED
    with pytest.raises(CertificateError) as refused:
        complete(letter, cast.head_a, answer=answer(seal, cast.head_a))
    assert refused.value.code == "used" and unchanged(letter)
