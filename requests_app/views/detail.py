"""A letter's read page for every role, its actions, per-row decisions and the processing
progress bar.

Views stay thin: the lifecycle table says which buttons to draw and which service carries
each action out; the service decides on the letter as locked (docs/architecture.md §3). Out
of scope is 404 (`visible_to`), in scope but not allowed 403, and a refused operation
(DomainError) a message on the page.
"""

from functools import partial

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import OuterRef, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from agencies.accounts.reauth import ReauthForm
from agencies.choices import Role
from agencies.models import Membership
from agencies.names import display_name
from portal.errors import DomainError
from requests_app import extensions, services
from requests_app.cells import columns, page_cell, row_cells
from requests_app.choices import FINAL_OUTCOMES, FormKind, Outcome, Status
from requests_app.deadlines import letter_clock
from requests_app.exceptions import RowInvalid
from requests_app.lifecycle import ACTIONS, BUTTONS
from requests_app.models import CertRequest, RequestRow
from requests_app.permissions import allowed_actions, require
from requests_app.row_pages import row_address, row_page
from requests_app.views.documents import signatures_context
from requests_app.views.row_html import RowPrinter
from requests_app.views.upload import signing_context


class ActionForm(ReauthForm):
    """What an action may carry: a reason (required where the table says so, checked by the
    service), for the agency head the letter's number, and the password (and one-time code)
    that confirm an action the table marks `reauth`."""

    note = forms.CharField(required=False, max_length=2000, strip=True)
    number = forms.CharField(required=False, max_length=64, strip=True)


class DecideForm(forms.Form):
    decision = forms.ChoiceField(choices=[("accept", "accept"), ("refuse", "refuse")])
    note = forms.CharField(required=False, max_length=500, strip=True)
    # the row's outcome as the decider saw it: a decision on a row someone else has just
    # decided is refused with a message instead of overwriting theirs
    expected = forms.ChoiceField(choices=Outcome.choices, required=False)


def visible_letter(request, pk: int, *, with_figures: bool = False) -> CertRequest:
    """The letter `pk` within the user's scope (404 outside it); `with_figures`: with its rows'
    counters, what the floors above show on its page and its drafter's name, read in the same
    query (`row_figures`, `with_page_facts`, `with_creator_name`)."""
    letters = CertRequest.objects.visible_to(request.user)
    if with_figures:
        letters = letters.with_row_figures().with_page_facts().with_creator_name()
    return get_object_or_404(
        letters.select_related("agency", "agency__province", "created_by"), pk=pk
    )


def _row_html(
    printer: RowPrinter, row: RequestRow, actions: set[str], form_columns, error: str = ""
) -> str:
    can_decide = "decide_rows" in actions
    return printer.row(
        row,
        row_cells(row, form_columns, partial(page_cell, revealer=printer.revealer)),
        can_accept=can_decide and row.outcome == Outcome.PENDING,
        can_refuse=can_decide and row.outcome not in FINAL_OUTCOMES,
        error=error,
    )


def _rows(cert_request: CertRequest):
    return (
        cert_request.rows.with_registry()
        .with_key_at_risk()
        .select_related(
            "certificate",
            "device",
            "result_certificate",
            "result_device",
            "decided_by",
            "decided_by__person",
        )
        .order_by("position")
    )


def progress(cert_request: CertRequest, figures=None) -> dict:
    """The processing figures, derived from the rows' outcomes (`figures`: the letter's
    `row_figures`, when already read)."""
    if figures is None:
        figures = RequestRow.objects.row_figures(cert_request)
    processed = figures.of(Outcome.DONE, Outcome.FAILED)
    total = processed + figures.of(Outcome.ACCEPTED)
    return {
        "total": total,
        "done": processed,
        "percent": int(processed * 100 / total) if total else 0,
        "running": cert_request.status == Status.IN_PROCESS,
        "stalled": cert_request.is_stalled,
    }


