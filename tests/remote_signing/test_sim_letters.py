"""A letter signed with SIM PKI (docs/remote-signing.md, "SIM PKI"): its "Ký" prepares the same
desk signing request as for a token; the popup sends the digest to the signer's SIM through the
carrier's gateway; the holder signs on the phone; the document's page reads the signature back
and the letter's own service embeds and checks it. Real SoftHSM2 tokens as the SIMs, real
pdfsig."""

import pytest
from django.urls import reverse

from certificates.desk.services import DeskAnswer
from portal.documents import DocumentKind
from remote_signing import gateway
from remote_signing import services as remote
from remote_signing.desk import desk_answer
from remote_signing.models import MobileSignature
from requests_app import services
from requests_app.choices import Status
from tests.certificates.pdf_tools import pdfsig_sections
from tests.helpers import sign_in
from tests.remote_signing.world import sim_head
from tests.requests_app.signed_letters import issued_external

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("ca")]

VALID = "Signature Validation: Signature is Valid."


def signed_on_the_phone(desk, holder) -> DeskAnswer:
    trans_id = remote.desk_mobile_ask(desk_signing_id=desk.pk, short_hash="-", by=holder.user)
    gateway.sim_sign(transaction_id=trans_id, pin=holder.pin, by=holder.user)
    answer = desk_answer(desk)
    return DeskAnswer(desk.pk, desk.nonce, answer.signature, answer.certificate_der)


def test_the_head_signs_and_seals_a_letter_with_sims_and_pdfsig_reports_both_valid(
    cast, ca, settings, tmp_path
):
    head, seal = sim_head(cast, settings)
    letter = issued_external(cast)

    desk = services.letter_desk_prepare(cert_request=letter, by=cast.head_a)
    assert desk_answer(desk) is None
    services.letter_desk_complete(
        cert_request=letter, by=cast.head_a, answer=signed_on_the_phone(desk, head)
    )
    sealing = services.letter_desk_prepare(cert_request=letter, by=cast.head_a)
    last = services.letter_desk_complete(
        cert_request=letter, by=cast.head_a, answer=signed_on_the_phone(sealing, seal)
    )

    letter.refresh_from_db()
    assert letter.status == Status.PROVINCE_REVIEW
    assert last.document.kind == DocumentKind.SIGNED
    sections = pdfsig_sections(bytes(last.document.content), ca, tmp_path)
    assert len(sections) == 2 and all(VALID in section for section in sections)
    assert "Common Name: Lê Văn Bình" in sections[0]
    assert f"Common Name: {cast.agency_a.name}" in sections[1]


def test_the_popup_sends_to_the_phone_and_the_page_reads_the_signature_back(client, cast, settings):
    head, _seal = sim_head(cast, settings)
    letter = issued_external(cast)
    sign_in(client, cast.head_a)
    prepared = client.post(reverse("requests_app:desk_prepare", args=[letter.pk])).json()
    popup = reverse("remote_signing:desk_authorize", args=[prepared["request_id"]])
    progress = reverse("remote_signing:desk_progress", args=[prepared["request_id"]])
    assert prepared["remote_url"] == popup and prepared["remote_progress_url"] == progress
    assert prepared["remote_kind"] == "sim"  # the page sends the signer to the phone

    shown = client.get(popup).content.decode()
    assert "Gửi yêu cầu ký tới điện thoại" in shown and "091****001" in shown
    assert client.get(progress).json() == {"status": "pending"}
    sent = client.post(popup).content.decode()
    assert "Đã gửi yêu cầu ký tới SIM" in sent
    assert client.post(popup).status_code == 200  # sent once: asking again sends nothing
    (waiting,) = MobileSignature.objects.all()
    assert letter.number in waiting.display
    assert client.get(progress).json() == {"status": "pending"}

    gateway.sim_sign(transaction_id=waiting.pk, pin=head.pin, by=head.user)

    done = client.get(progress).json()
    assert done["status"] == "done" and done["request_id"] == prepared["request_id"]


def test_a_refusal_on_the_phone_reaches_the_page_as_cancelled(client, cast, settings):
    head, _seal = sim_head(cast, settings)
    letter = issued_external(cast)
    desk = services.letter_desk_prepare(cert_request=letter, by=cast.head_a)
    trans_id = remote.desk_mobile_ask(desk_signing_id=desk.pk, short_hash="-", by=head.user)
    sign_in(client, cast.head_a)

    gateway.sim_cancel(transaction_id=trans_id, by=head.user)

    progress = reverse("remote_signing:desk_progress", args=[desk.pk])
    assert client.get(progress).json() == {"status": "error", "error": "cancelled"}
