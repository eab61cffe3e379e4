"""Every write on letters and their rows (DESIGN §2.2). Views, API, commands and tasks call
these; each checks the actor's right (`permissions.require`), changes state through the
workflow table, and records an audit event."""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Organization
from agencies.validators import nfc
from portal.audit import audit_record
from portal.errors import DomainError
from portal.workdays import add_working_days
from requests_app import notify
from requests_app.choices import (
    FINAL_OUTCOMES,
    FormKind,
    Outcome,
    Status,
)
from requests_app.columns import FORM_COLUMNS
from requests_app.exceptions import RowInvalid, RowsInvalid
from requests_app.models import CertRequest, RequestRow
from requests_app.permissions import require
from requests_app.rules import row_errors
from requests_app.workflow import _transition

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
]


def _clean(value):
    return nfc(value) if isinstance(value, str) else value


def cert_request_create(*, agency: Organization, form: str, by, **contact) -> CertRequest:
    from agencies.access import scope_for
    from agencies.choices import Role

    if not scope_for(by).holds(Role.AGENCY_CLERK, agency.path):
        raise DomainError(_("Bạn không phải cán bộ đầu mối của cơ quan này."), code="forbidden")
    with transaction.atomic():
        cert_request = CertRequest(agency=agency, form=form, created_by=by)
        for name, value in contact.items():
            setattr(cert_request, name, _clean(value))
        cert_request.full_clean(exclude=["created_by"])
        cert_request.save()
        audit_record(actor=by, action="cert_request.create", obj=cert_request, after={"form": form})
    return cert_request


def cert_request_update(*, cert_request: CertRequest, by, data: dict) -> CertRequest:
    require(by, "edit", cert_request)
    with transaction.atomic():
        before = {name: str(getattr(cert_request, name)) for name in data}
        for name, value in data.items():
            if name not in CONTACT_FIELDS:
                raise ValueError(f"not a letter field: {name}")
            setattr(cert_request, name, _clean(value))
        cert_request.full_clean(exclude=["created_by"])
        cert_request.save(update_fields=[*data, "updated_at"])
        audit_record(
            actor=by,
            action="cert_request.update",
            obj=cert_request,
            before=before,
            after={name: str(getattr(cert_request, name)) for name in data},
        )
    return cert_request


def row_save(
    *, cert_request: CertRequest, by, data: dict, row: RequestRow | None = None
) -> RequestRow:
    """Add a row, or change one, after checking every rule; nothing is saved on error."""
    require(by, "edit", cert_request)
    columns = set(FORM_COLUMNS[cert_request.form])
    unknown = set(data) - columns
    if unknown:
        raise ValueError(f"columns not in Mẫu {cert_request.form}: {sorted(unknown)}")
    with transaction.atomic():
        if row is None:
            last = cert_request.rows.aggregate(m=Max("position"))["m"] or 0
            row = RequestRow(cert_request=cert_request, position=last + 1)
        elif row.cert_request_id != cert_request.pk:
            raise ValueError("row belongs to another letter")
        before = {name: str(getattr(row, name)) for name in data} if row.pk else None
        for name, value in data.items():
            setattr(row, name, _clean(value))
        row.cert_request = cert_request
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


