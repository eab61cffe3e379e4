"""Flows that start from a device and end in a letter.

- A lost device: the Mẫu 09 minutes (a devices service), then the Mẫu 05 letter revoking the
  device's valid certificates with the reason "device lost", drafted for the clerk to submit at
  once (docs/domain.md §3.8, §4.3: the certificate must be revoked as soon as the loss is
  known), whatever else is open on them: any other open row on the certificates or the device
  is stopped, saying why (`request_rows_stop`).
- A locked device: the Mẫu 06 letter asking the CA to recover it.

A flow that spans apps is a service of the highest app involved (docs/architecture.md §1): devices
sits below certificates and requests_app and never imports them, so these flows live here and call
down into devices' services.
"""

from dataclasses import dataclass
from datetime import date, time

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from agencies.models import Organization, Person
from certificates.choices import KEY_AT_RISK_REASONS, RevocationReason
from certificates.models import Certificate
from devices import services as devices_services
from devices.models import Device, LossReport
from devices.permissions import device_actions, require
from portal.errors import DomainError
from requests_app import services as letters
from requests_app.choices import FormKind
from requests_app.exceptions import RowInvalid
from requests_app.models import CertRequest, RequestRow
from requests_app.services.drafting import CONTACT_FIELDS, contact_from_person

# What drafting a letter can refuse with; the flows turn it into one readable sentence.
DRAFT_ERRORS = (DomainError, RowInvalid, ValidationError, PermissionDenied)


@dataclass(frozen=True)
class LossReported:
    """The outcome of a loss report: the Mẫu 09 always stands; the Mẫu 05 is drafted when the
    device carries valid certificates and the draft can be made (else `draft_error` says why);
    `stopped`: the other letters' rows stopped to make way for it."""

    report: LossReport
    letter: CertRequest | None = None
    draft_error: str = ""
    stopped: tuple[RequestRow, ...] = ()


def draft_error_text(exc: Exception) -> str:
    """One sentence out of whatever drafting refused with."""
    if isinstance(exc, RowInvalid):
        return " ".join(m for msgs in exc.errors.values() for m in msgs)
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    if isinstance(exc, DomainError):
        return exc.message
    return str(exc)


def revocable_certificates(device: Device) -> list[Certificate]:
    """The device's certificates still valid: what its Mẫu 05 asks to revoke."""
    return list(Certificate.objects.filter(device=device).valid().order_by("pk"))


def contact_prefill(agency: Organization, user, form: str) -> dict:
    """Section 1 of a drafted letter, from the agency's latest letter of that form (else any
    letter), else from the clerk's own record, so the clerk can submit at once."""
    previous = (
        CertRequest.objects.filter(agency=agency)
        .exclude(contact_name="")
        .order_by("-created_at", "-pk")
    )
    letter = previous.filter(form=form).first() or previous.first()
    if letter is not None:
        return {
            name: getattr(letter, name)
            for name in CONTACT_FIELDS
            if name != "subject" and getattr(letter, name) not in (None, "")
        }
    person = Person.objects.identified().filter(user=user).first()
    if person is None:
        return {}
    return {**contact_from_person(person), "contact_agency": agency.name}


def device_recovery_draft(*, device: Device, by) -> tuple[CertRequest, bool]:
    """The Mẫu 06 letter asking the CA to recover a locked device, and whether it was drafted
    now: the letter already open for the device if there is one, else a new draft with the
    device as its only row. Raises what drafting refuses with (`DRAFT_ERRORS`)."""
    require("recovery_request" in device_actions(by, device))
    existing = RequestRow.objects.open().filter(device=device).select_related("cert_request")
    row = existing.first()
    if row is not None:
        return row.cert_request, False
    with transaction.atomic():
        letter = letters.cert_request_create(
            agency=device.agency,
            form=FormKind.RECOVER_DEVICE,
            by=by,
            subject=_("V/v đề nghị khôi phục thiết bị lưu khóa bí mật"),
            **contact_prefill(device.agency, by, FormKind.RECOVER_DEVICE),
        )
        letters.row_save(cert_request=letter, by=by, data={"device": device})
    return letter, True


