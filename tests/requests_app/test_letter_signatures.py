"""The head issues the letter, the worker renders it, the head signs and seals it at the desk;
the province verifies on receipt (docs/documents.md §8, docs/domain.md §9). The signatures
are checked by an independent verifier (poppler's pdfsig) as well as by the portal's own
verification."""

import html
import time

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from agencies.templatetags.people import full_name
from certificates.choices import RevocationReason
from certificates.services import certificate_revoke
from certificates.signing import personal_signing_certificate, seal_certificate
from portal.documents import DocumentKind
from portal.errors import DomainError
from portal.models import AuditEvent
from requests_app import services
from requests_app.choices import FormKind, Status
from requests_app.models import CertRequest, LetterDocument, LetterVerification
from requests_app.tasks import letter_document_render_missing_task, letter_document_render_task
from tests.certificates.pdf_tools import pdfsig_sections
from tests.helpers import sign_in
from tests.requests_app.letters import (
    draft,
    head_signs,
    issue_signed,
    letter_at,
    post_action,
    signing_ready,
)
from tests.requests_app.signed_letters import signed_of, tampered

pytestmark = pytest.mark.django_db

VALID = "Signature Validation: Signature is Valid."
NOT_SIGNED = "Văn bản chưa có chữ ký số hợp lệ: không thể chuyển tiếp."


def submitted(cast, form=FormKind.ISSUE_ORGANIZATION):
    letter = draft(cast, form)
    services.cert_request_submit(cert_request=letter, by=cast.clerk_a)
    return letter


def test_the_heads_issue_produces_a_signed_version_pdfsig_reports_valid(cast, ca, tmp_path):
    letter = issue_signed(cast, submitted(cast))

    assert letter.status == Status.PROVINCE_REVIEW
    document = signed_of(letter)
    assert document.number == letter.number
    sections = pdfsig_sections(bytes(document.content), ca, tmp_path)
    assert len(sections) == 2
    assert all(VALID in section for section in sections)
    assert "Common Name: Trần Thị Ánh Dương" in sections[0]
    assert f"Common Name: {cast.agency_a.name}" in sections[1]
    # the signed version starts with the rendered one, byte for byte
    rendered = LetterDocument.objects.get(letter=letter, kind=DocumentKind.RENDERED)
    assert bytes(document.content).startswith(bytes(rendered.content))
    verification = services.letter_verification_current(letter)
    assert verification.ok and verification.summary == "2 chữ ký hợp lệ"
    assert AuditEvent.objects.filter(action="letter_document.sign").count() == 1


def test_issuing_leaves_the_letter_issued_until_the_head_has_signed_and_sealed(cast):
    letter = submitted(cast)
    signing_ready(cast)
    services.cert_request_issue(cert_request=letter, by=cast.head_a)
    letter.refresh_from_db()
    assert letter.status == Status.ISSUED
    assert letter.number and not letter.documents.exists()
    letter_document_render_task(letter.pk)  # the worker renders; nobody signs for the head
    letter.refresh_from_db()
    assert letter.status == Status.ISSUED
    assert list(letter.documents.values_list("kind", flat=True)) == [DocumentKind.RENDERED]
    head_signs(letter, by=cast.head_a)
    assert letter.status == Status.PROVINCE_REVIEW


def test_a_head_without_a_personal_certificate_may_issue_and_is_told_at_the_desk(cast, ca):
    """The head may sign outside and upload with a certificate the portal does not know yet;
    the desk, which signs with the certificate the portal knows, names what is missing."""
    letter = submitted(cast)
    services.cert_request_issue(cert_request=letter, by=cast.head_a)
    letter_document_render_task(letter.pk)
    with pytest.raises(DomainError) as exc:
        services.letter_desk_prepare(cert_request=letter, by=cast.head_a)
    assert exc.value.code == "no_personal_certificate"
    assert "chưa có chứng thư số cá nhân còn hiệu lực" in str(exc.value.message)
    letter.refresh_from_db()
    assert letter.status == Status.ISSUED