def rows_add_many(*, cert_request: CertRequest, by, rows_data: list[dict]) -> list[RequestRow]:
    """Add many rows at once (an Excel import): every rule checked on every row, then one
    insert and one audit event; all rows or none (RowsInvalid says which and why)."""
    require(by, "edit", cert_request)
    columns = set(FORM_COLUMNS[cert_request.form])
    for data in rows_data:
        unknown = set(data) - columns
        if unknown:
            raise ValueError(f"columns not in Mẫu {cert_request.form}: {sorted(unknown)}")
    with transaction.atomic():
        CertRequest.objects.select_for_update().filter(pk=cert_request.pk).first()
        last = cert_request.rows.aggregate(m=Max("position"))["m"] or 0
        rows, errors, seen_ids = [], {}, {}
        for index, data in enumerate(rows_data):
            row = RequestRow(cert_request=cert_request, position=last + index + 1)
            for name, value in data.items():
                setattr(row, name, _clean(value))
            row_problems = row_errors(row)
            if row.national_id and row.national_id in seen_ids:
                row_problems.setdefault("national_id", []).append(
                    _("Trùng số định danh với dòng %(n)d.") % {"n": seen_ids[row.national_id]}
                )
            if row.national_id:
                seen_ids.setdefault(row.national_id, row.position)
            if row_problems:
                errors[index] = row_problems
            rows.append(row)
        if errors:
            raise RowsInvalid(errors)
        try:
            with transaction.atomic():
                RequestRow.objects.bulk_create(rows)
        except IntegrityError as exc:
            raise DomainError(
                _("Một chứng thư hoặc thiết bị trong danh sách đang có đề nghị khác."),
                code="open_request",
            ) from exc
        audit_record(
            actor=by,
            action="request_row.import",
            obj=cert_request,
            after={"rows": len(rows), "positions": f"{last + 1}–{last + len(rows)}"},
        )
    return rows


def row_delete(*, row: RequestRow, by) -> None:
    cert_request = row.cert_request
    require(by, "edit", cert_request)
    with transaction.atomic():
        audit_record(actor=by, action="request_row.delete", obj=row, before={"pos": row.position})
        position = row.position
        row.delete()
        # Keep STT contiguous: 1..n.
        for later in cert_request.rows.filter(position__gt=position).order_by("position"):
            later.position -= 1
            later.save(update_fields=["position"])


def _check_all_rows(cert_request: CertRequest) -> None:
    rows = list(cert_request.rows.select_related("certificate__agency", "device__agency"))
    if not rows:
        raise DomainError(_("Văn bản chưa có dòng nào."), code="empty")
    problems = []
    for row in rows:
        row.cert_request = cert_request
        errors = row_errors(row)
        if errors:
            first = next(iter(errors.values()))[0]
            problems.append(_("Dòng %(n)d: %(msg)s") % {"n": row.position, "msg": first})
    if problems:
        raise DomainError(" ".join(problems), code="rows_invalid")


def _check_contact(cert_request: CertRequest) -> None:
    required = ["contact_name", "contact_mobile"]
    if cert_request.form != FormKind.RECOVER_DEVICE:
        required += ["contact_email"]
    missing = [name for name in required if not getattr(cert_request, name)]
    if missing:
        labels = ", ".join(str(CertRequest._meta.get_field(n).verbose_name) for n in missing)
        raise DomainError(
            _("Mục 1 (người liên hệ) còn thiếu: %(fields)s.") % {"fields": labels},
            code="contact_missing",
        )


def cert_request_submit(*, cert_request: CertRequest, by) -> CertRequest:
    """The clerk sends the draft to the agency head; every rule is checked again."""
    require(by, "submit", cert_request)
    _check_contact(cert_request)
    _check_all_rows(cert_request)
    cert_request = _transition(cert_request, action="submit", by=by)
    notify.awaiting_head(cert_request)
    return cert_request


def cert_request_send_back(*, cert_request: CertRequest, by, note: str) -> CertRequest:
    require(by, "send_back", cert_request)
    _require_note(note)
    cert_request = _transition(cert_request, action="send_back", by=by, note=note)
    notify.outcome_to_clerk(cert_request, note=note, action="send_back")
    return cert_request


def _next_number(agency: Organization, year: int) -> str:
    """The agency's next letter number this year: one per issuance, so a letter issued
    again after a return gets a new number and none is skipped or reused."""
    from requests_app.models import Transition

    Organization.objects.select_for_update().filter(pk=agency.pk).first()
    issued = Transition.objects.filter(
        action="issue", cert_request__agency=agency, at__year=year
    ).count()
    return f"{issued + 1}/{agency.short_name or 'CV'}-CKS"


