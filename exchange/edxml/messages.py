"""The edXML messages the portal writes and reads (docs/exchange.md, "edXML packages"): a
letter package and a status message, as plain data; written with lxml, read from hostile bytes
with defusedxml's limits first (no DTD, no entity, no external reference, a size, depth and
element cap), then validated against `edxml.xsd` with lxml. Every refusal is an `EdxmlError`
with a Vietnamese message."""

import base64
import binascii
import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from pathlib import Path

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser
from django.utils.translation import gettext as _
from lxml import etree

from portal.errors import DomainError

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
SCHEMA_PATH = Path(__file__).with_name("edxml.xsd")
# The limits of an import (docs/exchange.md): a signed letter of a few hundred rows is well
# under a megabyte, base64 adds a third; 9 MB keeps the attachment's text node under libxml2's
# 10 000 000-byte cap without `huge_tree` (a signed PDF of up to about 6.7 MB).
MAX_BYTES = 9 * 1024 * 1024
MAX_DEPTH = 12
MAX_ELEMENTS = 400

# Status codes (StatusCode): what the receiving side says of a letter it got.
RECEIVED, RETURNED, ASSIGNED, IN_PROCESS, DONE = "01", "02", "03", "04", "05"


class EdxmlError(DomainError):
    """A package or status message refused; the message says why, in Vietnamese."""


@dataclass(frozen=True)
class Organ:
    code: str
    name: str


@dataclass(frozen=True)
class Attachment:
    name: str
    content: bytes
    content_type: str = "application/pdf"
    description: str = ""

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


@dataclass(frozen=True)
class LetterPackage:
    document_id: str
    sender: Organ
    receivers: tuple[Organ, ...]
    number: str
    notation: str
    place: str
    promulgated_on: date
    form: str
    type_name: str
    subject: str
    signer_competence: str
    signer_position: str
    signer_name: str
    due_on: date | None
    to_places: tuple[str, ...]
    priority: int
    attachments: tuple[Attachment, ...]
    sent_at: datetime
    trace: tuple[tuple[str, datetime], ...] = field(default=())


@dataclass(frozen=True)
class StatusMessage:
    document_id: str
    letter_sender_code: str
    letter_code: str
    promulgated_on: date
    sender: Organ
    code: str
    description: str
    at: datetime
    department: str
    staff: str
    # The detached CMS signature that came with it, and the bytes it signs (the exclusive
    # C14N of the `Status` element); empty when the message came unsigned.
    signature: bytes = b""
    signed_content: bytes = b""


def _q(name: str) -> str:
    return f"{{{NS}}}{name}"


def _sub(parent, name: str, text=None):
    element = etree.SubElement(parent, _q(name))
    if text is not None:
        element.text = str(text)
    return element


def _organ(parent, name: str, organ: Organ) -> None:
    element = _sub(parent, name)
    _sub(element, "OrganId", organ.code)
    _sub(element, "OrganName", organ.name)


def _root():
    root = etree.Element(_q("edXML"), nsmap={"edXML": NS})
    envelope = _sub(root, "edXMLEnvelope")
    return root, envelope, _sub(envelope, "edXMLHeader")


def _bytes(root) -> bytes:
    data = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    validate(etree.fromstring(data, _safe_parser()))
    return data