def device_loss_report(
    *,
    device: Device,
    lost_on: date,
    lost_place: str,
    circumstances: str,
    held_place: str,
    by,
    lost_time: time | None = None,
    representative_name: str = "",
    representative_position: str = "",
) -> LossReported:
    """Mẫu 09 for a lost device, then the Mẫu 05 revoking its valid certificates.

    The minutes are committed first and stand on their own (the CA must hear of the loss even
    when the letter cannot be drafted); a refused draft is reported in `draft_error`. Raises
    `DomainError` when the minutes themselves are refused.
    """
    require("lose" in device_actions(by, device))
    report = devices_services.loss_report_create(
        device=device,
        lost_on=lost_on,
        lost_place=lost_place,
        circumstances=circumstances,
        held_place=held_place,
        by=by,
        lost_time=lost_time,
        representative_name=representative_name,
        representative_position=representative_position,
    )
    try:
        return loss_revocation_draft(loss_report=report, by=by)
    except DRAFT_ERRORS as exc:
        return LossReported(report=report, draft_error=draft_error_text(exc))


def stop_note(loss_report: LossReport) -> str:
    """Why a row stopped for a lost device cannot go on (shown on its letter's page)."""
    return _(
        "Đã dừng: thiết bị lưu khóa bí mật %(device)s đã được báo mất (biên bản Mẫu 09 số "
        "%(number)s), khóa có nguy cơ bị lộ. Chứng thư trên thiết bị được thu hồi theo văn bản "
        "Mẫu 05 lập cùng biên bản, nên đề nghị này không thể tiếp tục."
    ) % {"device": loss_report.device.serial, "number": loss_report.number}


def loss_revocation_draft(*, loss_report: LossReport, by) -> LossReported:
    """The Mẫu 05 letter revoking a lost device's valid certificates (reason "device lost"),
    recorded on the Mẫu 09 it follows from, without waiting on any other letter; all or
    nothing (docs/domain.md §3.8).

    Decided on locked rows: the open rows on the device's certificates or on the device
    (locked first, in a fixed order, so a processing chunk holding one finishes before), then
    the device's certificates still valid (a renewal that chunk just made is among them). An
    open Mẫu 05 row already revoking a certificate for a case that says its key may be in
    other hands (`KEY_AT_RISK_REASONS`) is kept and the certificate not asked for again; every
    other open row is stopped, saying why (`request_rows_stop`), and the new letter asks for
    the rest. With nothing left to ask for, the Mẫu 09 records the letter already under way."""
    device_id = loss_report.device_id
    with transaction.atomic():
        open_rows = list(
            RequestRow.objects.open()
            .filter(Q(certificate__device_id=device_id) | Q(device_id=device_id))
            .select_for_update(of=("self",))
            .select_related("cert_request")
            .order_by("pk")
        )
        certificates = list(
            Certificate.objects.filter(device_id=device_id)
            .valid()
            .select_for_update(of=("self",))
            .order_by("pk")
        )
        valid_ids = {c.pk for c in certificates}
        kept = [
            row
            for row in open_rows
            if row.certificate_id in valid_ids
            and row.cert_request.form == FormKind.REVOKE
            and row.revoke_reason in KEY_AT_RISK_REASONS
        ]
        stopped = tuple(row for row in open_rows if row not in kept)
        letters.request_rows_stop(rows=list(stopped), note=stop_note(loss_report), by=by)
        if not certificates:
            return LossReported(report=loss_report, stopped=stopped)
        covered = {row.certificate_id for row in kept}
        asked = [c for c in certificates if c.pk not in covered]
        letter = _revocation_letter(loss_report, asked, by=by) if asked else kept[0].cert_request
        devices_services.loss_report_attach_revocation(
            loss_report=loss_report, cert_request_id=letter.pk, by=by
        )
    return LossReported(report=loss_report, letter=letter, stopped=stopped)


def _revocation_letter(loss_report: LossReport, certificates: list[Certificate], *, by):
    """A new Mẫu 05 draft with one row per certificate, reason "device lost"."""
    with transaction.atomic():
        letter = letters.cert_request_create(
            agency=loss_report.agency,
            form=FormKind.REVOKE,
            by=by,
            subject=_("V/v đề nghị thu hồi chứng thư chữ ký số do thiết bị lưu khóa bí mật bị mất"),
            **contact_prefill(loss_report.agency, by, FormKind.REVOKE),
        )
        for certificate in certificates:
            letters.row_save(
                cert_request=letter,
                by=by,
                data={"certificate": certificate, "revoke_reason": RevocationReason.DEVICE_LOST},
            )
    return letter
