"""The signed versions of the device documents (docs/devices.md, "Who signs what"; docs/domain.md
§9): what both parties' signing at their desks (paperwork/desk.py) stores and what the
document pages read back.

- Mẫu 07 (hand-over notice) and Mẫu 09 (loss minutes): the clerk prepares them; the agency head
  signs them at their desk with their personal certificate, then the agency's seal over the
  left third of it, stored as the document's SIGNED version; only then does it go to the CA.
- Mẫu 08 (return minutes): signed by both parties. First the handing-over agency (head + seal,
  as above; then it goes to the receiving side), then the receiving Sở KH&CN or CA: its
  officer's personal certificate and, when the receiving organisation has one, its seal, over
  the receiver's signature block, as a further incremental update of the agency's signed
  version (the agency's signatures stay valid). The receiver's signature confirms the receipt:
  the return is complete when both have signed.

Devices sits below the signing library (docs/architecture.md §1), so these flows live here
and call down into devices' services. Each decides on the document's row as locked
(`lock`), stores at most one SIGNED version per document and party (`store`, a database
constraint), and is audited. The portal never signs a device document with a key of its own.
"""

from django.db import IntegrityError, transaction
from django.db.models import Max

from certificates.signing import SignatureReport, verify_pdf
from devices.models import (
    DeviceDocument,
    HandoverNotice,
    LossReport,
    ReturnMinutes,
    SigningParty,
)
from portal.audit import audit_record
from portal.documents import DocumentKind

# The ids of the signature blocks' name lines in templates/devices/pdf/mau_0{7,8,9}.html, which
# WeasyPrint writes as named destinations: the signature goes in the gap above the name.
AGENCY_ANCHOR = "chu-ky-co-quan"
RECEIVER_ANCHOR = "chu-ky-ben-nhan"
RECEIVER_SIGNATURE_FIELD = "ChuKyBenNhan"
RECEIVER_SEAL_FIELD = "DauBenNhan"

OWNER_FIELDS = {HandoverNotice: "notice", ReturnMinutes: "minutes", LossReport: "loss_report"}
FORMS = {HandoverNotice: "07", ReturnMinutes: "08", LossReport: "09"}


def owner_field(document) -> str:
    try:
        return OWNER_FIELDS[type(document)]
    except KeyError:
        raise TypeError(f"not a device document: {document!r}") from None


def signed_version(document, party: str = SigningParty.AGENCY) -> DeviceDocument | None:
    """The SIGNED version `party` stored for the document, if any."""
    return DeviceDocument.objects.filter(
        **{owner_field(document): document}, kind=DocumentKind.SIGNED, party=party
    ).first()


def latest_signed(document) -> DeviceDocument | None:
    """The signed version carrying the most signatures (the receiver's, else the agency's)."""
    return (
        DeviceDocument.objects.filter(**{owner_field(document): document}, kind=DocumentKind.SIGNED)
        .order_by("-version")
        .first()
    )


# --- storing a signed version -------------------------------------------------------------------
def store(locked, pdf: bytes, *, party: str, by) -> DeviceDocument | None:
    """`pdf` as the next version of `locked`, SIGNED by `party`; None if a concurrent call
    stored that party's version first (the constraint refused this one)."""
    field = owner_field(locked)
    last = DeviceDocument.objects.filter(**{field: locked}).aggregate(last=Max("version"))
    rendered = (
        DeviceDocument.objects.filter(**{field: locked}, kind=DocumentKind.RENDERED)
        .order_by("-version")
        .first()
    )
    document = DeviceDocument(
        form=FORMS[type(locked)],
        kind=DocumentKind.SIGNED,
        party=party,
        number=locked.number,
        issued_on=rendered.issued_on if rendered else None,
        version=(last["last"] or 0) + 1,
        created_by=by,
        **{field: locked},
    )
    document.set_content(pdf)
    try:
        with transaction.atomic():
            document.save()
    except IntegrityError:
        return None
    audit_record(
        actor=by,
        action="device_document.sign",
        obj=locked,
        after={
            "form": document.form,
            "party": party,
            "version": document.version,
            "sha256": document.sha256,
        },
    )
    return document


def lock(document):
    return (
        type(document)
        .objects.select_for_update(of=("self",))
        .select_related("agency", "agency__province")
        .get(pk=document.pk)
    )


# The reasons written in each party's signature.
REASONS = {
    HandoverNotice: "Ký gửi thông báo bàn giao thiết bị (Mẫu 07)",
    ReturnMinutes: "Ký biên bản giao nhận thiết bị (Mẫu 08), bên giao",
    LossReport: "Ký biên bản xác nhận thất lạc thiết bị (Mẫu 09)",
}
RECEIVER_REASON = "Ký biên bản giao nhận thiết bị (Mẫu 08), bên nhận"


def signature_reports(stored: DeviceDocument | None) -> list[SignatureReport]:
    """What the receiver sees: one report per signature of the signed version."""
    if stored is None:
        return []
    return verify_pdf(bytes(stored.content))
