"""Signed edXML status messages (docs/exchange.md, "Signed status messages"): the receiving
side signs each status message with its system certificate on a token; the sender acts on a
"done" or a "returned" only when that signature is valid and the receiver's, and refuses a
message whose signature is not."""

import base64
import subprocess

import pytest
from django.urls import reverse
from django.utils import timezone
from lxml import etree

from certificates.choices import RevocationReason, SubjectKind
from exchange import services as exchange_services
from exchange.edxml import messages as m
from exchange.edxml.outbox import status_record
from exchange.edxml.signer import status_signature
from exchange.models import EdxmlMessage
from portal.errors import DomainError
from requests_app import services
from requests_app.choices import FormKind, Outcome, Status
from requests_app.models import CertRequest
from tests.exchange.edxml_world import ca_registrar, coded, exchange_token
from tests.helpers import sign_in
from tests.requests_app.letters import letter_at
from webhooks.choices import EventType
from webhooks.models import Event

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast, ca):
    with coded(cast):
        yield cast


@pytest.fixture
def ca_signs(world, settings):
    """The CA's document-management system signs its status messages with its certificate."""
    certificate, names = exchange_token(world.ca_org)
    for name, value in names.items():
        setattr(settings, name, value)
    return certificate


def sent_and_received(world, rows=2):
    letter = letter_at(world, Status.PROVINCE_REVIEW, FormKind.ISSUE_ORGANIZATION, rows=rows)
    data = exchange_services.letter_edxml_export(cert_request=letter)
    # the CA's registry clerk receives it, so that an operator may decide on it
    received = exchange_services.letter_edxml_import(data=data, by=ca_registrar(world))
    return letter, received


def _rows(letter):
    return list(letter.rows.order_by("pk").values_list("outcome", "outcome_note", "is_open"))


def assert_refused(world, letter, data: bytes, why: str) -> None:
    """The sender's clerk takes `data` in: refused for `why`, the letter, its rows and its
    received messages as they were."""
    rows = _rows(letter)
    with pytest.raises(DomainError) as refused:
        exchange_services.letter_edxml_status_import(data=data, by=world.clerk_a)
    assert refused.value.code == "edxml_status_bad_signature"
    assert why in refused.value.message
    letter.refresh_from_db()
    assert letter.status == Status.PROVINCE_REVIEW and _rows(letter) == rows
    assert not letter.edxml_messages.filter(direction="received").exists()


def test_a_signed_done_ends_the_senders_letter_and_closes_its_rows(world, ca_signs, client):
    letter, received = sent_and_received(world)
    done = status_record(received, code=m.DONE, by=world.ca_operator, note="Đã cấp chứng thư")
    assert done.parties["signed"] is True
    processed = Event.objects.filter(type=EventType.LETTER_PROCESSED).count()

    exchange_services.letter_edxml_status_import(data=bytes(done.content), by=world.clerk_a)

    letter.refresh_from_db()
    assert letter.status == Status.DONE
    assert letter.transitions.latest("pk").action == "exchange_done"
    assert not letter.rows.filter(is_open=True).exists()
    recorded = letter.edxml_messages.get(direction="received", status_code=m.DONE)
    assert recorded.parties["authenticated"] is True
    assert recorded.parties["signer"]["serial"] == ca_signs.serial
    assert Event.objects.filter(type=EventType.LETTER_PROCESSED).count() == processed + 1
    sign_in(client, world.clerk_a)
    page = client.get(reverse("requests_app:detail", args=[letter.pk])).content.decode()
    assert f"Thông báo của {world.ca_org.name} (ký số bởi {ca_signs.common_name})" in page


def test_a_signed_return_sends_the_letter_back_to_its_drafter_with_the_reason(world, ca_signs):
    letter, received = sent_and_received(world)
    services.cert_request_return(cert_request=received, by=world.ca_operator, note="Thiếu MST")
    returned = received.edxml_messages.get(direction="sent", status_code=m.RETURNED)
    events = Event.objects.filter(type=EventType.LETTER_RETURNED).count()

    exchange_services.letter_edxml_status_import(data=bytes(returned.content), by=world.clerk_a)

    letter.refresh_from_db()
    assert letter.status == Status.DRAFT
    assert letter.transitions.latest("pk").note == "Thiếu MST"
    assert set(_rows(letter)) == {(Outcome.PENDING, "", True)}
    assert Event.objects.filter(type=EventType.LETTER_RETURNED).count() == events + 1


def test_a_signed_message_changed_after_signing_is_refused_and_changes_nothing(world, ca_signs):
    letter, received = sent_and_received(world)
    done = bytes(status_record(received, code=m.DONE, by=world.ca_operator, note="Xong").content)
    altered = done.replace(b"<edXML:Description>Xong<", b"<edXML:Description>Xong!<")
    assert altered != done
    assert_refused(world, letter, altered, "Chữ ký bị sửa đổi")


