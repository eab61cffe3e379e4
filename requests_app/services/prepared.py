"""Letters prepared by the portal for an agency (a merger's Mẫu 04, 05 and new issues,
docs/domain.md §6): drafted from plain rows, every rule of `requests_app.rules` checked on
every row (`rules.rows_errors`), and handed to the agency's head to sign (`awaiting_head`),
in the caller's transaction. A row that breaks a rule is left out and reported, never saved.
A constant number of queries per letter, whatever its number of rows."""

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.db.models.base import ModelState
from django.utils.translation import gettext as _

from portal.audit import audit_record
from portal.lib.bulk import insert_objects
from requests_app import notify
from requests_app.columns import FORM_COLUMNS
from requests_app.models import CertRequest, RequestRow
from requests_app.rules import row_facts, rows_errors
from requests_app.services.drafting import clean
from requests_app.workflow import acting, move


def _copy(blank: RequestRow) -> RequestRow:
    """A new unsaved row with `blank`'s values: `Model.__init__` sets each of the forty
    fields through its default and descriptor, which dominates 100,000 rows."""
    row = RequestRow.__new__(RequestRow)
    row.__dict__.update(blank.__dict__)
    row._state = ModelState()
    row._state.fields_cache = dict(blank._state.fields_cache)
    return row


def _check_columns(form: str, rows_data: list[dict]) -> None:
    for data in rows_data:
        unknown = set(data) - set(FORM_COLUMNS[form])
        if unknown:
            raise ValueError(f"columns not in Mẫu {form}: {sorted(unknown)}")


def cert_request_prepare(
    *, agency, form: str, rows_data: list[dict], by, subject: str = "", contact: dict | None = None
) -> tuple[CertRequest | None, dict[int, dict[str, list[str]]]]:
    """The letter of `agency` with the valid rows of `rows_data`, awaiting the head; and the
    problems of the rows left out, by index. No letter when no row is valid."""
    _check_columns(form, rows_data)
    with transaction.atomic():
        letter = CertRequest(agency=agency, form=form, created_by=by, subject=clean(subject))
        for name, value in (contact or {}).items():
            setattr(letter, name, clean(value))
        facts = row_facts(
            agency,
            certificate_ids=[d["certificate"].pk for d in rows_data if d.get("certificate")],
            device_ids=[d["device"].pk for d in rows_data if d.get("device")],
        )
        drafted = []
        blank = RequestRow(cert_request=letter)
        for data in rows_data:
            row = _copy(blank)
            for name, value in data.items():
                setattr(row, name, clean(value))
            drafted.append(row)
        # Every rule on every row, with the checks on the rows' own values run once per
        # distinct set of values (docs/processing.md §4.8).
        rows, problems, seen_ids = [], {}, {}
        for index, (row, found) in enumerate(
            zip(drafted, rows_errors(drafted, facts), strict=True)
        ):
            errors = {field: list(messages) for field, messages in found.items()}
            if row.national_id and row.national_id in seen_ids:
                errors.setdefault("national_id", []).append(
                    _("Trùng số định danh với dòng %(n)d.") % {"n": seen_ids[row.national_id]}
                )
            if errors:
                problems[index] = errors
            else:
                rows.append(row)
                if row.national_id:
                    seen_ids[row.national_id] = len(rows)
                if row.national_id:
                    seen_ids[row.national_id] = row.position
        if not rows:
            return None, problems
        letter.save()
        for position, row in enumerate(rows, start=1):
            row.cert_request = letter
            row.position = position
        # One COPY whatever the number of rows.
        insert_objects(RequestRow, rows)
        audit_record(
            actor=by,
            action="cert_request.prepare",
            obj=letter,
            after={"form": form, "rows": len(rows), "left_out": len(problems)},
        )
        move(letter, "submit", by=by, note=_("Văn bản do cổng lập theo phương án sáp nhập."))
        transaction.on_commit(lambda: notify.awaiting_head(letter))
    return letter, problems


def rows_append_prepared(
    *, cert_request: CertRequest, by, rows_data: list[dict]
) -> dict[int, dict[str, list[str]]]:
    """Append to a draft the rows of `rows_data` (Mẫu 04, 05 or 06: a certificate or a
    device each) that pass every rule, as `cert_request_prepare` checks them; the problems
    of the rows left out, by index, nothing saved for them. Decided under the letter's lock
    (`workflow.acting`: `by` must be its clerk and it a draft). A constant number of queries
    whatever the number of rows; a row whose certificate or device another letter took a
    moment ago (the one-open-request constraint) is left out with the constraint's message.
    Used by a bulk job drafting letters for a register's selection (docs/bulk.md)."""
    _check_columns(cert_request.form, rows_data)
    with acting(cert_request, "edit", by=by) as locked:
        last = locked.rows.aggregate(m=Max("position"))["m"] or 0
        facts = row_facts(
            locked.agency,
            certificate_ids=[d["certificate"].pk for d in rows_data if d.get("certificate")],
            device_ids=[d["device"].pk for d in rows_data if d.get("device")],
        )
        blank = RequestRow(cert_request=locked)
        drafted = []
        for data in rows_data:
            row = _copy(blank)
            for name, value in data.items():
                setattr(row, name, clean(value))
            drafted.append(row)
        problems, kept, seen = {}, [], set()
        for index, (row, found) in enumerate(
            zip(drafted, rows_errors(drafted, facts), strict=True)
        ):
            errors = {field: list(messages) for field, messages in found.items()}
            target = (row.certificate_id, row.device_id)
            if target in seen:
                errors.setdefault("__all__", []).append(_("Trùng với một dòng khác."))
            if errors:
                problems[index] = errors
                continue
            seen.add(target)
            row.position = last + len(kept) + 1
            kept.append((index, row))
        if kept:
            _insert_rows(kept, problems, last)
        audit_record(
            actor=by,
            action="request_row.import",
            obj=locked,
            after={"rows": len(rows_data) - len(problems), "left_out": len(problems)},
        )
    return problems


def _insert_rows(kept: list[tuple[int, RequestRow]], problems: dict, last: int) -> None:
    """One COPY; if another letter took one of the certificates or devices since the facts
    were read, row by row, each in its own savepoint, the taken ones left out."""
    try:
        with transaction.atomic():
            insert_objects(RequestRow, [row for _index, row in kept])
        return
    except IntegrityError:
        pass
    position = last
    for index, row in kept:
        position += 1
        row.position = position
        try:
            with transaction.atomic():
                insert_objects(RequestRow, [row])
        except IntegrityError:
            position -= 1
            problems[index] = {
                "__all__": [_("Chứng thư hoặc thiết bị này đang có đề nghị khác chưa xử lý.")]
            }
