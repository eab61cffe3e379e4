"""Signing the device documents (docs/devices.md, "Who signs what"; docs/domain.md §9).

- Mẫu 07 (hand-over notice) and Mẫu 09 (loss minutes): the clerk prepares them; the agency head
  "Ký và gửi": the head's personal certificate, then the agency's seal over the left third of it
  (`sign_and_seal`), stored as the document's SIGNED version; only then does it go to the CA.
- Mẫu 08 (return minutes): signed by both parties. First the handing-over agency (head + seal,
  as above; then it goes to the receiving side), then the receiving Sở KH&CN or CA: its
  officer's personal certificate and, when the receiving organisation has one, its seal, over
  the receiver's signature block, as a further incremental update of the agency's signed
  version (the agency's signatures stay valid). The receiver's signature confirms the receipt:
  the return is complete when both have signed.

Devices sits below the signing library (docs/architecture.md §1), so these flows live here
and call down into devices' services. Each decides on the document's row as locked, stores at
most one SIGNED version per document and party (a database constraint), and is audited.
The signing runs in the worker (docs/architecture.md §4): the page's request checks the
rights and records a `DeviceSigningRequest` (`device_document_sign_request`), the task queued
on commit signs (`device_signing_request_run`, about 1.6 s warm), and the beat's
`device_signing_resume` queues again a request whose task was lost. The unsigned PDF of a
first download is still rendered in the request (devices/services/documents.py, ~0.17 s).
"""

from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.documents import place_name
from certificates.choices import SignedDocumentKind
from certificates.exceptions import CertificateError
from certificates.services import signing_events_record_pair
from certificates.signing import (
    Appearance,
    SignatureReport,
    SigningPair,
    anchor_position,
    get_signer,
    personal_signing_certificate,
    seal_certificate,
    sign_and_seal,
    signing_pair,
    verify_pdf,
)
from devices import services as devices_services
from devices.models import (
    DeviceDocument,
    DeviceSigningRequest,
    HandoverNotice,
    LossReport,
    ReturnMinutes,
    SigningParty,
)
from devices.permissions import is_head_of, is_receiver_of, require
from portal.audit import audit_record
from portal.documents import DocumentKind
from portal.errors import DomainError
from portal.lib.queueing import enqueue

SWEEP_BATCH = 100
RESUME_AFTER_SECONDS = 60  # a task queued on commit normally starts well within this

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
def _store(locked, pdf: bytes, *, party: str, by) -> DeviceDocument | None:
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


def _lock(document):
    return (
        type(document)
        .objects.select_for_update(of=("self",))
        .select_related("agency", "agency__province")
        .get(pk=document.pk)
    )


# --- the agency: Mẫu 07, 08, 09 -----------------------------------------------------------------
REASONS = {
    HandoverNotice: "Ký gửi thông báo bàn giao thiết bị (Mẫu 07)",
    ReturnMinutes: "Ký biên bản giao nhận thiết bị (Mẫu 08), bên giao",
    LossReport: "Ký biên bản xác nhận thất lạc thiết bị (Mẫu 09)",
}


def device_document_sign(*, document, by) -> DeviceDocument:
    """ "Ký và gửi": the agency head signs the document (their certificate, then the agency's
    seal) and it is sent (Mẫu 07, 09 to the CA; Mẫu 08 to its receiving side).

    Idempotent: a document the agency signed already returns its signed version and stores
    nothing. A head without a personal certificate, or an agency without a seal, is told
    (`CertificateError`) and nothing changes. Raises `PermissionDenied` for anyone but a
    head of the document's agency."""
    owner_field(document)
    require(is_head_of(by, document.agency))
    with transaction.atomic():
        locked = _lock(document)
        existing = signed_version(locked)
        if existing is not None:
            return existing
        if isinstance(locked, ReturnMinutes) and locked.confirmed_at is not None:
            raise DomainError(_("Biên bản này đã được xác nhận."), code="already_confirmed")
        pair = signing_pair(user=by, agency=locked.agency)
        # The version the head signs names them in its signature block, as their stamp and
        # certificate will (docs/domain.md §10.1).
        rendered = devices_services.device_document_pdf(document=locked, by=by, signer=by)
        pdf = bytes(rendered.content)
        signed = sign_and_seal(
            pdf,
            pair=pair,
            agency_name=locked.agency.name,
            by=by,
            reason=REASONS[type(locked)],
            location=place_name(locked.agency),
            position=anchor_position(pdf, AGENCY_ANCHOR),
        )
        signing_events_record_pair(
            pair=pair,
            agency=locked.agency,
            document_kind=SignedDocumentKind.DEVICE_DOCUMENT,
            document_id=locked.pk,
        )
        stored = _store(locked, signed, party=SigningParty.AGENCY, by=by)
        if stored is None:  # pragma: no cover - the row lock serialises callers
            return signed_version(locked)
        devices_services.device_document_mark_sent(document=locked, by=by)
    document.sent_at = locked.sent_at
    return stored