def test_an_agency_without_its_seal_is_refused_at_the_seal_round(cast, ca):
    letter = submitted(cast)
    signing_ready(cast)
    certificate_revoke(
        certificate=seal_certificate(cast.agency_a), by=cast.ca_operator, reason="device_broken"
    )
    services.cert_request_issue(cert_request=letter, by=cast.head_a)
    with pytest.raises(DomainError) as exc:
        head_signs(letter, by=cast.head_a)
    assert exc.value.code == "no_seal_certificate"
    letter.refresh_from_db()
    assert letter.status == Status.ISSUED
    assert not letter.documents.filter(kind=DocumentKind.SIGNED).exists()


def test_a_tampered_signed_version_is_flagged_and_cannot_be_forwarded(cast, client):
    good = letter_at(cast, Status.PROVINCE_REVIEW, FormKind.ISSUE_ORGANIZATION)
    letter = submitted(cast)
    services.cert_request_issue(cert_request=letter, by=cast.head_a)
    letter.refresh_from_db()
    # what an upload of a file changed after signing would store
    services.letter_signed_store(
        cert_request_id=letter.pk, number=letter.number, by=cast.head_a, source="upload",
        pdf=tampered(bytes(signed_of(good).content)),
    )  # fmt: skip
    letter.refresh_from_db()
    assert letter.status == Status.PROVINCE_REVIEW
    verification = services.letter_verification_current(letter)
    assert not verification.ok
    assert "Chữ ký bị sửa đổi" in verification.summary

    sign_in(client, cast.officer_1)
    page = client.get(reverse("requests_app:detail", args=[letter.pk])).content.decode()
    assert "Chữ ký bị sửa đổi" in page
    post_action(client, letter, "forward")
    letter.refresh_from_db()
    assert letter.status == Status.PROVINCE_REVIEW
    messages = [str(m) for m in client.get(reverse("requests_app:detail", args=[letter.pk])).context["messages"]]  # fmt: skip
    assert NOT_SIGNED in messages


def test_a_signed_version_without_any_signature_is_not_verified_and_cannot_be_forwarded(cast):
    """No signature is not "every signature valid" (docs/domain.md §10): all() of nothing is
    true, so the check needs at least one (requests_app/services/verification.py)."""
    good = letter_at(cast, Status.PROVINCE_REVIEW, FormKind.ISSUE_ORGANIZATION)
    unsigned = bytes(LetterDocument.objects.get(letter=good, kind=DocumentKind.RENDERED).content)
    letter = submitted(cast)
    services.cert_request_issue(cert_request=letter, by=cast.head_a)
    letter.refresh_from_db()
    # what would be stored if a file with no signature at all were taken as the signed version
    services.letter_signed_store(
        cert_request_id=letter.pk, number=letter.number, by=cast.head_a, source="upload",
        pdf=unsigned,
    )  # fmt: skip
    letter.refresh_from_db()
    assert letter.status == Status.PROVINCE_REVIEW

    verification = services.letter_verification_current(letter)
    assert verification.ok is False and verification.signatures == []
    with pytest.raises(DomainError) as exc:
        services.cert_request_forward(cert_request=letter, by=cast.officer_1)
    assert exc.value.code == "not_signed"
    letter.refresh_from_db()
    assert letter.status == Status.PROVINCE_REVIEW


def test_a_revoked_signer_is_flagged_on_recheck_and_cannot_be_forwarded(cast, client):
    letter = letter_at(cast, Status.PROVINCE_REVIEW, FormKind.ISSUE_ORGANIZATION)
    assert services.letter_verification_current(letter).ok
    certificate_revoke(
        certificate=personal_signing_certificate(cast.head_a),
        by=cast.ca_operator,
        reason=RevocationReason.KEY_COMPROMISE,
    )
    sign_in(client, cast.officer_1)
    response = client.post(reverse("requests_app:verify", args=[letter.pk]))
    assert response.status_code == 302
    verification = services.letter_verification_current(letter)
    assert not verification.ok and "đã bị thu hồi" in verification.summary
    assert verification.checked_by == cast.officer_1
    assert LetterVerification.objects.filter(document__letter=letter).count() == 2

    with pytest.raises(DomainError) as exc:
        services.cert_request_forward(cert_request=letter, by=cast.officer_1)
    assert exc.value.message == NOT_SIGNED
    letter.refresh_from_db()
    assert letter.status == Status.PROVINCE_REVIEW