def use(settings, names):
    for name, value in names.items():
        setattr(settings, name, value)


NOT_THE_SENDERS = "không phải chứng thư của cơ quan hoặc hệ thống của cơ quan gửi"


@pytest.mark.parametrize(
    "whose",
    ["another agency's system", "a person's", "a seal of a unit the CA manages"],
)
def test_a_message_signed_by_a_certificate_that_does_not_speak_for_the_receiver_is_refused(
    world, settings, whose
):
    """Valid and trusted signatures, but not the CA's word: another agency's system
    certificate (the sender's clerk could reach one), a person's certificate of the CA, an
    organisation certificate the CA manages for another organisation."""
    org, kind, subject = {
        "another agency's system": (world.agency_b, SubjectKind.DEVICE_SERVICE, None),
        "a person's": (world.ca_org, SubjectKind.PERSON, None),
        "a seal of a unit the CA manages": (
            world.ca_org,
            SubjectKind.ORGANIZATION,
            world.agency_b,
        ),
    }[whose]
    use(settings, exchange_token(org, kind=kind, subject_organization=subject)[1])
    letter, received = sent_and_received(world)
    done = status_record(received, code=m.DONE, by=world.ca_operator)
    assert_refused(world, letter, bytes(done.content), NOT_THE_SENDERS)


def test_the_cas_own_seal_speaks_for_it(world, settings):
    use(
        settings,
        exchange_token(
            world.ca_org, kind=SubjectKind.ORGANIZATION, subject_organization=world.ca_org
        )[1],
    )
    letter, received = sent_and_received(world)
    done = status_record(received, code=m.DONE, by=world.ca_operator)
    exchange_services.letter_edxml_status_import(data=bytes(done.content), by=world.clerk_a)
    letter.refresh_from_db()
    assert letter.status == Status.DONE


def test_a_forged_unsigned_message_first_does_not_stop_the_signed_one(world, ca_signs):
    """The sender's clerk records an unsigned 05 first (its signature stripped); the
    receiver's signed 05, taken later, still ends the letter."""
    letter, received = sent_and_received(world)
    signed = bytes(status_record(received, code=m.DONE, by=world.ca_operator).content)
    tree = etree.fromstring(signed)
    element = tree.find(f".//{{{m.NS}}}StatusSignature")
    element.getparent().remove(element)
    stripped = etree.tostring(tree, xml_declaration=True, encoding="UTF-8")
    exchange_services.letter_edxml_status_import(data=stripped, by=world.clerk_a)
    letter.refresh_from_db()
    assert letter.status == Status.PROVINCE_REVIEW

    exchange_services.letter_edxml_status_import(data=signed, by=world.clerk_a)

    letter.refresh_from_db()
    assert letter.status == Status.DONE
    recorded = letter.edxml_messages.get(direction="received", status_code=m.DONE)
    assert recorded.parties["authenticated"] is True
    # and the unsigned one again changes nothing
    exchange_services.letter_edxml_status_import(data=stripped, by=world.clerk_a)
    assert letter.edxml_messages.get(direction="received").parties["authenticated"] is True


def test_a_done_signed_by_the_province_for_a_letter_the_ca_processes_moves_nothing(world, settings):
    """The Sở KH&CN is a receiver of the letter, but the CA processes it: the Sở's signed
    "done" is recorded, authenticated, and the letter waits for the CA's."""
    use(settings, exchange_token(world.office_1)[1])
    letter = letter_at(world, Status.PROVINCE_REVIEW, FormKind.ISSUE_ORGANIZATION)
    done = m.status_xml(
        m.StatusMessage(
            document_id=exchange_services.packages.document_id_of(letter),
            letter_sender_code=world.agency_a.code,
            letter_code=letter.number,
            promulgated_on=letter.issued_on,
            sender=m.Organ(code=world.office_1.code, name=world.office_1.name),
            code=m.DONE,
            description="",
            at=timezone.now(),
            department="",
            staff="",
        ),
        sign=status_signature,
    )
    exchange_services.letter_edxml_status_import(data=done, by=world.clerk_a)
    letter.refresh_from_db()
    assert letter.status == Status.PROVINCE_REVIEW
    assert letter.edxml_messages.get(direction="received").parties["authenticated"] is True


