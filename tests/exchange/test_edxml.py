"""edXML packages (docs/exchange.md, "edXML packages"): an issued, signed letter exported,
valid against the schema, imported on the receiving side with its PDF byte-identical and its
signature verified; unsigned status messages flowing back, recorded on the sender's letter
without moving it (the signed ones: test_edxml_signed_status.py)."""

import hashlib
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from lxml import etree

from agencies.models import Organization
from exchange import services as exchange_services
from exchange.edxml import messages as m
from exchange.edxml.outbox import status_record
from exchange.models import EdxmlMessage
from exchange.services.packages import letter_edxml_package
from portal.documents import DocumentKind
from portal.errors import DomainError
from requests_app import services
from requests_app.choices import FormKind, Status
from requests_app.models import CertRequest, LetterDocument, Transition
from tests.exchange.edxml_world import ca_registrar, coded
from tests.helpers import sign_in
from tests.requests_app.letters import letter_at, signing_ready
from webhooks.models import Event

pytestmark = pytest.mark.django_db


class Rollback(Exception):
    pass


@pytest.fixture
def world(cast):
    with coded(cast):
        yield cast


def sent_letter(cast, form=FormKind.ISSUE_ORGANIZATION, rows=1):
    letter = letter_at(cast, Status.PROVINCE_REVIEW, form, rows=rows)
    return letter, exchange_services.letter_edxml_export(cert_request=letter)


def test_an_exported_letter_is_valid_against_the_schema_and_names_everyone_by_code(world):
    letter, data = sent_letter(world)
    tree = etree.fromstring(data)
    m.validate(tree)
    package = m.read_letter(data)
    assert package.sender.code == "000.00.05.H03"
    assert [r.code for r in package.receivers] == ["000.00.12.H03", "000.00.01.G14"]
    assert f"{package.number}/{package.notation}".rstrip("/") == letter.number
    assert package.promulgated_on == letter.issued_on
    assert package.form == FormKind.ISSUE_ORGANIZATION
    signed = LetterDocument.objects.signed_for(letter).get()
    assert package.attachments[0].content == bytes(signed.content)
    assert not EdxmlMessage.objects.exists()  # an export is a read


def test_it_refuses_to_export_for_an_agency_without_a_code(cast):
    letter = letter_at(cast, Status.PROVINCE_REVIEW, FormKind.ISSUE_ORGANIZATION)
    with pytest.raises(DomainError) as refused:
        exchange_services.letter_edxml_export(cert_request=letter)
    assert refused.value.code == "edxml_no_code"
    assert "chưa có mã định danh điện tử" in refused.value.message


def test_the_package_is_imported_where_the_letter_never_existed(world):
    """The honest "fresh database": the sender's letter, its PDF and its package record are
    made and exported inside a transaction that is then rolled back; what the CA imports
    finds no trace of them (only the organisations and the CA's certificates, which the
    receiving side has of its own)."""
    signing_ready(world)
    box = {}
    with pytest.raises(Rollback), transaction.atomic():
        letter, data = sent_letter(world)
        box.update(
            data=data, pk=letter.pk, sha=LetterDocument.objects.signed_for(letter).get().sha256
        )
        raise Rollback
    assert not CertRequest.objects.filter(pk=box["pk"]).exists()
    assert not EdxmlMessage.objects.exists()

    received = exchange_services.letter_edxml_import(data=box["data"], by=world.ca_operator)

    assert received.status == Status.FORWARDED
    assert received.agency_id == world.agency_a.pk
    assert received.forwarded_at is not None
    document = LetterDocument.objects.get(letter=received, kind=DocumentKind.SIGNED)
    assert document.sha256 == box["sha"]
    assert hashlib.sha256(bytes(document.content)).hexdigest() == box["sha"]
    assert document.verifications.get().ok
    assert received in CertRequest.objects.visible_to(world.ca_operator)
    assert Transition.objects.get(cert_request=received).action == "exchange_receive"
    # and it says so to the sender
    status = EdxmlMessage.objects.get(letter=received, direction="sent", kind="status")
    assert m.read_status(bytes(status.content)).code == m.RECEIVED