def _actions_context(cert_request: CertRequest, actions: set[str], figures=None) -> dict:
    return {
        "cert_request": cert_request,
        "actions": actions,
        "buttons": [action for action in BUTTONS if action.name in actions],
        "pending_rows": None if figures is None else figures.of(Outcome.PENDING),
        "has_actions": bool(actions),
    }


def _counts_context(figures) -> dict:
    return {"row_count": figures.total, "outcome_counts": figures.decisions}


@login_required
@require_GET
def cert_request_detail(request, pk: int):
    cert_request = visible_letter(request, pk, with_figures=True)
    actions = allowed_actions(request.user, cert_request)
    figures = RequestRow.objects.row_figures(cert_request)
    paging = row_page(request, _rows(cert_request), count=figures.total)
    rows = list(paging["row_page"].object_list)
    for row in rows:
        row.cert_request = cert_request
    today = timezone.localdate()
    history = _history(cert_request)
    form_columns = columns(cert_request)
    printer = RowPrinter(request, cert_request, decide_column="decide_rows" in actions)
    documents = list(
        cert_request.documents.with_newest_check().defer("in_row").order_by("-version")
    )
    context = {
        "cert_request": cert_request,
        "creator_name": display_name(
            cert_request.creator_person_name,
            cert_request.created_by.first_name,
            cert_request.created_by.last_name,
            cert_request.created_by.username,
        ),
        "last_reason": _last_reason(cert_request, history),
        "columns": form_columns,
        "rows": [_row_html(printer, row, actions, form_columns) for row in rows],
        **paging,
        **_counts_context(figures),
        "transitions": history,
        "progress": progress(cert_request, figures),
        "clock": letter_clock(cert_request, today=today),
        "overdue": bool(
            cert_request.due_on
            and cert_request.due_on < today
            and cert_request.status not in (Status.DONE, Status.REFUSED, Status.CANCELLED)
        ),
        "is_recovery": cert_request.form == FormKind.RECOVER_DEVICE,
        "documents": documents,
        **signatures_context(cert_request, documents),
        "today": today,
        **_actions_context(cert_request, actions, figures),
        **signing_context(request, cert_request, actions),
        # what the floors above add (requests_app/extensions.py): how the letter travelled
        "panels": extensions.letter_panels(request, cert_request, documents),
    }
    return render(request, "requests_app/detail.html", context)


def _history(cert_request: CertRequest) -> list:
    """The letter's transitions, each with its label and the role line of who made it: the
    role and organisation of their first membership, read with the transitions."""
    first_membership = Membership.objects.filter(user=OuterRef("by")).order_by("pk")
    transitions = list(
        cert_request.transitions.select_related("by", "by__person")
        .annotate(
            by_role=Subquery(first_membership.values("role")[:1]),
            by_organization=Subquery(first_membership.values("organization__name")[:1]),
        )
        .order_by("at", "pk")
    )
    for transition in transitions:
        action = ACTIONS.get(transition.action)
        transition.label = action.label if action else transition.action
        role = str(Role(transition.by_role).label) if transition.by_role else ""
        transition.role_line = " · ".join(filter(None, [role, transition.by_organization]))
    return transitions


def _last_reason(cert_request: CertRequest, history: list):
    """The comment that sent the letter back (or refused it), while it is still the news."""
    if not history or cert_request.status not in (Status.DRAFT, Status.REFUSED):
        return None
    last = history[-1]
    action = ACTIONS.get(last.action)
    return last if action and action.reason_required else None


# The action's name in its URL, where it differs from the table's.
URL_NAMES = {"accept_valid": "decide_rows"}