def cert_request_issue(*, cert_request: CertRequest, by, number: str = "") -> CertRequest:
    """The agency head signs and numbers the letter, which then reaches the Sở KH&CN."""
    require(by, "issue", cert_request)
    _check_all_rows(cert_request)
    today = timezone.localdate()
    with transaction.atomic():
        number = nfc(number) or _next_number(cert_request.agency, today.year)
        cert_request = _transition(
            cert_request, action="issue", by=by, number=number, issued_on=today
        )
        cert_request = _transition(
            cert_request,
            action="receive",
            by=None,
            received_on=today,
            due_on=add_working_days(today, _processing_days(cert_request)),
        )
    notify.to_province(cert_request)
    return cert_request


def _processing_days(cert_request: CertRequest) -> int:
    """Working days allowed to whoever holds the letter now (DOMAIN §4; settings)."""
    if cert_request.form == FormKind.RECOVER_DEVICE:
        return settings.PORTAL_RECOVERY_WORKING_DAYS
    return settings.PORTAL_PROCESSING_WORKING_DAYS


def _require_note(note: str) -> None:
    if not (note or "").strip():
        raise DomainError(_("Hãy ghi rõ lý do."), code="note_required")


def cert_request_return(*, cert_request: CertRequest, by, note: str) -> CertRequest:
    """Back to the clerk for correction, with comments; rows go back to pending."""
    require(by, "return", cert_request)
    _require_note(note)
    with transaction.atomic():
        cert_request = _transition(cert_request, action="return", by=by, note=note, due_on=None)
        cert_request.rows.update(outcome=Outcome.PENDING, outcome_note="", is_open=True)
    notify.outcome_to_clerk(cert_request, note=note, action="return")
    return cert_request


def cert_request_refuse(*, cert_request: CertRequest, by, note: str) -> CertRequest:
    """Refuse the whole letter in writing, with reasons."""
    require(by, "refuse", cert_request)
    _require_note(note)
    with transaction.atomic():
        cert_request = _transition(cert_request, action="refuse", by=by, note=note)
        cert_request.rows.exclude(outcome=Outcome.DONE).update(
            outcome=Outcome.REFUSED, outcome_note=note, is_open=False
        )
    notify.outcome_to_clerk(cert_request, note=note)
    return cert_request


def cert_request_cancel(*, cert_request: CertRequest, by, note: str = "") -> CertRequest:
    require(by, "cancel", cert_request)
    with transaction.atomic():
        cert_request = _transition(cert_request, action="cancel", by=by, note=note)
        cert_request.rows.update(is_open=False)
    return cert_request


def cert_request_forward(*, cert_request: CertRequest, by) -> CertRequest:
    """The Sở KH&CN forwards a reviewed letter to the CA (Mẫu 01/02/03/05)."""
    require(by, "forward", cert_request)
    if not cert_request.rows.exclude(outcome=Outcome.REFUSED).exists():
        raise DomainError(
            _("Mọi dòng đều bị từ chối: hãy từ chối văn bản thay vì chuyển CA."),
            code="nothing_to_forward",
        )
    today = timezone.localdate()
    cert_request = _transition(
        cert_request,
        action="forward",
        by=by,
        forwarded_at=timezone.now(),
        received_on=today,
        due_on=add_working_days(today, _processing_days(cert_request)),
    )
    cert_request.rows.filter(outcome=Outcome.ACCEPTED).update(outcome=Outcome.PENDING)
    notify.to_ca(cert_request)
    return cert_request