def test_a_package_imported_twice_makes_one_letter(world):
    _letter, data = sent_letter(world)
    first = exchange_services.letter_edxml_import(data=data, by=world.ca_operator)
    again = exchange_services.letter_edxml_import(data=data, by=world.ca_operator)
    letters = CertRequest.objects.count()
    third = exchange_services.letter_edxml_import(data=data, by=world.ca_operator)
    assert first.pk == again.pk == third.pk
    assert CertRequest.objects.count() == letters
    assert EdxmlMessage.objects.filter(direction="received", kind="letter").count() == 1
    assert LetterDocument.objects.filter(letter=first).count() == 1


def test_a_pdf_signed_by_one_agency_in_a_package_claiming_another_is_refused(world):
    """Agency A's signed letter wrapped as if agency B (a known code) had sent it: the PDF's
    signer does not belong to the sender, so nothing is created."""
    letter, _data = sent_letter(world)
    Organization.objects.filter(pk=world.agency_b.pk).update(code="000.00.06.H03")
    claimed = _rewrapped(letter, sender=m.Organ(code="000.00.06.H03", name=world.agency_b.name))
    letters = CertRequest.objects.count()
    with pytest.raises(DomainError) as refused:
        exchange_services.letter_edxml_import(data=claimed, by=world.ca_operator)
    assert refused.value.code == "edxml_bad_signature"
    assert "Chữ ký số của văn bản không hợp lệ" in refused.value.message
    assert CertRequest.objects.count() == letters
    assert not EdxmlMessage.objects.filter(direction="received").exists()


def _rewrapped(letter, **changes) -> bytes:
    """The letter's package with some details changed (the manifest's hash kept right)."""
    package, _receivers = letter_edxml_package(letter)
    return m.letter_xml(m.LetterPackage(**{**package.__dict__, **changes}))


def test_a_signed_pdf_rewrapped_under_another_document_id_is_refused(world):
    letter, data = sent_letter(world)
    first = exchange_services.letter_edxml_import(data=data, by=world.ca_operator)
    replay = _rewrapped(letter, document_id="000.00.05.H03,2024/01/01,99/STC-CKS", number="99")
    with pytest.raises(DomainError) as refused:
        exchange_services.letter_edxml_import(data=replay, by=world.ca_operator)
    assert refused.value.code == "edxml_replayed_pdf"
    assert "đã được nhận trước đây qua một gói edXML khác" in refused.value.message
    received = EdxmlMessage.objects.filter(direction="received", kind="letter")
    assert [r.letter_id for r in received] == [first.pk]


def test_a_known_document_id_with_another_pdf_is_refused(world):
    letter, data = sent_letter(world)
    other = letter_at(world, Status.PROVINCE_REVIEW, FormKind.ISSUE_ORGANIZATION)
    exchange_services.letter_edxml_import(data=data, by=world.ca_operator)
    package, _receivers = letter_edxml_package(letter)
    other_pdf = bytes(LetterDocument.objects.signed_for(other).get().content)
    swapped = _rewrapped(
        letter,
        attachments=(m.Attachment(name=package.attachments[0].name, content=other_pdf),),
    )
    with pytest.raises(DomainError) as refused:
        exchange_services.letter_edxml_import(data=swapped, by=world.ca_operator)
    assert refused.value.code == "edxml_conflict"
    assert "đã được nhận với một văn bản PDF khác" in refused.value.message
    assert EdxmlMessage.objects.filter(direction="received", kind="letter").count() == 1


def test_a_known_document_id_is_returned_only_to_the_side_that_received_it(world):
    _letter, data = sent_letter(world)
    exchange_services.letter_edxml_import(data=data, by=world.ca_operator)
    # a user the package is not addressed to learns nothing of the letter
    with pytest.raises(DomainError) as refused:
        exchange_services.letter_edxml_import(data=data, by=world.officer_2)
    assert refused.value.code == "edxml_not_for_you"
    # the province's office, also a receiver, does not get the CA's letter
    with pytest.raises(DomainError) as refused:
        exchange_services.letter_edxml_import(data=data, by=world.officer_1)
    assert refused.value.code == "edxml_received_elsewhere"
    assert EdxmlMessage.objects.filter(direction="received", kind="letter").count() == 1


