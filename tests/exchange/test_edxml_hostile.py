"""Hostile edXML (docs/exchange.md, "edXML packages"): every attack is refused with a clear
Vietnamese message, each in under a second and without a memory blow-up, and nothing is
created."""

import re
import time
import tracemalloc

import pytest
from django.utils import timezone

from exchange import services as exchange_services
from exchange.edxml import messages as m
from exchange.models import EdxmlMessage
from exchange.services.packages import letter_edxml_package
from portal.documents import DocumentKind
from portal.errors import DomainError
from requests_app.choices import FormKind, Status
from requests_app.models import CertRequest
from tests.exchange.edxml_world import coded
from tests.requests_app.letters import letter_at
from tests.requests_app.signed_letters import tampered

pytestmark = pytest.mark.django_db

HEAD = b'<?xml version="1.0"?>\n'
ROOT = b'<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016">'


def refused(data: bytes, by, code: str, *, xml_attack: bool = True) -> str:
    """Import `data`; the refusal's message, checked for its code and memory, and for an
    attack on the XML reader, its time (the reader must stop it within a second). A well-formed
    package whose PDF signature is bad is refused by the signature check, whose time is the
    verifier's (bench/bench_edxml.py), not the reader's."""
    letters = CertRequest.objects.count()
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(DomainError) as caught:
            exchange_services.letter_edxml_import(data=data, by=by)
        elapsed = time.perf_counter() - started
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert caught.value.code == code, caught.value.message
    if xml_attack:
        assert elapsed < 1.0, elapsed
    assert peak < 64 * 1024 * 1024, peak
    assert CertRequest.objects.count() == letters
    assert not EdxmlMessage.objects.filter(direction="received").exists()
    return caught.value.message


@pytest.fixture
def world(cast):
    with coded(cast):
        yield cast


@pytest.mark.parametrize(
    "doctype",
    [
        b'<!DOCTYPE edXML [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
        b'<!DOCTYPE edXML [<!ENTITY x SYSTEM "http://127.0.0.1:9/secret">]>',
        b'<!DOCTYPE edXML SYSTEM "http://127.0.0.1:9/edxml.dtd">',
    ],
    ids=["xxe-file", "xxe-http", "external-dtd"],
)
def test_it_refuses_external_entities(world, doctype):
    message = refused(HEAD + doctype + ROOT + b"&x;</edXML>", world.ca_operator, "edxml_forbidden")
    assert "DTD" in message


def test_it_refuses_the_billion_laughs(world):
    entities = b'<!ENTITY lol0 "lol">' + b"".join(
        b'<!ENTITY lol%d "%s">' % (n, b"&lol%d;" % (n - 1) * 10) for n in range(1, 10)
    )
    data = HEAD + b"<!DOCTYPE edXML [" + entities + b"]>" + ROOT + b"&lol9;</edXML>"
    refused(data, world.ca_operator, "edxml_forbidden")


def test_it_refuses_the_quadratic_blowup(world):
    data = (
        HEAD
        + b'<!DOCTYPE edXML [<!ENTITY a "'
        + b"x" * 50_000
        + b'">]>'
        + ROOT
        + b"&a;" * 20_000
        + b"</edXML>"
    )
    refused(data, world.ca_operator, "edxml_forbidden")


def test_it_refuses_an_oversize_file(world):
    data = HEAD + ROOT + b"<x>" + b"A" * (m.MAX_BYTES + 1) + b"</x></edXML>"
    assert "quá lớn" in refused(data, world.ca_operator, "edxml_too_large")


def test_it_refuses_a_deeply_nested_file(world):
    data = HEAD + ROOT + b"<a>" * 100_000 + b"</a>" * 100_000 + b"</edXML>"
    assert "lồng nhau quá sâu" in refused(data, world.ca_operator, "edxml_too_deep")


def test_it_refuses_a_file_with_too_many_elements(world):
    data = HEAD + ROOT + b"<a/>" * 100_000 + b"</edXML>"
    refused(data, world.ca_operator, "edxml_too_many")


def test_it_refuses_what_is_not_xml(world):
    refused(b"%PDF-1.7 not xml", world.ca_operator, "edxml_not_xml")