def letter_xml(package: LetterPackage) -> bytes:
    """The package as edXML bytes, valid against the schema (else a bug of ours: raised)."""
    root, envelope, header = _root()
    message = _sub(header, "MessageHeader")
    _organ(message, "From", package.sender)
    for receiver in package.receivers:
        _organ(message, "To", receiver)
    _sub(message, "DocumentId", package.document_id)
    code = _sub(message, "Code")
    _sub(code, "CodeNumber", package.number)
    _sub(code, "CodeNotation", package.notation)
    info = _sub(message, "PromulgationInfo")
    _sub(info, "Place", package.place)
    _sub(info, "PromulgationDate", package.promulgated_on.isoformat())
    kind = _sub(message, "DocumentType")
    _sub(kind, "Type", 1)
    _sub(kind, "TypeDetail", package.form)
    _sub(kind, "TypeName", package.type_name)
    _sub(message, "Subject", package.subject)
    signer = _sub(message, "SignerInfo")
    _sub(signer, "Competence", package.signer_competence)
    _sub(signer, "Position", package.signer_position)
    _sub(signer, "FullName", package.signer_name)
    if package.due_on is not None:
        _sub(message, "DueDate", package.due_on.isoformat())
    places = _sub(message, "ToPlaces")
    for place in package.to_places:
        _sub(places, "Place", place)
    other = _sub(message, "OtherInfo")
    _sub(other, "Priority", package.priority)
    _sub(message, "SteeringType", 0)
    traces = _sub(header, "TraceHeaderList")
    for organ_id, at in package.trace or ((package.sender.code, package.sent_at),):
        trace = _sub(traces, "TraceHeader")
        _sub(trace, "OrganId", organ_id)
        _sub(trace, "Timestamp", at.isoformat())
    manifest = _sub(_sub(envelope, "edXMLBody"), "edXMLManifest")
    encoded = _sub(root, "AttachmentEncoded")
    for n, attachment in enumerate(package.attachments, start=1):
        content_id = f"att{n}"
        reference = _sub(manifest, "Reference")
        _sub(reference, "ContentId", f"cid:{content_id}")
        _sub(reference, "ContentType", attachment.content_type)
        _sub(reference, "AttachmentName", attachment.name)
        if attachment.description:
            _sub(reference, "Description", attachment.description)
        _sub(reference, "Sha256", attachment.sha256)
        item = _sub(encoded, "Attachment")
        _sub(item, "ContentId", content_id)
        _sub(item, "ContentTransferEncoded", base64.b64encode(attachment.content).decode())
    return _bytes(root)


def status_content(element) -> bytes:
    """What a status message's signature covers: the exclusive C14N of its `Status`."""
    return etree.tostring(element, method="c14n", exclusive=True)


def status_xml(status: StatusMessage, *, sign=None) -> bytes:
    """The status message as edXML bytes; `sign(content) -> bytes | None` adds its signature
    over `status_content` (docs/exchange.md, "Signed status messages")."""
    root, _envelope, header = _root()
    message = _sub(header, "Status")
    response = _sub(message, "ResponseFor")
    _sub(response, "OrganId", status.letter_sender_code)
    _sub(response, "Code", status.letter_code)
    _sub(response, "PromulgationDate", status.promulgated_on.isoformat())
    _sub(response, "DocumentId", status.document_id)
    _organ(message, "From", status.sender)
    _sub(message, "StatusCode", status.code)
    _sub(message, "Description", status.description)
    _sub(message, "Timestamp", status.at.isoformat())
    staff = _sub(message, "StaffInfo")
    _sub(staff, "Department", status.department)
    _sub(staff, "Staff", status.staff)
    signature = sign(status_content(message)) if sign is not None else None
    if signature:
        _sub(header, "StatusSignature", base64.b64encode(signature).decode("ascii"))
    return _bytes(root)


# Reading -----------------------------------------------------------------------------------


@cache
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA_PATH), _safe_parser()))


def _safe_parser() -> etree.XMLParser:
    # Past the defusedxml gate a document has no DTD; this parser would not expand one anyway.
    # No `huge_tree`: libxml2 keeps its limits on text nodes and depth.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_pis=True)


def validate(tree) -> None:
    """Refuse a document the schema does not accept, naming the fault. `assertValid` raises
    with this validation's own error: the schema object is cached and shared between threads,
    and its `error_log` is the last validation's of any thread."""
    try:
        schema().assertValid(tree)
    except etree.DocumentInvalid as exc:
        raise EdxmlError(
            _("Gói edXML không đúng cấu trúc: %(error)s") % {"error": str(exc)[:200]},
            code="edxml_schema",
        ) from exc


# The gate's bytes per feed: expat stops at the first element past a limit, so a hostile
# document costs at most this much beyond that element.
_GATE_CHUNK = 4096


class _Counter:
    """The gate's parser target: it builds nothing, only counts the depth and the elements,
    and raises at the first excess, from inside expat's callback (parsing stops there)."""

    def __init__(self):
        self.depth = self.elements = 0

    def start(self, _tag, _attrib):
        self.depth += 1
        self.elements += 1
        if self.depth > MAX_DEPTH:
            raise EdxmlError(
                _("Tệp edXML lồng nhau quá sâu (hơn %(max)s cấp).") % {"max": MAX_DEPTH},
                code="edxml_too_deep",
            )
        if self.elements > MAX_ELEMENTS:
            raise EdxmlError(
                _("Tệp edXML có quá nhiều phần tử (hơn %(max)s).") % {"max": MAX_ELEMENTS},
                code="edxml_too_many",
            )

    def end(self, _tag):
        self.depth -= 1

    def data(self, _data):
        pass

    def close(self):
        return None


