"""Flows that start from a device and end in a letter.

- A lost device: the Mẫu 09 minutes (a devices service), then the Mẫu 05 letter revoking the
  device's valid certificates with the reason "device lost", drafted for the clerk to submit at
  once (docs/domain.md §4.3: the certificate must be revoked as soon as the loss is known).
- A locked device: the Mẫu 06 letter asking the CA to recover it.

A flow that spans apps is a service of the highest app involved (docs/architecture.md §1): devices
sits below certificates and requests_app and never imports them, so these flows live here and call
down into devices' services.
"""

from dataclasses import dataclass
from datetime import date, time

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from agencies.models import Organization, Person
from certificates.choices import RevocationReason
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
    device carries valid certificates and the draft can be made (else `draft_error` says why)."""

    report: LossReport
    letter: CertRequest | None = None
    draft_error: str = ""


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
    certificates = revocable_certificates(device)
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
    if not certificates:
        return LossReported(report=report)
    try:
        letter = loss_revocation_draft(loss_report=report, certificates=certificates, by=by)
    except DRAFT_ERRORS as exc:
        return LossReported(report=report, draft_error=draft_error_text(exc))
    return LossReported(report=report, letter=letter)


def loss_revocation_draft(
    *, loss_report: LossReport, certificates: list[Certificate], by
) -> CertRequest:
    """The Mẫu 05 letter revoking a lost device's certificates (reason "device lost"),
    recorded on the Mẫu 09 it follows from; all or nothing."""
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
        devices_services.loss_report_attach_revocation(
            loss_report=loss_report, cert_request_id=letter.pk, by=by
        )
    return letter
