"""What processing an accepted row does, per form. Called by the worker on a locked row,
each row in its own savepoint, through the services of the apps below: agencies (people),
devices (key-storage devices), certificates (the CA).

Every certificate a row produces carries the row's `origin` key, unique in the registry:
a second attempt at the same row fails inside its savepoint instead of issuing twice
(docs/processing.md §4)."""

import secrets

from django.utils.translation import gettext as _

from agencies.querysets import find_unit
from agencies.services import organization_find_or_create, person_move, person_upsert
from certificates import services as ca
from certificates.choices import SubjectKind
from devices.choices import DeviceKind
from devices.services import (
    device_deliver_for_certificate,
    device_recover,
    device_transfer_agency,
)
from portal.errors import DomainError
from remote_signing.services import credential_reopen
from requests_app.choices import ChangeField, FormKind, KeyStorage

KEY_STORAGE_DEVICE = {
    KeyStorage.TOKEN: DeviceKind.USB_TOKEN,
    KeyStorage.HSM: DeviceKind.HSM,
    KeyStorage.SOFTWARE: DeviceKind.SOFT,
}


def processor_of(cert_request):
    """The user who started processing the letter: the CA operator or the provincial officer."""
    transition = cert_request.transitions.filter(action="process").order_by("-pk").first()
    return transition.by if transition else None


def origin(row, step: str) -> str:
    return f"request_row:{row.pk}:{step}"


def simulated_iccid() -> str:
    return "8984" + "".join(secrets.choice("0123456789") for _ in range(15))


# What each issuance row asks for, shared with the batch path (`row_batches`).
def person_data(row) -> dict:
    """The person a Mẫu 01 row upserts."""
    return {
        "full_name": row.full_name,
        "date_of_birth": row.date_of_birth,
        "national_id": row.national_id,
        "id_issue_date": row.id_issue_date,
        "id_issue_place": row.id_issue_place,
        "position": row.position_title,
        "mobile": row.mobile,
        "official_email": row.email,
    }


def person_device_kind(row) -> str:
    """Where a Mẫu 01 row's key is born: the CA's HSM for a remote-signing letter
    (docs/remote-signing.md), the SIM the row asks for, else a USB token."""
    if row.cert_request.remote_signing:
        return DeviceKind.RSSP
    return DeviceKind.SIM_PKI if row.sim_carrier else DeviceKind.USB_TOKEN


def sim_of(row) -> dict | None:
    """The SIM PKI a Mẫu 01 row asks to be made for its subscriber, if any."""
    if not row.sim_carrier or row.cert_request.remote_signing:
        return None
    return {"iccid": simulated_iccid(), "phone": row.mobile, "carrier": row.sim_carrier}


def organization_data(row) -> dict:
    """The organisation a Mẫu 02 row names."""
    return {
        "organization_name": row.organization_name,
        "address": row.address,
        "tax_code": row.tax_code,
        "budget_code": row.budget_code,
        "email": row.email,
    }


def service_name(row) -> str:
    """The CN of a Mẫu 03 row: the device, service or software and its version."""
    return (
        row.service_name if not row.service_version else f"{row.service_name} {row.service_version}"
    )


def _issue_person(row, by) -> None:
    agency = row.cert_request.agency
    person = person_upsert(
        organization=row.person.organization if row.person_id else agency,
        data=person_data(row),
        by=by,
    )
    sim = sim_of(row)
    row.person = person
    _deliver_and_issue(
        row, by, kind=person_device_kind(row), holder=person, sim=sim,
        subject_kind=SubjectKind.PERSON, person=person,
    )  # fmt: skip


def _issue_organization(row, by) -> None:
    org = row.subject_organization or organization_find_or_create(
        agency=row.cert_request.agency, data=organization_data(row), by=by
    )
    row.subject_organization = org
    _deliver_and_issue(
        row, by, kind=DeviceKind.USB_TOKEN, subject_kind=SubjectKind.ORGANIZATION,
        subject_organization=org,
    )  # fmt: skip


def _issue_device_service(row, by) -> None:
    _deliver_and_issue(
        row, by, kind=KEY_STORAGE_DEVICE.get(row.key_storage, DeviceKind.USB_TOKEN),
        subject_kind=SubjectKind.DEVICE_SERVICE, common_name=service_name(row),
    )  # fmt: skip