def test_the_province_cannot_process_a_letter_without_a_valid_signature(cast):
    letter = letter_at(cast, Status.PROVINCE_REVIEW, FormKind.RENEW_CHANGE, accepted=True)
    certificate_revoke(
        certificate=personal_signing_certificate(cast.head_a),
        by=cast.ca_operator,
        reason=RevocationReason.KEY_COMPROMISE,
    )
    services.letter_signed_verify(document=signed_of(letter), by=cast.officer_1)
    with pytest.raises(DomainError) as exc:
        services.cert_request_process(cert_request=letter, by=cast.officer_1)
    assert exc.value.code == "not_signed"


def test_an_issued_letter_waiting_for_its_signature_may_be_sent_back_and_issued_afresh(
    cast, client
):
    letter = submitted(cast)
    signing_ready(cast)
    services.cert_request_issue(cert_request=letter, by=cast.head_a)
    letter_document_render_task(letter.pk)
    letter.refresh_from_db()
    first_number = letter.number
    sign_in(client, cast.head_a)
    post_action(client, letter, "send_back", note="Sai chức vụ ở dòng 1")
    letter.refresh_from_db()
    assert letter.status == Status.DRAFT

    services.cert_request_submit(cert_request=letter, by=cast.clerk_a)
    services.cert_request_issue(cert_request=letter, by=cast.head_a)
    head_signs(letter, by=cast.head_a)
    assert letter.status == Status.PROVINCE_REVIEW and letter.number != first_number
    assert signed_of(letter).number == letter.number


def test_the_task_run_twice_stores_one_rendered_version(cast):
    letter = submitted(cast)
    services.cert_request_issue(cert_request=letter, by=cast.head_a)
    first = letter_document_render_task(letter.pk)
    second = letter_document_render_task(letter.pk)
    assert first == second
    assert list(letter.documents.values_list("kind", flat=True)) == [DocumentKind.RENDERED]
    assert AuditEvent.objects.filter(action="letter_document.render").count() == 1


def test_the_sweep_picks_up_an_issued_letter_whose_rendering_was_lost(cast):
    letter = submitted(cast)
    services.cert_request_issue(cert_request=letter, by=cast.head_a)  # the task lost
    assert letter.pk in services.documents.letters_missing_document().values_list("pk", flat=True)
    assert letter_document_render_missing_task() == 1
    services.letter_document_render(cert_request_id=letter.pk)
    # rendered: the head's signature is theirs to make, nothing for the sweep
    assert letter.pk not in services.documents.letters_missing_document().values_list(
        "pk", flat=True
    )


@pytest.mark.parametrize(
    ("persona", "status"),
    [("clerk_a", 200), ("officer_1", 200), ("ca_operator", 404), ("clerk_b", 404),
     ("officer_2", 404)],
)  # fmt: skip
def test_the_signed_pdf_downloads_only_within_the_letters_scope(cast, client, persona, status):
    letter = letter_at(cast, Status.PROVINCE_REVIEW, FormKind.ISSUE_ORGANIZATION)
    document = signed_of(letter)
    sign_in(client, getattr(cast, persona))
    response = client.get(reverse("requests_app:document", args=[letter.pk, document.version]))
    assert response.status_code == status
    if status == 200:
        assert response.content == bytes(document.content)
        name = response["Content-Disposition"].split('filename="')[1].rstrip('"')
        assert name.isascii() and len(name) <= 50 and name.endswith(".pdf")


@pytest.mark.parametrize("persona", ["officer_1", "clerk_a", "head_a"])
def test_the_letter_page_shows_each_signature_to_the_province_and_the_agency(cast, client, persona):
    letter = letter_at(cast, Status.PROVINCE_REVIEW, FormKind.ISSUE_ORGANIZATION)
    sign_in(client, getattr(cast, persona))
    page = client.get(reverse("requests_app:detail", args=[letter.pk])).content.decode()
    assert "2 chữ ký hợp lệ" in page
    assert "Trần Thị Ánh Dương" in page
    assert cast.agency_a.name in page
    assert personal_signing_certificate(cast.head_a).serial in page
    assert page.count("data-signature-ok") == 2