@login_required
@require_POST
def cert_request_action(request, pk: int, action: str):
    spec = ACTIONS.get(URL_NAMES.get(action, action))
    if spec is None or not spec.effect:
        raise Http404
    cert_request = visible_letter(request, pk)
    form = ActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        return redirect("requests_app:detail", pk=cert_request.pk)
    if spec.reauth:
        # Who is typing is settled before the service runs; whether the action may be taken
        # stays decided by the service, on the locked letter (docs/architecture.md §3.3). The
        # right is read here first only so that a user without it gets their 403 (or "someone
        # acted first") rather than a question about their password.
        try:
            require(request.user, spec.name, cert_request)
            form.reauth_verify(request, purpose=spec.name, obj=cert_request)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("requests_app:detail", pk=cert_request.pk)
    kwargs = {}
    if spec.takes == "number":
        kwargs["number"] = form.cleaned_data["number"]
    elif spec.takes:
        kwargs["note"] = form.cleaned_data["note"]
    handler = getattr(services, spec.effect)
    try:
        result = handler(cert_request=cert_request, by=request.user, **kwargs)
    except services.QueueUnavailable as exc:
        messages.warning(request, exc.message)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if spec.name == "decide_rows":
            messages.success(request, _accept_summary(*result))
        elif spec.name == "issue":
            messages.success(request, _issued_message(cert_request))
        else:
            messages.success(request, str(spec.success))
    return redirect("requests_app:detail", pk=cert_request.pk)


def _issued_message(cert_request: CertRequest) -> str:
    return _(
        "Đã cấp số %(number)s. Bấm «Ký» để ký bằng thiết bị của mình (hoặc tải bản đã ký "
        "lên); văn bản được gửi Sở Khoa học và Công nghệ khi đã ký và đóng dấu số."
    ) % {"number": cert_request.number}


def _accept_summary(accepted: int, left: int) -> str:
    message = _("Đã chấp nhận %(n)d dòng hợp lệ.") % {"n": accepted}
    if left:
        message += " " + _("%(n)d dòng chưa hợp lệ vẫn chờ xem xét.") % {"n": left}
    return message


@login_required
@require_POST
def row_decide(request, pk: int, row_pk: int):
    cert_request = visible_letter(request, pk)
    row = get_object_or_404(cert_request.rows.all(), pk=row_pk)
    row.cert_request = cert_request
    form = DecideForm(request.POST)
    error = ""
    if not form.is_valid():
        error = _("Thao tác không hợp lệ.")
    else:
        data = form.cleaned_data
        try:
            services.row_decide(
                row=row,
                by=request.user,
                accept=data["decision"] == "accept",
                note=data["note"],
                expected=data["expected"],
            )
        except RowInvalid as exc:
            error = _("Dòng %(n)d chưa hợp lệ: %(msg)s") % {
                "n": row.position,
                "msg": " ".join(m for msgs in exc.errors.values() for m in msgs),
            }
        except DomainError as exc:
            error = exc.message
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect(row_address(reverse("requests_app:detail", args=[cert_request.pk]), row))

    cert_request.refresh_from_db()
    actions = allowed_actions(request.user, cert_request)
    row = _rows(cert_request).get(pk=row.pk)
    row.cert_request = cert_request
    figures = RequestRow.objects.row_figures(cert_request)
    printer = RowPrinter(request, cert_request, decide_column=True)
    context = {
        "row_html": _row_html(printer, row, actions, columns(cert_request), error),
        **_actions_context(cert_request, actions, figures),
        **_counts_context(figures),
        "oob_counts": True,
        "oob_actions": True,
        "has_actions": True,
    }
    return render(request, "requests_app/partials/_decide_row.html", context)


@login_required
@require_GET
def cert_request_progress(request, pk: int):
    cert_request = visible_letter(request, pk)
    response = render(
        request,
        "requests_app/partials/_progress.html",
        {"cert_request": cert_request, "progress": progress(cert_request)},
    )
    if request.htmx and cert_request.status != Status.IN_PROCESS:
        # Processing ended: reload the page once to show every row's outcome.
        response["HX-Refresh"] = "true"
    return response