def _deliver_and_issue(row, by, *, kind: str, holder=None, sim=None, **subject) -> None:
    """Every issuance row: a device of `kind` delivered to the agency (for `holder`), then
    the certificate issued on it under the row's origin key."""
    agency = row.cert_request.agency
    device = device_deliver_for_certificate(
        kind=kind, agency=agency, holder=holder, by=by, sim=sim,
        document_ref=row.cert_request.number,
    )  # fmt: skip
    row.result_device = device
    row.result_certificate = ca.certificate_issue(
        agency=agency, email=row.email, device=device, by=by, origin=origin(row, "issue"),
        **subject,
    )  # fmt: skip


def _renew_change(row, by) -> None:
    certificate = row.certificate
    if row.renew:
        certificate = ca.certificate_renew(
            certificate=certificate, by=by, origin=origin(row, "renew")
        )
    if row.change_info:
        changes = {}
        if row.change_field == ChangeField.COMMON_NAME:
            changes["common_name"] = row.new_value
        elif row.change_field == ChangeField.EMAIL:
            changes["email"] = row.new_value
        elif row.change_field == ChangeField.UNIT:
            unit = find_unit(row.cert_request.agency, row.new_value)
            if unit is None:
                raise DomainError(_("Không tìm thấy đơn vị “%(n)s”.") % {"n": row.new_value})
            changes["unit"] = unit
        elif row.change_field == ChangeField.AGENCY:
            changes.update(_move_holder(row, certificate, by))
        certificate = ca.certificate_change_info(
            certificate=certificate, by=by, origin=origin(row, "change"), **changes
        )
    row.result_certificate = certificate


def _move_holder(row, certificate, by) -> dict:
    """A person moving to the filing agency (docs/domain.md §5.3.1): the person (their unit
    and position) and the device move first, then the change of information rebuilds the
    subject under the new agency, which manages the new certificate. Each service decides on
    its own locked row; all of it is the row's savepoint: a refusal leaves nothing moved."""
    agency = row.cert_request.agency
    unit = find_unit(agency, row.new_value)
    if unit is None:
        raise DomainError(_("Không tìm thấy đơn vị “%(n)s”.") % {"n": row.new_value})
    if certificate.person_id is None:
        raise DomainError(_("Chỉ chuyển cơ quan công tác cho chứng thư của cá nhân."))
    person_move(
        person=certificate.person,
        national_id=row.national_id,
        organization=unit,
        position=row.position_title,
        by=by,
    )
    if certificate.device_id is not None:
        device_transfer_agency(
            device=certificate.device, agency=agency, by=by, document_ref=row.cert_request.number
        )
    return {"unit": unit, "agency": agency}


def revocation_note(cert_request) -> str:
    """What a Mẫu 05 row's revocation records as its cause (history, audit)."""
    return _("Theo văn bản số %(n)s") % {"n": cert_request.number}


def _revoke(row, by) -> None:
    """One Mẫu 05 row alone (`row_revocations` carries out a chunk's rows together; this is
    its fallback): refused as the CA refuses it; the CRL is queued when the letter finishes."""
    outcome = ca.certificate_revoke_many(
        certificate_ids=[row.certificate_id],
        by=by,
        reason=row.revoke_reason,
        note=revocation_note(row.cert_request),
        publish_crl=False,
    )
    if row.certificate_id in outcome.refused:
        raise outcome.refused[row.certificate_id]
    certificate = outcome.certificates[row.certificate_id]
    row.result_certificate = certificate
    row.result_device_id = certificate.device_id


def _recover(row, by) -> None:
    """A locked device unlocked: a token's new PIN (`device_recover`); a remote credential
    reopened first for a new activation (docs/remote-signing.md, "Mẫu 06")."""
    if row.device.kind == DeviceKind.RSSP:
        credential_reopen(device=row.device, by=by, document_ref=row.cert_request.number)
    row.result_device = device_recover(
        device=row.device, by=by, document_ref=row.cert_request.number
    )


HANDLERS = {
    FormKind.ISSUE_PERSON: _issue_person,
    FormKind.ISSUE_ORGANIZATION: _issue_organization,
    FormKind.ISSUE_DEVICE: _issue_device_service,
    FormKind.RENEW_CHANGE: _renew_change,
    FormKind.REVOKE: _revoke,
    FormKind.RECOVER_DEVICE: _recover,
}


def process_row(row, *, by) -> None:
    """Carry out one accepted row on behalf of `by` (see `processor_of`); raise DomainError
    (or CertificateError) to mark it failed.

    Sets `row.result_certificate` / `row.result_device`; the caller saves the row.
    """
    HANDLERS[row.cert_request.form](row, by)
