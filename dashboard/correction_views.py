"""The clerk's queue of their agency's correction requests (docs/privacy.md, "The data
subject's rights"): the list, a request's page, and its three moves (correct the record;
correct it and draft a Mẫu 04; reject with a reason), drawn from the lifecycle table
(`privacy.lifecycle.CORRECTION_MOVES`). Clerks and heads of an agency may open the pages
(403 for every other role, before any lookup); a request outside their agency is 404
(`visible_to`); whether a clerk may move it is decided on the locked request, and a refusal
is a message on its page.
"""

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from agencies.access import scope_for
from agencies.choices import Role
from portal.errors import DomainError
from privacy import corrections
from privacy.forms import CorrectionNoteForm, CorrectionRejectForm
from privacy.lifecycle import CORRECTION_MOVES
from privacy.masking import is_masked, masked
from privacy.models import CorrectionRequest
from requests_app.services import correction_request_draft_letter

STAFF = (Role.AGENCY_CLERK, Role.AGENCY_HEAD)


def _require_staff(user) -> None:
    if not scope_for(user).has_role(*STAFF):
        raise PermissionDenied


def _correction(request, pk: int) -> CorrectionRequest:
    _require_staff(request.user)
    return get_object_or_404(
        CorrectionRequest.objects.visible_to(request.user).select_related(
            "person__organization", "decided_by"
        ),
        pk=pk,
    )


@login_required
@require_GET
def correction_list(request):
    _require_staff(request.user)
    shown = request.GET.get("trang_thai", "cho")
    found = CorrectionRequest.objects.visible_to(request.user).select_related(
        "person__organization"
    )
    if shown != "tat-ca":
        found = found.open()
    return render(
        request,
        "dashboard/subject/corrections.html",
        {"corrections": found[:200], "shown": shown},
    )


def _detail(request, correction, *, reject_form=None, status=200):
    scope = scope_for(request.user)
    path = correction.person.organization.path
    offered = CORRECTION_MOVES.offered(
        correction, correction.status, lambda role: scope.holds(role, path)
    )
    names = {move.name for move in offered}
    letter = getattr(correction, "change_letter", None)
    return render(
        request,
        "dashboard/subject/correction_detail.html",
        {
            "correction": correction,
            "person": correction.person,
            "current": current_value(correction),
            "new_value": new_value_shown(correction),
            "letter": letter,
            "transitions": correction.transitions.select_related("by__person"),
            "may_correct": "correct" in names,
            "may_draft_letter": "draft_letter" in names,
            "may_reject": "reject" in names,
            "note_form": CorrectionNoteForm(),
            "reject_form": reject_form or CorrectionRejectForm(),
        },
        status=status,
    )


def _person_key(correction: CorrectionRequest) -> str:
    return f"agencies.Person.{correction.field}"


def current_value(correction: CorrectionRequest) -> str:
    """What the record says now (dates dd/mm/yyyy); an ID number, a date or a phone masked as
    on every page (docs/privacy.md §masking): the clerk checks the person's papers."""
    person = correction.person
    if correction.field == "unit":
        return person.organization.name
    value = getattr(person, correction.field)
    if not value:
        return "—"
    if is_masked(_person_key(correction)):
        return masked(_person_key(correction), value)
    if hasattr(value, "strftime"):
        return value.strftime("%d/%m/%Y")
    return value


def new_value_shown(correction: CorrectionRequest) -> str:
    """The value asked for, masked like the record's when the field is masked."""
    if is_masked(_person_key(correction)) and correction.new_value:
        value = correction.new_value
        if correction.field in ("date_of_birth", "id_issue_date"):
            value = date.fromisoformat(value)
        return masked(_person_key(correction), value)
    return correction.new_value_display


@login_required
@require_GET
def correction_detail(request, pk: int):
    return _detail(request, _correction(request, pk))


@login_required
@require_POST
def correction_correct(request, pk: int):
    correction = _correction(request, pk)
    form = CorrectionNoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        corrections.correction_request_correct(correction=correction, by=request.user, note=note)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Đã đính chính hồ sơ và báo cho người yêu cầu."))
    return redirect("corrections:detail", pk=correction.pk)


@login_required
@require_POST
def correction_draft_letter(request, pk: int):
    correction = _correction(request, pk)
    try:
        letter = correction_request_draft_letter(correction=correction, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("corrections:detail", pk=correction.pk)
    messages.success(
        request,
        _(
            "Đã đính chính hồ sơ và lập bản nháp văn bản Mẫu 04 thay đổi thông tin chứng thư. "
            "Hãy hoàn thiện phần người liên hệ rồi trình ký."
        ),
    )
    return redirect("requests_app:detail", pk=letter.pk)


@login_required
@require_POST
def correction_reject(request, pk: int):
    correction = _correction(request, pk)
    form = CorrectionRejectForm(request.POST)
    if not form.is_valid():
        return _detail(request, correction, reject_form=form, status=400)
    try:
        corrections.correction_request_reject(
            correction=correction, by=request.user, reason=form.cleaned_data["reason"]
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Đã từ chối yêu cầu và báo lý do cho người yêu cầu."))
    return redirect("corrections:detail", pk=correction.pk)
