"""A letter's way from the clerk to whoever processes it: submit, sign and issue, review,
decide rows, forward, return, refuse, cancel (docs/architecture.md §3).

Each service names its action in the lifecycle table and runs inside `workflow.acting`, so
the actor's right and the letter's rules are decided on the row as locked."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Organization
from agencies.services import document_number_next
from agencies.validators import nfc
from portal.audit import audit_record
from portal.errors import DomainError
from portal.lib.messages import Message
from portal.workdays import add_working_days
from requests_app import notify
from requests_app.choices import FINAL_OUTCOMES, FormKind, Outcome
from requests_app.exceptions import RowInvalid
from requests_app.models import CertRequest, RequestRow, Transition
from requests_app.rules import confirmation_errors, row_errors
from requests_app.services.documents import enqueue_document_render
from requests_app.services.verification import check_signed
from requests_app.workflow import acting, move, require_reason


def check_all_rows(cert_request: CertRequest) -> None:
    """Every row of the letter passes every rule (checked again at each step)."""
    rows = list(
        cert_request.rows.select_related(
            "certificate__agency", "certificate__device", "device__agency"
        )
    )
    if not rows:
        raise DomainError(_("Văn bản chưa có dòng nào."), code="empty")
    problems = []
    for row in rows:
        row.cert_request = cert_request
        errors = row_errors(row) or confirmation_errors(row)
        if errors:
            first = next(iter(errors.values()))[0]  # a rule's message may carry a link
            problems.append(
                Message(
                    "row_invalid", _("Dòng {n}: {message}"), {"n": row.position, "message": first}
                )
            )
    if problems:
        raise DomainError(Message.joined("rows_invalid", " ", problems), code="rows_invalid")


def _check_contact(cert_request: CertRequest) -> None:
    missing = cert_request.contact_missing()
    if missing:
        labels = ", ".join(str(CertRequest._meta.get_field(n).verbose_name) for n in missing)
        raise DomainError(
            _("Mục 1 (người liên hệ) còn thiếu: %(fields)s.") % {"fields": labels},
            code="contact_missing",
        )


def _check_ready(cert_request: CertRequest) -> None:
    _check_contact(cert_request)
    check_all_rows(cert_request)


def cert_request_submit(*, cert_request: CertRequest, by) -> CertRequest:
    """The clerk sends the draft to the agency head; every rule is checked again."""
    with acting(cert_request, "submit", by=by, check=_check_ready) as locked:
        move(locked, "submit", by=by)
    notify.awaiting_head(locked)
    return cert_request


def cert_request_send_back(*, cert_request: CertRequest, by, note: str) -> CertRequest:
    with acting(cert_request, "send_back", by=by, note=note) as locked:
        move(locked, "send_back", by=by, note=note)
    notify.outcome_to_clerk(locked, note=note, action="send_back")
    return cert_request


def _next_number(agency: Organization, year: int) -> str:
    """The agency's next letter number this year ("12/STC-CKS"), from the one numbering
    service: never skipped or given twice, even when two heads issue at once."""
    return document_number_next(
        organization=agency,
        series="CKS",
        year=year,
        pattern="{n}/{org}-{series}",
        blank_org="CV",
        # Letters numbered before the counter existed: carry on after them.
        start=lambda: Transition.objects.filter(
            action="issue", cert_request__agency=agency, at__year=year
        ).count(),
    )


def processing_days(cert_request: CertRequest) -> int:
    """Working days allowed to whoever holds the letter now (docs/domain.md §4; settings)."""
    if cert_request.form == FormKind.RECOVER_DEVICE:
        return settings.PORTAL_RECOVERY_WORKING_DAYS
    return settings.PORTAL_PROCESSING_WORKING_DAYS


def letter_receive(locked: CertRequest) -> None:
    """The portal hands the issued letter (locked by the caller) to the Sở KH&CN, whose
    processing clock starts today (docs/domain.md §4)."""
    today = timezone.localdate()
    move(
        locked,
        "receive",
        by=None,
        received_on=today,
        due_on=add_working_days(today, processing_days(locked)),
    )


def cert_request_issue(*, cert_request: CertRequest, by, number: str = "") -> CertRequest:
    """The agency head numbers and dates the letter; the worker renders its PDF, which the
    head then signs with their own device and seals with the agency's (at the desk,
    services/desk.py, or outside and uploaded, services/upload.py). The letter stays `issued`
    until its signed version is stored (services/signing.py), which hands it to the Sở KH&CN."""
    today = timezone.localdate()
    with acting(cert_request, "issue", by=by, check=check_all_rows) as locked:
        number = nfc(number) or _next_number(locked.agency, today.year)
        move(locked, "issue", by=by, number=number, issued_on=today)
    # The PDF is rendered in the worker once the issuance is committed (docs/architecture.md
    # §8); a lost message is queued again by beat's sweep.
    transaction.on_commit(lambda: enqueue_document_render(locked.pk))
    return cert_request


def cert_request_return(*, cert_request: CertRequest, by, note: str) -> CertRequest:
    """Back to the clerk for correction, with comments; rows go back to pending."""
    with acting(cert_request, "return", by=by, note=note) as locked:
        move(locked, "return", by=by, note=note, due_on=None)
        # A row stopped by a lost device stays stopped: its certificate is on the Mẫu 05
        # that revokes it (docs/domain.md §3.8).
        locked.rows.exclude(outcome=Outcome.STOPPED).update(
            outcome=Outcome.PENDING, outcome_note="", is_open=True
        )
    notify.outcome_to_clerk(locked, note=note, action="return")
    return cert_request


def cert_request_refuse(*, cert_request: CertRequest, by, note: str) -> CertRequest:
    """Refuse the whole letter in writing, with reasons."""
    with acting(cert_request, "refuse", by=by, note=note) as locked:
        move(locked, "refuse", by=by, note=note)
        locked.rows.exclude(outcome__in=[Outcome.DONE, Outcome.STOPPED]).update(
            outcome=Outcome.REFUSED, outcome_note=nfc(note)[:500], is_open=False
        )
    notify.outcome_to_clerk(locked, note=note)
    return cert_request


def cert_request_cancel(*, cert_request: CertRequest, by, note: str = "") -> CertRequest:
    with acting(cert_request, "cancel", by=by, note=note) as locked:
        move(locked, "cancel", by=by, note=note)
        locked.rows.update(is_open=False)
    return cert_request


def _check_forwardable(cert_request: CertRequest) -> None:
    check_signed(cert_request)
    if not cert_request.rows.exclude(outcome__in=[Outcome.REFUSED, Outcome.STOPPED]).exists():
        raise DomainError(
            _("Mọi dòng đều bị từ chối: hãy từ chối văn bản thay vì chuyển CA."),
            code="nothing_to_forward",
        )


def cert_request_forward(*, cert_request: CertRequest, by) -> CertRequest:
    """The Sở KH&CN forwards a reviewed letter to the CA (Mẫu 01/02/03/05), which has
    PORTAL_PROCESSING_WORKING_DAYS working days from today (docs/domain.md §4)."""
    today = timezone.localdate()
    with acting(cert_request, "forward", by=by, check=_check_forwardable) as locked:
        move(
            locked,
            "forward",
            by=by,
            forwarded_at=timezone.now(),
            received_on=today,
            due_on=add_working_days(today, processing_days(locked)),
        )
        locked.rows.filter(outcome=Outcome.ACCEPTED).update(outcome=Outcome.PENDING)
    notify.to_ca(locked)
    return cert_request


def _decide(row: RequestRow, *, by, accept: bool, note: str) -> None:
    """Record one decision on a locked row of a locked letter."""
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


# What a decision may start from: a row is accepted only while pending; a refusal may also
# overturn an acceptance; a final outcome is never overwritten.
DECIDABLE = {True: {Outcome.PENDING}, False: {Outcome.PENDING, Outcome.ACCEPTED}}


def row_decide(
    *, row: RequestRow, by, accept: bool, note: str = "", expected: str = ""
) -> RequestRow:
    """Accept or refuse one row; a refusal needs its reason and frees the certificate.

    Decided on the row as locked: `expected` is the outcome the decider saw (the page sends
    it), so of two people deciding at once exactly one decision is recorded.
    """
    if not accept:
        require_reason(note)
    with acting(row.cert_request, "decide_rows", by=by) as locked:
        row = (
            RequestRow.objects.select_for_update(of=("self",))
            .select_related("certificate__agency", "certificate__device", "device__agency")
            .get(pk=row.pk, cert_request=locked)
        )
        row.cert_request = locked
        if expected and row.outcome != expected:
            raise DomainError(
                _("Dòng %(n)d vừa được người khác quyết định: hiện là “%(outcome)s”.")
                % {"n": row.position, "outcome": row.get_outcome_display()},
                code="row_decided",
            )
        if row.outcome in FINAL_OUTCOMES:
            raise DomainError(_("Dòng này đã có kết quả cuối cùng."), code="row_final")
        if row.outcome not in DECIDABLE[accept]:
            raise DomainError(
                _("Dòng %(n)d không thể chấp nhận lại: hiện là “%(outcome)s”.")
                % {"n": row.position, "outcome": row.get_outcome_display()},
                code="row_decided",
            )
        if accept:
            errors = row_errors(row)
            if errors:
                raise RowInvalid(errors)
        _decide(row, by=by, accept=accept, note=note)
    return row


def request_rows_stop(*, rows: list[RequestRow], note: str, by) -> int:
    """Stop open rows that can no longer go on, whatever their letter's status, because the
    device holding their certificate's key was reported lost (docs/domain.md §3.8): each row,
    locked by the caller in this transaction, becomes "stopped" with `note` (why, shown on
    its letter's page), is no longer open (its certificate is free for the Mẫu 05 that
    revokes it) and is audited. A row no longer open is left alone. Returns how many
    stopped. The letter itself does not move: its people decide what becomes of it."""
    stopped = 0
    note = nfc(note)[:500]
    for row in rows:
        if not row.is_open:
            continue
        before = row.outcome
        row.outcome, row.outcome_note, row.is_open = Outcome.STOPPED, note, False
        row.save(update_fields=["outcome", "outcome_note", "is_open"])
        audit_record(
            actor=by,
            action="request_row.stop",
            obj=row,
            before={"outcome": before, "cert_request": row.cert_request_id},
            after={"outcome": row.outcome},
            reason=note,
        )
        stopped += 1
    return stopped


def cert_request_accept_valid_rows(*, cert_request: CertRequest, by) -> tuple[int, int]:
    """Bulk action: accept every pending row that passes the rules. Returns (accepted, left)."""
    accepted = left = 0
    with acting(cert_request, "decide_rows", by=by) as locked:
        rows = (
            locked.rows.filter(outcome=Outcome.PENDING)
            .select_for_update(of=("self",))
            .select_related("certificate__agency", "certificate__device", "device__agency")
            .order_by("position")
        )
        for row in rows:
            row.cert_request = locked
            if row_errors(row):
                left += 1
                continue
            _decide(row, by=by, accept=True, note="")
            accepted += 1
    return accepted, left