def test_it_refuses_a_package_from_an_unknown_code(world):
    _letter, data = sent_letter(world)
    data = data.replace(b"000.00.05.H03", b"000.00.07.H03")
    with pytest.raises(DomainError) as refused:
        exchange_services.letter_edxml_import(data=data, by=world.ca_operator)
    assert refused.value.code == "edxml_unknown_sender"


def test_it_refuses_a_package_not_addressed_to_the_importer(world):
    _letter, data = sent_letter(world)
    with pytest.raises(DomainError) as refused:
        exchange_services.letter_edxml_import(data=data, by=world.officer_2)
    assert refused.value.code == "edxml_not_for_you"


def test_the_ca_refuses_a_package_of_a_form_the_provinces_office_processes(world):
    """A Mẫu 04 (renewal, change) is the Sở KH&CN's to process (docs/domain.md §4): a package of
    one addressed to the CA is refused, not put in a queue where nobody may see it."""
    letter, _data = sent_letter(world, form=FormKind.RENEW_CHANGE)
    ca = Organization.objects.get(code="000.00.01.G14")
    to_the_ca = _rewrapped(letter, receivers=(m.Organ(code=ca.code, name=ca.name),))
    letters = CertRequest.objects.count()
    with pytest.raises(DomainError) as refused:
        exchange_services.letter_edxml_import(data=to_the_ca, by=world.ca_operator)
    assert refused.value.code == "edxml_form_not_for_ca"
    assert refused.value.message == (
        "Mẫu 04 – Gia hạn, thay đổi thông tin chứng thư do Sở KH&CN xử lý, không gửi đến tổ "
        "chức cung cấp dịch vụ chứng thực: không nhận gói."
    )
    assert CertRequest.objects.count() == letters
    assert not EdxmlMessage.objects.filter(direction="received").exists()


def test_the_ca_receives_a_package_of_a_mau_05(world):
    """The other side of the rule above: a revocation is the CA's own form."""
    letter, _data = sent_letter(world, form=FormKind.REVOKE)
    ca = Organization.objects.get(code="000.00.01.G14")
    to_the_ca = _rewrapped(letter, receivers=(m.Organ(code=ca.code, name=ca.name),))
    received = exchange_services.letter_edxml_import(data=to_the_ca, by=world.ca_operator)
    assert (received.form, received.status) == (FormKind.REVOKE, Status.FORWARDED)


def _rows_state(letter):
    return list(letter.rows.order_by("pk").values_list("outcome", "outcome_note", "is_open"))


def test_a_return_from_the_receiving_side_is_recorded_and_moves_nothing(world):
    """A status message is not authenticated (anyone who sees the letter can write one "from"
    the receiver's code): the return is recorded on the sender's letter, never acted on."""
    letter, data = sent_letter(world)
    rows = _rows_state(letter)
    transitions = letter.transitions.count()
    received = exchange_services.letter_edxml_import(data=data, by=ca_registrar(world))
    services.cert_request_return(
        cert_request=received, by=world.ca_operator, note="Thiếu mã số thuế"
    )
    outgoing = EdxmlMessage.objects.filter(letter=received, direction="sent", kind="status")
    assert [o.status_code for o in outgoing] == [m.RECEIVED, m.RETURNED]

    for message in outgoing:
        exchange_services.letter_edxml_status_import(data=bytes(message.content), by=world.clerk_a)

    letter.refresh_from_db()
    assert letter.status == Status.PROVINCE_REVIEW
    assert letter.transitions.count() == transitions
    assert _rows_state(letter) == rows
    recorded = letter.edxml_messages.get(direction="received", status_code=m.RETURNED)
    assert recorded.parties["authenticated"] is False
    assert recorded.parties["description"] == "Thiếu mã số thuế"
    # taking the same message twice records it once
    exchange_services.letter_edxml_status_import(data=bytes(outgoing[1].content), by=world.clerk_a)
    assert letter.edxml_messages.filter(direction="received", status_code=m.RETURNED).count() == 1