def row_decide(*, row: RequestRow, by, accept: bool, note: str = "") -> RequestRow:
    """Accept or refuse one row; a refusal needs its reason and frees the certificate."""
    cert_request = row.cert_request
    require(by, "decide_rows", cert_request)
    if row.outcome in FINAL_OUTCOMES:
        raise DomainError(_("Dòng này đã có kết quả cuối cùng."), code="row_final")
    if accept:
        errors = row_errors(row)
        if errors:
            raise RowInvalid(errors)
    else:
        _require_note(note)
    with transaction.atomic():
        before = row.outcome
        row.outcome = Outcome.ACCEPTED if accept else Outcome.REFUSED
        row.outcome_note = nfc(note)
        row.decided_by = by
        row.decided_at = timezone.now()
        row.is_open = accept
        row.save(update_fields=["outcome", "outcome_note", "decided_by", "decided_at", "is_open"])
        audit_record(
            actor=by,
            action="request_row.accept" if accept else "request_row.refuse",
            obj=row,
            before={"outcome": before},
            after={"outcome": row.outcome},
            reason=note,
        )
    return row


def cert_request_accept_valid_rows(*, cert_request: CertRequest, by) -> tuple[int, int]:
    """Bulk action: accept every pending row that passes the rules. Returns (accepted, left)."""
    require(by, "decide_rows", cert_request)
    accepted = left = 0
    for row in cert_request.rows.filter(outcome=Outcome.PENDING).select_related(
        "certificate__agency", "device__agency"
    ):
        row.cert_request = cert_request
        if row_errors(row):
            left += 1
            continue
        row_decide(row=row, by=by, accept=True)
        accepted += 1
    return accepted, left


def cert_request_process(*, cert_request: CertRequest, by) -> CertRequest:
    """Start processing the accepted rows in a worker; the page shows progress."""
    require(by, "process", cert_request)
    rows = cert_request.rows
    pending = rows.filter(outcome=Outcome.PENDING).count()
    if pending:
        raise DomainError(
            _("Còn %(n)d dòng chưa được chấp nhận hoặc từ chối.") % {"n": pending},
            code="rows_pending",
        )
    to_process = rows.filter(outcome=Outcome.ACCEPTED).count()
    if not to_process:
        raise DomainError(
            _("Không có dòng nào được chấp nhận: hãy từ chối văn bản."), code="nothing_accepted"
        )
    from requests_app.tasks import cert_request_run_processing_task

    with transaction.atomic():
        cert_request = _transition(
            cert_request, action="process", by=by, rows_to_process=to_process, rows_processed=0
        )
        pk = cert_request.pk
        transaction.on_commit(lambda: cert_request_run_processing_task.delay(pk))
    return cert_request


def cert_request_run_processing(*, cert_request_id: int) -> CertRequest:
    """Worker body: process each accepted row in its own transaction, then finish the letter.

    Idempotent: rows already done are skipped, so a redelivered task changes nothing.
    """
    from requests_app.processing import process_row, processor_of

    cert_request = CertRequest.objects.get(pk=cert_request_id)
    if cert_request.status != Status.IN_PROCESS:
        return cert_request
    by = processor_of(cert_request)
    pks = list(
        cert_request.rows.filter(outcome=Outcome.ACCEPTED)
        .order_by("position")
        .values_list("pk", flat=True)
    )
    for pk in pks:
        row = RequestRow.objects.select_related(
            "certificate__agency", "device__agency", "person"
        ).get(pk=pk)
        row.cert_request = cert_request
        try:
            with transaction.atomic():
                process_row(row, by=by)
                row.outcome = Outcome.DONE
                row.is_open = False
                row.save(
                    update_fields=["outcome", "is_open", "result_certificate", "result_device"]
                )
        except DomainError as exc:
            row.outcome = Outcome.FAILED
            row.outcome_note = str(exc)[:500]
            row.is_open = False
            row.save(update_fields=["outcome", "outcome_note", "is_open"])
        CertRequest.objects.filter(pk=cert_request.pk).update(
            rows_processed=F("rows_processed") + 1
        )
    with transaction.atomic():
        cert_request = _transition(cert_request, action="complete", by=None, done_at=timezone.now())
        cert_request.rows.update(is_open=False)
    notify.outcome_to_clerk(cert_request)
    return cert_request