def test_the_letter_page_shows_the_newest_check_with_who_asked_and_when(cast, client):
    """The panel shows the newest check, read with the versions (`with_newest_check`)."""
    letter = letter_at(cast, Status.PROVINCE_REVIEW, FormKind.ISSUE_ORGANIZATION)
    certificate_revoke(
        certificate=personal_signing_certificate(cast.head_a),
        by=cast.ca_operator,
        reason=RevocationReason.KEY_COMPROMISE,
    )
    sign_in(client, cast.officer_1)
    client.post(reverse("requests_app:verify", args=[letter.pk]))
    newest = services.letter_verification_current(letter)
    page = client.get(reverse("requests_app:detail", args=[letter.pk])).content.decode()
    at = timezone.localtime(newest.checked_at).strftime("%d/%m/%Y %H:%M")
    assert f"Kiểm tra lúc {at} · {full_name(cast.officer_1)}" in page
    assert 'data-ok="0"' in page and "2 chữ ký hợp lệ" not in page
    assert html.escape(newest.summary) in page


def test_the_ca_sees_the_signatures_of_a_forwarded_letter(cast, client):
    letter = letter_at(cast, Status.FORWARDED)
    sign_in(client, cast.ca_operator)
    page = client.get(reverse("requests_app:detail", args=[letter.pk])).content.decode()
    assert "2 chữ ký hợp lệ" in page


def test_a_recheck_outside_the_letters_scope_is_404(cast, client):
    letter = letter_at(cast, Status.PROVINCE_REVIEW, FormKind.ISSUE_ORGANIZATION)
    sign_in(client, cast.clerk_b)
    assert client.post(reverse("requests_app:verify", args=[letter.pk])).status_code == 404


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_the_worker_renders_an_issued_letter_and_signs_nothing(cast, redis_worker):
    letter = submitted(cast)
    signing_ready(cast)
    services.cert_request_issue(cert_request=letter, by=cast.head_a)  # queues on commit
    deadline = time.monotonic() + 180
    rendered = LetterDocument.objects.filter(letter=letter, kind=DocumentKind.RENDERED)
    while not rendered.exists():
        assert time.monotonic() < deadline, "the worker did not render the letter in 180 s"
        time.sleep(0.25)
    assert CertRequest.objects.get(pk=letter.pk).status == Status.ISSUED
    assert not LetterDocument.objects.filter(letter=letter, kind=DocumentKind.SIGNED).exists()


def _page_in(client, letter, language: str) -> str:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client.get(reverse("requests_app:detail", args=[letter.pk])).content.decode()


def test_the_stored_check_is_shown_in_each_readers_language(cast, client):
    letter = letter_at(cast, Status.PROVINCE_REVIEW, FormKind.ISSUE_ORGANIZATION)
    sign_in(client, cast.officer_1)

    assert "2 chữ ký hợp lệ" in _page_in(client, letter, "vi")
    english = _page_in(client, letter, "en")
    assert "2 valid signatures" in english and "2 chữ ký hợp lệ" not in english


def test_a_stored_checks_problems_are_shown_in_each_readers_language(cast, client):
    good = letter_at(cast, Status.PROVINCE_REVIEW, FormKind.ISSUE_ORGANIZATION)
    letter = submitted(cast)
    services.cert_request_issue(cert_request=letter, by=cast.head_a)
    letter.refresh_from_db()
    with translation.override("en"):  # checked in an English session: stored as data
        services.letter_signed_store(
            cert_request_id=letter.pk, number=letter.number, by=cast.head_a, source="upload",
            pdf=tampered(bytes(signed_of(good).content)),
        )  # fmt: skip
    sign_in(client, cast.officer_1)

    vietnamese = _page_in(client, letter, "vi")
    assert "Chữ ký bị sửa đổi" in vietnamese and "Signature altered" not in vietnamese
    english = _page_in(client, letter, "en")
    assert "Signature altered" in english and "Chữ ký bị sửa đổi" not in english


def test_a_check_stored_before_its_data_keeps_showing_its_text(cast, client):
    letter = letter_at(cast, Status.PROVINCE_REVIEW, FormKind.ISSUE_ORGANIZATION)
    LetterVerification.objects.update(summary="2 chữ ký hợp lệ (cũ)", summary_data={})
    sign_in(client, cast.officer_1)
    assert "2 chữ ký hợp lệ (cũ)" in _page_in(client, letter, "en")