def test_it_refuses_a_schema_invalid_package(world):
    letter = letter_at(world, Status.PROVINCE_REVIEW, FormKind.ISSUE_ORGANIZATION)
    data = exchange_services.letter_edxml_export(cert_request=letter)
    data = re.sub(rb"<edXML:Subject>.*?</edXML:Subject>", b"", data, flags=re.S)
    assert "không đúng cấu trúc" in refused(data, world.ca_operator, "edxml_schema")


def test_it_refuses_a_pdf_that_does_not_match_its_hash(world):
    letter = letter_at(world, Status.PROVINCE_REVIEW, FormKind.ISSUE_ORGANIZATION)
    data = exchange_services.letter_edxml_export(cert_request=letter)
    data = re.sub(rb"<edXML:Sha256>[0-9a-f]{64}", b"<edXML:Sha256>" + b"0" * 64, data)
    assert "mã băm" in refused(data, world.ca_operator, "edxml_hash_mismatch")


def _repacked(letter, pdf: bytes) -> bytes:
    """The letter's package with another PDF, its manifest's hash made to match."""
    package, _receivers = letter_edxml_package(letter)
    attachment = m.Attachment(name=package.attachments[0].name, content=pdf)
    return m.letter_xml(m.LetterPackage(**{**package.__dict__, "attachments": (attachment,)}))


def test_it_refuses_a_pdf_whose_signature_is_broken(world):
    letter = letter_at(world, Status.PROVINCE_REVIEW, FormKind.ISSUE_ORGANIZATION)
    signed = bytes(letter.documents.get(kind=DocumentKind.SIGNED).content)
    data = _repacked(letter, tampered(signed))
    assert "Chữ ký số" in refused(data, world.ca_operator, "edxml_bad_signature", xml_attack=False)


def test_it_refuses_a_pdf_without_a_signature(world):
    letter = letter_at(world, Status.PROVINCE_REVIEW, FormKind.ISSUE_ORGANIZATION)
    rendered = bytes(letter.documents.get(kind=DocumentKind.RENDERED).content)
    data = _repacked(letter, rendered)
    message = refused(data, world.ca_operator, "edxml_bad_signature", xml_attack=False)
    assert message == "Chữ ký số của văn bản không hợp lệ: văn bản không có chữ ký số"


@pytest.mark.parametrize(
    "element, value",
    [
        ("PromulgationDate", "2024-01-01Z"),
        ("PromulgationDate", "2024-01-01+07:00"),
        ("PromulgationDate", "-0001-01-01"),
        ("DueDate", "2024-01-01Z"),
        ("Timestamp", "2024-01-01T24:00:00"),
    ],
)
def test_it_refuses_a_date_the_schema_takes_but_python_does_not(world, element, value):
    letter = letter_at(world, Status.PROVINCE_REVIEW, FormKind.ISSUE_ORGANIZATION)
    if element == "DueDate" and not letter.due_on:
        letter.due_on = letter.issued_on
        letter.save(update_fields=["due_on"])
    data = exchange_services.letter_edxml_export(cert_request=letter)
    tag = f"<edXML:{element}>".encode()
    data, count = re.subn(tag + rb"[^<]*<", tag + value.encode() + b"<", data, count=1)
    assert count == 1
    m.validate(m.etree.fromstring(data))  # the schema accepts it
    message = refused(data, world.ca_operator, "edxml_date")
    assert value in message


@pytest.mark.parametrize(
    "element, value",
    [("PromulgationDate", "2024-01-01+07:00"), ("Timestamp", "2024-01-01T24:00:00")],
)
def test_a_status_message_with_such_a_date_is_refused(world, element, value):
    status = m.status_xml(
        m.StatusMessage(
            document_id="000.00.05.H03,2024/01/01,1/STC",
            letter_sender_code="000.00.05.H03",
            letter_code="1/STC",
            promulgated_on=timezone.localdate(),
            sender=m.Organ(code="000.00.01.G14", name="CA"),
            code=m.DONE,
            description="",
            at=timezone.now(),
            department="",
            staff="",
        )
    )
    tag = f"<edXML:{element}>".encode()
    status, count = re.subn(tag + rb"[^<]*<", tag + value.encode() + b"<", status, count=1)
    assert count == 1
    with pytest.raises(DomainError) as caught:
        m.read_status(status)
    assert caught.value.code == "edxml_date"
