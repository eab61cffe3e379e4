"""Drafting a letter: creating it, its contact block and its rows (docs/architecture.md §3).

Every change to a draft is decided under the letter's lock (`workflow.acting`), so a row can
never be added to a letter that was submitted a moment before."""

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from agencies.access import scope_for
from agencies.choices import Role
from agencies.models import Organization
from agencies.validators import nfc
from portal.audit import audit_record
from portal.errors import DomainError
from portal.field_crypto import with_blind_indexes
from requests_app.choices import FormKind
from requests_app.columns import FORM_COLUMNS
from requests_app.exceptions import RowInvalid, RowsInvalid
from requests_app.models import CertRequest, RequestRow
from requests_app.rules import letter_positions, person_rows_facts, row_errors, rows_errors
from requests_app.workflow import acting

CONTACT_FIELDS = [
    "subject",
    "contact_name",
    "contact_national_id",
    "contact_id_issue_date",
    "contact_id_issue_place",
    "contact_position",
    "contact_agency",
    "contact_mobile",
    "contact_email",
    "delivery_address",
    "recipients",
]


def contact_from_person(person) -> dict:
    """Section 1 of a letter filled from a person's record (the clerk's own, say)."""
    return {
        "contact_name": person.full_name,
        "contact_national_id": person.national_id,
        "contact_id_issue_date": person.id_issue_date,
        "contact_id_issue_place": person.id_issue_place,
        "contact_position": person.position,
        "contact_mobile": person.mobile,
        "contact_email": person.official_email,
    }


def issue_row_from_person(person) -> dict:
    """A Mẫu 01 row filled from a person's record (the picker's prefill, a merger's new
    issue)."""
    organization = person.organization
    return {
        "full_name": person.full_name,
        "date_of_birth": person.date_of_birth,
        "national_id": person.national_id,
        "id_issue_date": person.id_issue_date,
        "id_issue_place": person.id_issue_place,
        "email": person.official_email,
        "work_agency": organization.name,
        "province_name": organization.province.name if organization.province_id else "",
        "position_title": person.position,
        "mobile": person.mobile,
    }


def issue_row_from_organization(organization) -> dict:
    """A Mẫu 02 row filled from an organisation of the registry (a merger's new issue)."""
    return {
        "organization_name": organization.name,
        "address": organization.address,
        "tax_code": organization.tax_code,
        "budget_code": organization.budget_code,
        "province_name": organization.province.name if organization.province_id else "",
        "email": organization.official_email,
    }


def clean(value):
    return nfc(value) if isinstance(value, str) else value


def cert_request_create(
    *, agency: Organization, form: str, by, remote_signing: bool = False, **contact
) -> CertRequest:
    """A new draft letter of `form` for `agency` (Mẫu 01 with `remote_signing`: its variant
    for remote signing, docs/remote-signing.md)."""
    if not scope_for(by).holds(Role.AGENCY_CLERK, agency.path):
        raise DomainError(_("Bạn không phải cán bộ đầu mối của cơ quan này."), code="forbidden")
    if remote_signing and form != FormKind.ISSUE_PERSON:
        raise DomainError(_("Chỉ Mẫu 01 có biến thể ký số tập trung."), code="remote_signing")
    with transaction.atomic():
        cert_request = CertRequest(
            agency=agency, form=form, remote_signing=remote_signing, created_by=by
        )
        for name, value in contact.items():
            setattr(cert_request, name, clean(value))
        cert_request.full_clean(exclude=["created_by"])
        cert_request.save()
        after = {"form": form} | ({"remote_signing": True} if remote_signing else {})
        audit_record(actor=by, action="cert_request.create", obj=cert_request, after=after)
    return cert_request


def cert_request_update(*, cert_request: CertRequest, by, data: dict) -> CertRequest:
    unknown = set(data) - set(CONTACT_FIELDS)
    if unknown:
        raise ValueError(f"not letter fields: {sorted(unknown)}")
    with acting(cert_request, "edit", by=by) as locked:
        before = {name: str(getattr(locked, name)) for name in data}
        for name, value in data.items():
            setattr(locked, name, clean(value))
        locked.full_clean(exclude=["created_by"])
        locked.save(update_fields=with_blind_indexes(CertRequest, [*data, "updated_at"]))
        audit_record(
            actor=by,
            action="cert_request.update",
            obj=locked,
            before=before,
            after={name: str(getattr(locked, name)) for name in data},
        )
    return cert_request


# Set by the Excel import next to the columns (docs/domain.md §5.8).
IMPORT_FLAGS = {"national_id_unconfirmed"}


def _check_columns(cert_request: CertRequest, data: dict) -> None:
    unknown = set(data) - set(FORM_COLUMNS[cert_request.form]) - IMPORT_FLAGS
    if unknown:
        raise ValueError(f"columns not in Mẫu {cert_request.form}: {sorted(unknown)}")