@pytest.mark.parametrize(
    "reason,refused",
    [(RevocationReason.KEY_COMPROMISE, True), (RevocationReason.SUPERSEDED, False)],
)
def test_a_certificate_revoked_after_signing_counts_only_when_superseded(
    world, ca_signs, reason, refused
):
    """Revoked after the stated signing time: a renewal (superseded) leaves the message
    good; a compromised key makes any stated time worthless."""
    letter, received = sent_and_received(world)
    done = bytes(status_record(received, code=m.DONE, by=world.ca_operator).content)
    ca_signs.revoked_at = timezone.now() + timezone.timedelta(seconds=1)
    ca_signs.revocation_reason = reason
    ca_signs.save(update_fields=["revoked_at", "revocation_reason"])
    if refused:
        assert_refused(world, letter, done, "đã bị thu hồi")
    else:
        exchange_services.letter_edxml_status_import(data=done, by=world.clerk_a)
        letter.refresh_from_db()
        assert letter.status == Status.DONE


def test_a_signature_made_before_the_letter_was_issued_is_refused(world, ca_signs):
    """A letter dated tomorrow: a status about it signed today states an impossible time."""
    letter = letter_at(world, Status.PROVINCE_REVIEW, FormKind.ISSUE_ORGANIZATION)
    CertRequest.objects.filter(pk=letter.pk).update(
        issued_on=timezone.localdate() + timezone.timedelta(days=1)
    )
    letter.refresh_from_db()
    data = exchange_services.letter_edxml_export(cert_request=letter)
    received = exchange_services.letter_edxml_import(data=data, by=ca_registrar(world))
    done = bytes(status_record(received, code=m.DONE, by=world.ca_operator).content)
    assert_refused(world, letter, done, "Thời điểm ký không hợp lệ")


def test_a_signature_that_is_not_cms_is_refused_as_unreadable(world, ca_signs):
    letter, received = sent_and_received(world)
    done = bytes(status_record(received, code=m.DONE, by=world.ca_operator).content)
    tree = etree.fromstring(done)
    signature = tree.find(f".//{{{m.NS}}}StatusSignature")
    signature.text = base64.b64encode(b"\x30\x03\x02\x01\x01").decode()
    junk = etree.tostring(tree, xml_declaration=True, encoding="UTF-8")
    assert_refused(world, letter, junk, "Chữ ký không đọc được")


def test_an_unsigned_done_is_only_recorded_when_the_receiver_has_no_token(world):
    letter, received = sent_and_received(world)
    done = status_record(received, code=m.DONE, by=world.ca_operator)
    assert done.parties["signed"] is False
    exchange_services.letter_edxml_status_import(data=bytes(done.content), by=world.clerk_a)
    letter.refresh_from_db()
    assert letter.status == Status.PROVINCE_REVIEW
    recorded = letter.edxml_messages.get(direction="received", status_code=m.DONE)
    assert recorded.parties["authenticated"] is False


def test_a_move_whose_status_cannot_be_signed_is_refused_whole(world, ca_signs, settings):
    _letter, received = sent_and_received(world)
    settings.EDXML_SIGNING_PIN = "wrong-pin"
    with pytest.raises(DomainError) as refused:
        services.cert_request_return(cert_request=received, by=world.ca_operator, note="Thiếu")
    assert refused.value.code == "edxml_signer_unavailable"
    received.refresh_from_db()
    assert received.status == Status.FORWARDED
    assert not EdxmlMessage.objects.filter(letter=received, status_code=m.RETURNED).exists()


def test_openssl_verifies_the_signature_over_the_status_element(world, ca_signs, tmp_path):
    """An independent verifier: OpenSSL's CMS checks the detached signature over the
    exclusive C14N of the Status element, chaining to the simulated root."""
    _letter, received = sent_and_received(world)
    done = bytes(status_record(received, code=m.DONE, by=world.ca_operator).content)
    status = m.read_status(done)
    (tmp_path / "sig.der").write_bytes(status.signature)
    (tmp_path / "content.xml").write_bytes(status.signed_content)
    chain = b"".join(
        subprocess.run(
            ["openssl", "x509", "-inform", "DER", "-outform", "PEM"],
            input=bytes(der),
            capture_output=True,
            check=True,
        ).stdout
        for der in (world_root(ca_signs), bytes(ca_signs.issuer.certificate_der))
    )
    (tmp_path / "chain.pem").write_bytes(chain)
    verify = [
        "openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", str(tmp_path / "sig.der"),
        "-content", str(tmp_path / "content.xml"), "-CAfile", str(tmp_path / "chain.pem"),
        "-purpose", "any", "-out", "/dev/null",
    ]  # fmt: skip
    assert subprocess.run(verify, capture_output=True).returncode == 0
    (tmp_path / "content.xml").write_bytes(status.signed_content.replace(b"05", b"02"))
    assert subprocess.run(verify, capture_output=True).returncode != 0


def world_root(certificate) -> bytes:
    issuer = certificate.issuer
    while issuer.parent_id:
        issuer = issuer.parent
    return bytes(issuer.certificate_der)
