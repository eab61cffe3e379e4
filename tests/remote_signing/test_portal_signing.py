"""Signing the portal's own documents with a key in the CA's HSM (docs/remote-signing.md,
"Signing in the portal"): a letter's "Ký" prepares the same desk signing request as for a
token; its signer authorises exactly that digest on the portal's authorisation page with the
signing PIN and an authenticator code; the signature comes back as the signing client's
answer would and the letter's own service embeds and checks it. Real SoftHSM2 slot, real
pdfsig. The browser walk: tests/browser/test_remote_signing_walk.py."""

import base64
import json
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from certificates.choices import SigningEventKind
from certificates.desk.models import DeskState
from certificates.desk.services import DeskAnswer, digest_of
from certificates.models import SigningEvent
from portal.documents import DocumentKind
from portal.models import AuditEvent
from remote_signing import services as remote
from remote_signing.rules import RemoteSigningRefused
from requests_app import services
from requests_app.choices import Status
from tests.certificates.pdf_tools import pdfsig_sections
from tests.helpers import sign_in
from tests.remote_signing.world import PIN, remote_head
from tests.requests_app.signed_letters import head_signing_pair, issued_external

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("ca")]

VALID = "Signature Validation: Signature is Valid."


def signed_remotely(desk, holder, *, pin=PIN, otp=None) -> DeskAnswer:
    answer = remote.desk_digest_sign(
        desk_signing_id=desk.pk, pin=pin, otp=otp or holder.code(), by=holder.user
    )
    return DeskAnswer(desk.pk, desk.nonce, answer.signature, answer.certificate_der)


def refused(call) -> str:
    with pytest.raises(RemoteSigningRefused) as refusal:
        call()
    return refusal.value.code


def test_the_head_signs_and_seals_a_letter_from_the_hsm_and_pdfsig_reports_both_valid(
    cast, ca, tmp_path
):
    head, seal = remote_head(cast)
    letter = issued_external(cast)

    desk = services.letter_desk_prepare(cert_request=letter, by=cast.head_a)
    first = services.letter_desk_complete(
        cert_request=letter, by=cast.head_a, answer=signed_remotely(desk, head)
    )
    assert first.document is None  # the seal is still to come
    sealing = services.letter_desk_prepare(cert_request=letter, by=cast.head_a)
    last = services.letter_desk_complete(
        cert_request=letter, by=cast.head_a, answer=signed_remotely(sealing, seal)
    )

    letter.refresh_from_db()
    assert letter.status == Status.PROVINCE_REVIEW
    assert last.document.kind == DocumentKind.SIGNED
    sections = pdfsig_sections(bytes(last.document.content), ca, tmp_path)
    assert len(sections) == 2 and all(VALID in section for section in sections)
    assert "Common Name: Trần Thị Ánh Dương" in sections[0]
    assert f"Common Name: {cast.agency_a.name}" in sections[1]
    signed = SigningEvent.objects.filter(
        document_number=letter.number, kind=SigningEventKind.SIGNED
    ).values_list("serial", flat=True)
    assert sorted(signed) == sorted([desk.certificate.serial, sealing.certificate.serial])
    assert AuditEvent.objects.filter(action="remote_signature.sign").count() == 2
    # signed at the portal, counted once: no `remote` event beside the `signed` ones
    assert not SigningEvent.objects.filter(kind=SigningEventKind.REMOTE).exists()


def test_the_letter_page_is_told_to_use_the_authorisation_page(client, cast):
    head, _seal = remote_head(cast)
    letter = issued_external(cast)
    sign_in(client, cast.head_a)

    prepared = client.post(reverse("requests_app:desk_prepare", args=[letter.pk])).json()

    assert prepared["remote_url"] == reverse(
        "remote_signing:desk_authorize", args=[prepared["request_id"]]
    )
    assert prepared["remote_progress_url"] == reverse(
        "remote_signing:desk_progress", args=[prepared["request_id"]]
    )
    assert prepared["recovery_url"] == ""
    assert prepared["remote_kind"] == "hsm"  # the page asks for the PIN and the code


def test_a_token_certificate_is_signed_at_the_desk_as_before(client, cast):
    head_signing_pair(cast)
    letter = issued_external(cast)
    sign_in(client, cast.head_a)

    prepared = client.post(reverse("requests_app:desk_prepare", args=[letter.pk])).json()

    assert prepared["remote_url"] == "" and prepared["remote_progress_url"] == ""
    assert prepared["remote_kind"] == ""