# --- the receiving side: Mẫu 08 -----------------------------------------------------------------
def return_minutes_countersign(*, minutes: ReturnMinutes, by) -> DeviceDocument:
    """The receiving Sở KH&CN or CA signs the Mẫu 08 the agency signed (its officer's
    certificate, then its seal if it has one), which confirms the receipt: the devices are
    returned and their obligations closed (devices' `return_minutes_confirm`).

    Idempotent like `device_document_sign`. Raises `PermissionDenied` for anyone but the
    receiving side, `DomainError` before the agency has signed, `CertificateError` for an
    officer without a personal certificate."""
    require(is_receiver_of(by, minutes))
    personal = personal_signing_certificate(by)
    with transaction.atomic():
        locked = _lock(minutes)
        existing = signed_version(locked, SigningParty.RECEIVER)
        if existing is not None:
            return existing
        agency_signed = signed_version(locked)
        if locked.sent_at is None or agency_signed is None:
            raise DomainError(
                _("Lãnh đạo bên giao chưa ký biên bản: chưa thể ký xác nhận."), code="not_sent"
            )
        if locked.confirmed_at is not None:
            raise DomainError(_("Biên bản này đã được xác nhận."), code="already_confirmed")
        if personal is None:
            raise CertificateError(
                _(
                    "Người ký chưa có chứng thư số cá nhân còn hiệu lực: không thể ký số biên "
                    "bản trên cổng."
                ),
                code="no_personal_certificate",
            )
        receiver = locked.receiver
        pdf = bytes(agency_signed.content)
        position = anchor_position(pdf, RECEIVER_ANCHOR)
        person = personal.person
        signer = get_signer()
        signed = signer.sign(
            pdf,
            certificate=personal,
            field_name=RECEIVER_SIGNATURE_FIELD,
            appearance=Appearance.signature(
                position,
                signer_name=person.full_name if person else personal.common_name,
                title=person.position if person else "",
                agency=receiver.name,
            ),
            reason="Ký biên bản giao nhận thiết bị (Mẫu 08), bên nhận",
            location=place_name(locked.agency),
            by=by,
        )
        seal = seal_certificate(receiver)
        if seal is not None:
            signed = signer.sign(
                signed,
                certificate=seal,
                field_name=RECEIVER_SEAL_FIELD,
                appearance=Appearance.seal(position, agency=receiver.name),
                reason="Đóng dấu cơ quan",
                location=place_name(locked.agency),
                by=by,
            )
        signing_events_record_pair(
            pair=SigningPair(personal=personal, seal=seal),
            agency=receiver,
            document_kind=SignedDocumentKind.DEVICE_DOCUMENT,
            document_id=locked.pk,
        )
        stored = _store(locked, signed, party=SigningParty.RECEIVER, by=by)
        if stored is None:  # pragma: no cover - the row lock serialises callers
            return signed_version(locked, SigningParty.RECEIVER)
        devices_services.return_minutes_confirm(
            minutes=locked,
            by=by,
            receiver_representative=person.full_name if person else "",
            receiver_representative_title=person.position if person else "",
        )
    minutes.__dict__.update(
        {k: getattr(locked, k) for k in ("confirmed_at", "confirmed_by_id", "sent_at")}
    )
    return stored


def signature_reports(stored: DeviceDocument | None) -> list[SignatureReport]:
    """What the receiver sees: one report per signature of the signed version."""
    if stored is None:
        return []
    return verify_pdf(bytes(stored.content))


# --- in the worker: the request records the signing, the worker signs (docs/architecture.md §4)
def _pending(locked, party: str) -> DeviceSigningRequest | None:
    return (
        DeviceSigningRequest.objects.select_for_update()
        .filter(**{owner_field(locked): locked}, party=party)
        .first()
    )


def signing_request(document, party: str = SigningParty.AGENCY) -> DeviceSigningRequest | None:
    """The signing `party` asked for on the document, if any (done or not, failed or not)."""
    return DeviceSigningRequest.objects.filter(
        **{owner_field(document): document}, party=party
    ).first()