@pytest.mark.parametrize("code", [m.DONE, m.RETURNED])
def test_a_forged_status_message_leaves_the_letter_and_its_rows_alone(world, client, code):
    """The reviewer's attack: a clerk of the sender writes a 05 (or 02) "from" the CA's code
    and uploads it. The letter stays where it is, rows untouched, no webhook event; the
    message is recorded and shown as the CA's unauthenticated word."""
    letter, data = sent_letter(world, rows=2)
    exchange_services.letter_edxml_import(data=data, by=world.ca_operator)
    # written by hand, as anyone can: the CA's code is plain text
    forged = m.status_xml(
        m.StatusMessage(
            document_id=exchange_services.packages.document_id_of(letter),
            letter_sender_code=world.agency_a.code,
            letter_code=letter.number,
            promulgated_on=letter.issued_on,
            sender=m.Organ(code=world.ca_org.code, name=world.ca_org.name),
            code=code,
            description="Xong",
            at=timezone.now(),
            department="",
            staff="",
        )
    )
    assert m.read_status(forged).code == code
    rows = _rows_state(letter)
    transitions = letter.transitions.count()
    events = Event.objects.count()

    sign_in(client, world.clerk_a)
    response = client.post(
        reverse("exchange:edxml_upload"),
        {"kind": "status", "file": SimpleUploadedFile("s.xml", forged)},
    )
    assert response.status_code == 302

    letter.refresh_from_db()
    assert letter.status == Status.PROVINCE_REVIEW
    assert letter.transitions.count() == transitions
    assert _rows_state(letter) == rows
    assert Event.objects.count() == events
    recorded = letter.edxml_messages.get(direction="received", kind="status")
    assert (recorded.status_code, recorded.parties["authenticated"]) == (code, False)
    page = client.get(reverse("requests_app:detail", args=[letter.pk])).content.decode()
    assert f"Theo thông báo của {world.ca_org.name} (chưa xác thực)" in page


def test_an_annotating_status_leaves_the_letter_where_it_is(world):
    letter, data = sent_letter(world)
    received = exchange_services.letter_edxml_import(data=data, by=world.ca_operator)
    assigned = status_record(received, code=m.ASSIGNED, by=world.ca_operator)
    exchange_services.letter_edxml_status_import(data=bytes(assigned.content), by=world.clerk_a)
    letter.refresh_from_db()
    assert letter.status == Status.PROVINCE_REVIEW
    assert letter.edxml_messages.filter(direction="received", status_code=m.ASSIGNED).exists()


def test_a_status_from_an_organisation_the_letter_did_not_go_to_is_refused(world):
    letter, data = sent_letter(world)
    received = exchange_services.letter_edxml_import(data=data, by=world.ca_operator)
    done = status_record(received, code=m.DONE, by=world.ca_operator)
    forged = bytes(done.content).replace(b"000.00.01.G14", b"000.00.00.H03")
    with pytest.raises(DomainError) as refused:
        exchange_services.letter_edxml_status_import(data=forged, by=world.clerk_a)
    assert refused.value.code == "edxml_not_receiver"
    letter.refresh_from_db()
    assert letter.status == Status.PROVINCE_REVIEW


def test_the_letter_page_downloads_the_package_for_who_may_see_it(world, client):
    letter = letter_at(world, Status.PROVINCE_REVIEW, FormKind.ISSUE_ORGANIZATION)
    url = reverse("exchange:edxml", args=[letter.pk])
    sign_in(client, world.clerk_a)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    m.read_letter(response.content)
    sign_in(client, world.clerk_b)
    assert client.get(url).status_code == 404