def test_the_authorisation_page_shows_what_is_signed_and_signs_with_pin_and_code(client, cast):
    head, _seal = remote_head(cast)
    letter = issued_external(cast)
    desk = services.letter_desk_prepare(cert_request=letter, by=cast.head_a)
    sign_in(client, cast.head_a)
    page = reverse("remote_signing:desk_authorize", args=[desk.pk])
    progress = reverse("remote_signing:desk_progress", args=[desk.pk])

    shown = client.get(page).content.decode()
    short = digest_of(desk)[:8].hex().upper()
    assert " ".join(short[i : i + 4] for i in range(0, 16, 4)) in shown
    assert letter.number in shown and desk.title in shown
    assert client.get(progress).json() == {"status": "pending"}

    wrong = client.post(page, {"pin": "135791", "otp": head.code()})
    assert wrong.status_code == 400
    assert "Mã PIN không đúng. Còn 4 lần thử" in wrong.content.decode()
    assert client.get(progress).json() == {"status": "pending"}

    done = client.post(page, {"pin": PIN, "otp": head.code()})
    assert done.status_code == 200 and "data-signed" in done.content.decode()
    answer = client.get(progress).json()
    assert answer["status"] == "done" and answer["request_id"] == str(desk.pk)
    assert base64.b64decode(answer["certificate"]) == bytes(desk.certificate.der)
    completed = client.post(
        reverse("requests_app:desk_complete", args=[letter.pk]),
        json.dumps({**answer, "nonce": desk.nonce}),
        content_type="application/json",
    )
    assert completed.json()["status"] == "next"  # the head's signature is in; the seal next


def test_the_progress_reports_a_credential_locked_by_wrong_pins(client, cast, settings):
    settings.REMOTE_SIGNING_MAX_PIN_TRIES = 2
    head, _seal = remote_head(cast)
    desk = services.letter_desk_prepare(cert_request=issued_external(cast), by=cast.head_a)
    sign_in(client, cast.head_a)
    page = reverse("remote_signing:desk_authorize", args=[desk.pk])

    client.post(page, {"pin": "135791", "otp": head.code()})
    assert client.get(reverse("remote_signing:desk_progress", args=[desk.pk])).json() == {
        "status": "pending"
    }
    client.post(page, {"pin": "135791", "otp": head.code()})

    assert client.get(reverse("remote_signing:desk_progress", args=[desk.pk])).json() == {
        "status": "error",
        "error": "pin_locked",
    }


# --- refusals: nothing signed -------------------------------------------------------------
def test_another_persons_request_is_not_found(cast):
    head, _seal = remote_head(cast)
    desk = services.letter_desk_prepare(cert_request=issued_external(cast), by=cast.head_a)

    code = refused(
        lambda: remote.desk_digest_sign(
            desk_signing_id=desk.pk, pin=PIN, otp=head.code(), by=cast.clerk_a
        )
    )

    assert code == "not_found"
    assert not AuditEvent.objects.filter(action="remote_signature.sign").exists()


def test_a_request_past_its_deadline_is_refused_and_one_just_before_is_signed(cast, settings):
    head, _seal = remote_head(cast)
    desk = services.letter_desk_prepare(cert_request=issued_external(cast), by=cast.head_a)
    deadline = desk.expires_at

    with time_machine.travel(deadline, tick=False):  # refused before any code is read
        assert refused(lambda: signed_remotely(desk, head, otp="000000")) == "finished"
    with time_machine.travel(deadline - timedelta(seconds=1), tick=False):
        assert signed_remotely(desk, head).signature


def test_a_finished_request_is_refused(cast):
    head, _seal = remote_head(cast)
    desk = services.letter_desk_prepare(cert_request=issued_external(cast), by=cast.head_a)
    desk.state, desk.finished_at = DeskState.REFUSED, timezone.now()
    desk.save(update_fields=["state", "finished_at"])

    assert refused(lambda: signed_remotely(desk, head)) == "finished"


def test_a_request_for_a_token_certificate_is_refused(cast):
    head_signing_pair(cast)
    desk = services.letter_desk_prepare(cert_request=issued_external(cast), by=cast.head_a)

    code = refused(
        lambda: remote.desk_digest_sign(
            desk_signing_id=desk.pk, pin=PIN, otp="123456", by=cast.head_a
        )
    )

    assert code == "not_remote"


def test_a_request_signed_once_is_not_signed_again(cast):
    head, _seal = remote_head(cast)
    desk = services.letter_desk_prepare(cert_request=issued_external(cast), by=cast.head_a)
    signed_remotely(desk, head)

    assert refused(lambda: signed_remotely(desk, head)) == "already_signed"
    assert AuditEvent.objects.filter(action="remote_signature.sign").count() == 1


def test_a_wrong_code_signs_nothing(cast):
    head, _seal = remote_head(cast)
    desk = services.letter_desk_prepare(cert_request=issued_external(cast), by=cast.head_a)

    assert refused(lambda: signed_remotely(desk, head, otp="000000")) == "invalid_otp"
    assert not AuditEvent.objects.filter(action="remote_signature.sign").exists()