def device_document_sign_request(
    *, document, by, party: str = SigningParty.AGENCY
) -> DeviceSigningRequest | None:
    """The web request's half of "Ký và gửi" (party `agency`) or of the receiver's signature on
    a Mẫu 08 (party `receiver`): the same rights and checks as the signing itself, decided on
    the locked row, then the request recorded (or, after a failure, recorded again) and the
    worker's task queued once the transaction commits. None when that party's signed version
    exists already (nothing to do). The signing itself, and the sending, happen in the worker
    (`device_signing_request_run`)."""
    field = owner_field(document)
    if party == SigningParty.AGENCY:
        require(is_head_of(by, document.agency))
    else:
        require(isinstance(document, ReturnMinutes) and is_receiver_of(by, document))
        personal = personal_signing_certificate(by)
    with transaction.atomic():
        locked = _lock(document)
        if signed_version(locked, party) is not None:
            return None
        if isinstance(locked, ReturnMinutes) and locked.confirmed_at is not None:
            raise DomainError(_("Biên bản này đã được xác nhận."), code="already_confirmed")
        if party == SigningParty.AGENCY:
            signing_pair(user=by, agency=locked.agency)  # told now: no certificate, no seal
        else:
            if locked.sent_at is None or signed_version(locked) is None:
                raise DomainError(
                    _("Lãnh đạo bên giao chưa ký biên bản: chưa thể ký xác nhận."),
                    code="not_sent",
                )
            if personal is None:
                raise CertificateError(
                    _(
                        "Người ký chưa có chứng thư số cá nhân còn hiệu lực: không thể ký số "
                        "biên bản trên cổng."
                    ),
                    code="no_personal_certificate",
                )
        pending = _pending(locked, party)
        if pending is None:
            pending = DeviceSigningRequest.objects.create(
                **{field: locked}, party=party, requested_by=by
            )
        else:  # asked again: after a failure, or a task that may have been lost
            pending.requested_by, pending.requested_at, pending.error = by, timezone.now(), ""
            pending.save(update_fields=["requested_by", "requested_at", "error"])
        audit_record(
            actor=by,
            action="device_document.sign_request",
            obj=locked,
            after={"form": FORMS[type(locked)], "party": party},
        )
        transaction.on_commit(lambda: enqueue_device_signing(pending.pk))
    return pending


def enqueue_device_signing(request_id: int) -> bool:
    """Queue the signing task; False (logged) when the broker cannot be reached: the sweep
    (`device_signing_resume`) queues it again later."""
    from requests_app.tasks import device_document_sign_task

    return enqueue(device_document_sign_task, request_id, what=f"device signing {request_id}")


def device_signing_request_run(*, request_id: int) -> DeviceDocument | None:
    """The worker's half: sign as the request's signer (`device_document_sign` or
    `return_minutes_countersign`, which decide everything again on the locked row). Safe to
    run twice: a party's signed version is stored once (a constraint) and found the second
    time. A refusal (no certificate any more, no seal, no right) is stored on the request in
    Vietnamese and audited; nothing is signed or sent, and the signer may ask again."""
    pending = (
        DeviceSigningRequest.objects.select_related("requested_by")
        .filter(pk=request_id, error="")
        .first()
    )
    if pending is None:
        return None
    document, by = pending.document, pending.requested_by
    try:
        if pending.party == SigningParty.AGENCY:
            return device_document_sign(document=document, by=by)
        return return_minutes_countersign(minutes=document, by=by)
    except (DomainError, PermissionDenied) as exc:
        message = (
            exc.message
            if isinstance(exc, DomainError)
            else _("Người ký không còn quyền ký văn bản này.")
        )
    with transaction.atomic():
        failed = DeviceSigningRequest.objects.filter(pk=pending.pk, error="").update(error=message)
        if failed:
            audit_record(
                actor=by,
                action="device_document.sign_failed",
                obj=document,
                after={"form": FORMS[type(document)], "party": pending.party, "error": message},
            )
    return None


def device_signing_waiting():
    """Signing requests not done (no signed version of their party) and not failed."""
    signed = DeviceDocument.objects.filter(
        kind=DocumentKind.SIGNED, party=OuterRef("party")
    ).filter(
        Q(notice=OuterRef("notice"))
        | Q(minutes=OuterRef("minutes"))
        | Q(loss_report=OuterRef("loss_report"))
    )
    return DeviceSigningRequest.objects.filter(error="").exclude(Exists(signed)).order_by("pk")


def device_signing_resume() -> int:
    """Beat: queue again the signings asked for more than a minute ago whose task was lost."""
    queued = 0
    waiting = device_signing_waiting().filter(
        requested_at__lt=timezone.now() - timedelta(seconds=RESUME_AFTER_SECONDS)
    )
    for pk in waiting.values_list("pk", flat=True)[:SWEEP_BATCH]:
        if enqueue_device_signing(pk):
            queued += 1
    return queued