def test_the_upload_page_takes_a_package_in_and_refuses_a_hostile_one(world, client):
    _letter, data = sent_letter(world)
    sign_in(client, world.ca_operator)
    url = reverse("exchange:edxml_upload")
    assert client.get(url).status_code == 200
    hostile = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
    )
    response = client.post(url, {"kind": "letter", "file": SimpleUploadedFile("a.xml", hostile)})
    assert response.status_code == 200
    assert "DTD" in response.content.decode()
    response = client.post(url, {"kind": "letter", "file": SimpleUploadedFile("b.xml", data)})
    received = EdxmlMessage.objects.get(direction="received", kind="letter").letter
    assert response.status_code == 302
    assert response["Location"] == reverse("requests_app:detail", args=[received.pk])


def test_the_command_imports_a_package_and_a_status_message(world, tmp_path):
    letter, data = sent_letter(world)
    package = tmp_path / "package.xml"
    package.write_bytes(data)
    call_command("edxml_import", str(package), "--as", "ca_operator", stdout=io.StringIO())
    received = EdxmlMessage.objects.get(direction="received", kind="letter").letter
    status = tmp_path / "status.xml"
    status.write_bytes(bytes(received.edxml_messages.get(direction="sent").content))
    call_command("edxml_import", str(status), "--as", "clerk_a", "--status", stdout=io.StringIO())
    assert letter.edxml_messages.filter(direction="received", status_code=m.RECEIVED).exists()
    errors = io.StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("edxml_import", str(status), "--as", "ca_operator", "--status", stderr=errors)
    assert str(failed.value) == "1 tệp bị từ chối."
    # the CA did not send the letter: it may not see it, so it is not found
    assert "Không tìm thấy văn bản đã gửi có mã" in errors.getvalue()
    with pytest.raises(CommandError) as failed:
        call_command("edxml_import", str(status), "--as", "nobody", stdout=io.StringIO())
    assert str(failed.value) == "Không có người dùng “nobody”."


def package_of_a_letter_elsewhere(world) -> bytes:
    """The package of a letter that only the sending portal holds: made and exported in a
    transaction rolled back (a letter that reached the office inside this portal is not
    received again as a package)."""
    signing_ready(world)  # the certificates, which the receiving side has of its own
    box = {}
    with pytest.raises(Rollback), transaction.atomic():
        box["data"] = sent_letter(world)[1]
        raise Rollback
    return box["data"]


def test_a_package_of_a_letter_that_reached_the_office_here_is_refused(world):
    letter, data = sent_letter(world)
    with pytest.raises(DomainError) as refused:
        exchange_services.letter_edxml_import(data=data, by=world.officer_1)
    assert refused.value.code == "edxml_already_here"
    assert letter.number in refused.value.message
    services.cert_request_forward(cert_request=letter, by=world.officer_1)
    with pytest.raises(DomainError) as refused:
        exchange_services.letter_edxml_import(data=data, by=world.ca_operator)
    assert refused.value.code == "edxml_already_here"
    assert not EdxmlMessage.objects.filter(direction="received").exists()


def test_the_provinces_office_receives_a_package_into_its_inbox(world):
    data = package_of_a_letter_elsewhere(world)
    received = exchange_services.letter_edxml_import(data=data, by=world.officer_1)
    assert received.status == Status.PROVINCE_REVIEW
    assert received.forwarded_at is None
    assert Transition.objects.get(cert_request=received).action == "receive"
    status = EdxmlMessage.objects.get(letter=received, direction="sent", kind="status")
    assert m.read_status(bytes(status.content)).sender.code == "000.00.12.H03"


def test_the_receiver_downloads_its_status_messages_for_the_sender(world, client):
    data = package_of_a_letter_elsewhere(world)
    received = exchange_services.letter_edxml_import(data=data, by=world.officer_1)
    message = EdxmlMessage.objects.get(letter=received, direction="sent", kind="status")
    sign_in(client, world.officer_1)
    page = client.get(reverse("exchange:edxml_upload")).content.decode()
    url = reverse("exchange:edxml_status", args=[message.pk])
    assert url in page
    response = client.get(url)
    assert response.status_code == 200
    assert response.content == bytes(message.content)
    sign_in(client, world.officer_2)
    assert client.get(url).status_code == 404