def _gate(data: bytes) -> None:
    """defusedxml's pass over the bytes before lxml builds anything: no DTD, no entity, no
    external reference; the depth and the number of elements capped. No tree is built and the
    bytes are fed a few kilobytes at a time, so a deep or wide document is refused at its first
    excess element, having cost only what was read of it."""
    if len(data) > MAX_BYTES:
        raise EdxmlError(
            _("Tệp edXML quá lớn (%(size)s MB; tối đa %(max)s MB).")
            % {"size": len(data) // (1024 * 1024), "max": MAX_BYTES // (1024 * 1024)},
            code="edxml_too_large",
        )
    parser = DefusedXMLParser(
        target=_Counter(), forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    view = memoryview(data)
    try:
        for offset in range(0, len(data), _GATE_CHUNK):
            parser.feed(bytes(view[offset : offset + _GATE_CHUNK]))
        parser.close()
    except DefusedXmlException as exc:
        raise EdxmlError(
            _(
                "Tệp edXML bị từ chối: có khai báo DTD, thực thể hoặc tham chiếu ra ngoài "
                "(%(what)s)."
            )
            % {"what": type(exc).__name__},
            code="edxml_forbidden",
        ) from exc
    except SyntaxError as exc:  # expat's ParseError
        raise EdxmlError(
            _("Tệp không phải XML hợp lệ: %(error)s") % {"error": str(exc)[:200]},
            code="edxml_not_xml",
        ) from exc


def _parse(data: bytes):
    _gate(data)
    try:
        root = etree.fromstring(data, _safe_parser())
    except etree.XMLSyntaxError as exc:
        raise EdxmlError(
            _("Tệp không phải XML hợp lệ: %(error)s") % {"error": str(exc)[:200]},
            code="edxml_not_xml",
        ) from exc
    validate(root)
    return root


def _text(element, path: str) -> str:
    found = element.find(path, {"e": NS})
    return (found.text or "").strip() if found is not None else ""


def _date(text: str, what: str) -> date:
    """An `xs:date` the schema took, as a date: only the plain `YYYY-MM-DD` the portal and the
    SDKs write; a time zone, a negative or year-0 or five-digit year is refused, not a 500."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise EdxmlError(
            _("Ngày “%(value)s” (%(what)s) không hợp lệ: cần dạng NNNN-TT-NN, không múi giờ.")
            % {"value": text[:40], "what": what},
            code="edxml_date",
        ) from None


def _datetime(text: str, what: str) -> datetime:
    """An `xs:dateTime` the schema took, as a datetime; one Python cannot read (24:00:00, a
    negative year…) is refused, not a 500."""
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise EdxmlError(
            _("Thời điểm “%(value)s” (%(what)s) không hợp lệ.")
            % {"value": text[:40], "what": what},
            code="edxml_date",
        ) from None


def _organ_of(element) -> Organ:
    return Organ(code=_text(element, "e:OrganId"), name=_text(element, "e:OrganName"))


def read_letter(data: bytes) -> LetterPackage:
    """The letter package in `data` (hostile until proven otherwise), its attachments decoded
    and each checked against the hash its manifest gives."""
    root = _parse(data)
    header = root.find("e:edXMLEnvelope/e:edXMLHeader/e:MessageHeader", {"e": NS})
    if header is None:
        raise EdxmlError(_("Tệp edXML không chứa văn bản."), code="edxml_not_letter")
    encoded = {
        _text(item, "e:ContentId"): _text(item, "e:ContentTransferEncoded")
        for item in root.iterfind("e:AttachmentEncoded/e:Attachment", {"e": NS})
    }
    attachments = []
    manifest = "e:edXMLEnvelope/e:edXMLBody/e:edXMLManifest/e:Reference"
    for reference in root.iterfind(manifest, {"e": NS}):
        content_id = _text(reference, "e:ContentId").removeprefix("cid:")
        if content_id not in encoded:
            raise EdxmlError(
                _("Tệp đính kèm “%(id)s” có trong danh mục nhưng không có nội dung.")
                % {"id": content_id},
                code="edxml_attachment_missing",
            )
        try:
            content = base64.b64decode(encoded.pop(content_id), validate=False)
        except (binascii.Error, ValueError) as exc:
            raise EdxmlError(_("Nội dung tệp đính kèm không đọc được."), code="edxml_b64") from exc
        attachment = Attachment(
            name=_text(reference, "e:AttachmentName"),
            content=content,
            content_type=_text(reference, "e:ContentType"),
            description=_text(reference, "e:Description"),
        )
        if attachment.sha256 != _text(reference, "e:Sha256"):
            raise EdxmlError(
                _("Tệp “%(name)s” không khớp mã băm SHA-256 ghi trong gói: tệp đã bị thay đổi.")
                % {"name": attachment.name},
                code="edxml_hash_mismatch",
            )
        attachments.append(attachment)
    if encoded:
        raise EdxmlError(
            _("Gói edXML có tệp đính kèm không nằm trong danh mục."), code="edxml_attachment_extra"
        )
    due = _text(header, "e:DueDate")
    return LetterPackage(
        document_id=_text(header, "e:DocumentId"),
        sender=_organ_of(header.find("e:From", {"e": NS})),
        receivers=tuple(_organ_of(to) for to in header.iterfind("e:To", {"e": NS})),
        number=_text(header, "e:Code/e:CodeNumber"),
        notation=_text(header, "e:Code/e:CodeNotation"),
        place=_text(header, "e:PromulgationInfo/e:Place"),
        promulgated_on=_date(
            _text(header, "e:PromulgationInfo/e:PromulgationDate"), "PromulgationDate"
        ),
        form=_text(header, "e:DocumentType/e:TypeDetail"),
        type_name=_text(header, "e:DocumentType/e:TypeName"),
        subject=_text(header, "e:Subject"),
        signer_competence=_text(header, "e:SignerInfo/e:Competence"),
        signer_position=_text(header, "e:SignerInfo/e:Position"),
        signer_name=_text(header, "e:SignerInfo/e:FullName"),
        due_on=_date(due, "DueDate") if due else None,
        to_places=tuple(
            (p.text or "").strip() for p in header.iterfind("e:ToPlaces/e:Place", {"e": NS})
        ),
        priority=int(_text(header, "e:OtherInfo/e:Priority")),
        attachments=tuple(attachments),
        sent_at=_datetime(
            _text(
                root, "e:edXMLEnvelope/e:edXMLHeader/e:TraceHeaderList/e:TraceHeader/e:Timestamp"
            ),
            "Timestamp",
        ),
    )


def read_status(data: bytes) -> StatusMessage:
    root = _parse(data)
    status = root.find("e:edXMLEnvelope/e:edXMLHeader/e:Status", {"e": NS})
    if status is None:
        raise EdxmlError(_("Tệp edXML không phải thông điệp trạng thái."), code="edxml_not_status")
    return StatusMessage(
        document_id=_text(status, "e:ResponseFor/e:DocumentId"),
        letter_sender_code=_text(status, "e:ResponseFor/e:OrganId"),
        letter_code=_text(status, "e:ResponseFor/e:Code"),
        promulgated_on=_date(_text(status, "e:ResponseFor/e:PromulgationDate"), "PromulgationDate"),
        sender=_organ_of(status.find("e:From", {"e": NS})),
        code=_text(status, "e:StatusCode"),
        description=_text(status, "e:Description"),
        at=_datetime(_text(status, "e:Timestamp"), "Timestamp"),
        department=_text(status, "e:StaffInfo/e:Department"),
        staff=_text(status, "e:StaffInfo/e:Staff"),
        signature=_signature(root),
        signed_content=status_content(status),
    )


def is_signed(data: bytes) -> bool:
    """Whether status message bytes of ours carry a signature (no parsing: we wrote them)."""
    return b"StatusSignature>" in data


def _signature(root) -> bytes:
    element = root.find("e:edXMLEnvelope/e:edXMLHeader/e:StatusSignature", {"e": NS})
    if element is None:
        return b""
    # The schema took it as base64Binary of at most 64 KiB.
    return base64.b64decode("".join((element.text or "").split()))