def row_save(
    *, cert_request: CertRequest, by, data: dict, row: RequestRow | None = None
) -> RequestRow:
    """Add a row, or change one, after checking every rule; nothing is saved on error."""
    _check_columns(cert_request, data)
    if row is not None and row.cert_request_id != cert_request.pk:
        raise ValueError("row belongs to another letter")
    with acting(cert_request, "edit", by=by) as locked:
        if row is None:
            last = locked.rows.aggregate(m=Max("position"))["m"] or 0
            row = RequestRow(cert_request=locked, position=last + 1)
        before = {name: str(getattr(row, name)) for name in data} if row.pk else None
        for name, value in data.items():
            setattr(row, name, clean(value))
        if "national_id" in data:
            # The clerk has seen the ID number and saved it: confirmed.
            row.national_id_unconfirmed = False
        row.cert_request = locked
        errors = row_errors(row)
        if errors:
            raise RowInvalid(errors)
        try:
            with transaction.atomic():
                row.save()
        except IntegrityError as exc:
            raise RowInvalid(
                {"__all__": [_("Chứng thư hoặc thiết bị này đang có đề nghị khác chưa xử lý.")]}
            ) from exc
        audit_record(
            actor=by,
            action="request_row.save",
            obj=row,
            before=before,
            after={name: str(getattr(row, name)) for name in data},
        )
    return row


IMPORT_CHUNK = 1000


def rows_add_many(
    *, cert_request: CertRequest, by, rows_data: list[dict], return_rows: bool = True
) -> list[RequestRow] | int:
    """Add many rows at once (an Excel import, the API's lists): every rule checked on every
    row, then inserts and one audit event; all rows or none (RowsInvalid says which and why).

    The rows are built, checked and inserted IMPORT_CHUNK at a time, in the letter's
    transaction: Mẫu 01 rows with the facts the rules need read once per chunk
    (`rules.person_rows_facts`), so tens of thousands of rows cost a few queries per
    thousand, and memory holds one chunk of rows (`return_rows=False` returns their number
    instead of keeping them)."""
    for data in rows_data:
        _check_columns(cert_request, data)
    with acting(cert_request, "edit", by=by) as locked:
        last = locked.rows.aggregate(m=Max("position"))["m"] or 0
        batched = locked.form == FormKind.ISSUE_PERSON
        # The letter's rows as they were before this call (one read, before any insert).
        positions = (
            letter_positions(locked, (d.get("national_id") for d in rows_data)) if batched else None
        )
        kept, errors, seen_ids = [], {}, {}
        for start in range(0, len(rows_data), IMPORT_CHUNK):
            chunk = []
            for index, data in enumerate(rows_data[start : start + IMPORT_CHUNK], start=start):
                row = RequestRow(cert_request=locked, position=last + index + 1)
                for name, value in data.items():
                    setattr(row, name, clean(value))
                chunk.append(row)
            if batched:
                facts = person_rows_facts(
                    locked, (row.national_id for row in chunk), positions=positions
                )
                found = rows_errors(chunk, facts)
            else:
                found = [row_errors(row) for row in chunk]
            for index, (row, row_problems) in enumerate(zip(chunk, found, strict=True), start):
                if row.national_id and row.national_id in seen_ids:
                    row_problems.setdefault("national_id", []).append(
                        _("Trùng số định danh với dòng %(n)d.") % {"n": seen_ids[row.national_id]}
                    )
                if row.national_id:
                    seen_ids.setdefault(row.national_id, row.position)
                if row_problems:
                    errors[index] = row_problems
            if errors:
                continue  # nothing more is inserted: the rest is only checked, for the report
            try:
                with transaction.atomic():
                    RequestRow.objects.bulk_create(chunk, batch_size=500)
            except IntegrityError as exc:
                raise DomainError(
                    _("Một chứng thư hoặc thiết bị trong danh sách đang có đề nghị khác."),
                    code="open_request",
                ) from exc
            if return_rows:
                kept.extend(chunk)
        if errors:
            raise RowsInvalid(errors)
        audit_record(
            actor=by,
            action="request_row.import",
            obj=locked,
            after={"rows": len(rows_data), "positions": f"{last + 1}–{last + len(rows_data)}"},
        )
    return kept if return_rows else len(rows_data)


def row_delete(*, row: RequestRow, by) -> None:
    with acting(row.cert_request, "edit", by=by) as locked:
        row = RequestRow.objects.select_for_update().filter(pk=row.pk, cert_request=locked).first()
        if row is None:
            return  # deleted a moment ago (a double click): nothing left to do
        audit_record(actor=by, action="request_row.delete", obj=row, before={"pos": row.position})
        position = row.position
        row.delete()
        # Keep STT contiguous: 1..n.
        for later in locked.rows.filter(position__gt=position).order_by("position"):
            later.position -= 1
            later.save(update_fields=["position"])


def rows_replace(*, cert_request: CertRequest, by, rows_data: list[dict]) -> list[RequestRow]:
    """Replace every row of a draft with `rows_data` (the API's PUT of the list): the old rows
    go and the new ones are checked and inserted as `rows_add_many` does, in one transaction,
    so on any error the draft keeps its old rows."""
    with acting(cert_request, "edit", by=by) as locked:
        before = locked.rows.count()
        locked.rows.all().delete()
        audit_record(actor=by, action="request_row.replace", obj=locked, before={"rows": before})
        return rows_add_many(cert_request=locked, by=by, rows_data=rows_data)
