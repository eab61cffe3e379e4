"""The privacy pages (docs/privacy.md): the inventory of personal data and the incident
register with its 72-hour clock. Only the data protection officer and administrators may use
them (403 for everyone else, before any lookup); a refused operation is a message on the
page. And the reveal of a masked value, for whoever may see it in full (`reveal`)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from agencies.access import scope_for
from portal.errors import DomainError
from portal.lib.docx import docx_response
from privacy import lifecycle, services, table
from privacy.access import personal_data_access_record
from privacy.choices import AccessChannel
from privacy.forms import CloseForm, IncidentForm, NotifiedForm, RevealForm
from privacy.masking import is_masked, masked, may_unmask
from privacy.models import Incident
from privacy.notice import notice_docx, notice_text
from privacy.permissions import require_privacy
from privacy.reveal import masked_html, reveal_fetch, reveal_target, shown_in_full


def _incident(request, pk: int) -> Incident:
    require_privacy(request.user)
    return get_object_or_404(
        Incident.objects.visible_to(request.user).select_related("recorded_by__person"), pk=pk
    )


@login_required
@require_GET
def inventory(request):
    require_privacy(request.user)
    return render(request, "privacy/inventory.html", {"rows": table.rows()})


@login_required
@require_GET
def incident_list(request):
    require_privacy(request.user)
    incidents = Incident.objects.visible_to(request.user)[:200]
    return render(request, "privacy/incidents.html", {"incidents": incidents})


@login_required
@require_http_methods(["GET", "POST"])
def incident_create(request):
    require_privacy(request.user)
    # Detected now unless the officer says otherwise: the clock starts at detection.
    now = timezone.localtime().replace(second=0, microsecond=0)
    form = IncidentForm(request.POST or None, initial={"detected_at": now})
    if request.method == "POST" and form.is_valid():
        try:
            incident = services.incident_record(by=request.user, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("Đã ghi nhận sự cố. Hạn thông báo Cục A05: %(deadline)s.")
                % {"deadline": timezone.localtime(incident.notify_by).strftime("%H:%M %d/%m/%Y")},
            )
            return redirect("privacy:incident_detail", pk=incident.pk)
    return render(request, "privacy/incident_form.html", {"form": form})


def _detail(request, incident, *, notified_form=None, close_form=None, status=200):
    scope = scope_for(request.user)
    offered = {
        move.name for move in lifecycle.MOVES.offered(incident, incident.status, scope.has_role)
    }
    return render(
        request,
        "privacy/incident_detail.html",
        {
            "incident": incident,
            "transitions": incident.transitions.select_related("by__person"),
            "notified_form": notified_form or NotifiedForm(),
            "close_form": close_form or CloseForm(),
            "may_notify": "notify" in offered,
            "may_close": "close" in offered,
        },
        status=status,
    )


@login_required
@require_GET
def incident_detail(request, pk: int):
    return _detail(request, _incident(request, pk))


@login_required
@require_POST
def incident_notify(request, pk: int):
    incident = _incident(request, pk)
    form = NotifiedForm(request.POST)
    if form.is_valid():
        try:
            services.incident_mark_notified(
                incident=incident,
                by=request.user,
                notified_at=form.cleaned_data["notified_at"],
                reference=form.cleaned_data["reference"],
            )
        except DomainError as exc:
            # Refused on the locked row (someone moved the incident first, a time out of
            # order): told on the incident's page as it now stands.
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Đã ghi nhận việc thông báo Cục A05."))
        return redirect("privacy:incident_detail", pk=incident.pk)
    return _detail(request, incident, notified_form=form, status=400)


@login_required
@require_POST
def incident_close(request, pk: int):
    incident = _incident(request, pk)
    form = CloseForm(request.POST)
    if form.is_valid():
        try:
            services.incident_close(
                incident=incident, by=request.user, note=form.cleaned_data["note"]
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Đã kết thúc sự cố."))
        return redirect("privacy:incident_detail", pk=incident.pk)
    return _detail(request, incident, close_form=form, status=400)


@login_required
@require_GET
def incident_notice(request, pk: int):
    """The notification to A05, prefilled: `?dinh_dang=docx` for Word, else plain text."""
    incident = _incident(request, pk)
    name = f"thong-bao-su-co-du-lieu-ca-nhan-{incident.pk}"
    if request.GET.get("dinh_dang") == "docx":
        return docx_response(notice_docx(incident), f"{name}.docx")
    response = HttpResponse(notice_text(incident), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.txt"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def reveal(request, label: str, pk: int, field: str):
    """One masked field of one record in full (docs/privacy.md §masking). GET: the reason's form
    (htmx: in place of the masked value; else a page). POST: the record fetched again within
    the user's scope (404 outside it), the right decided again (403 without it), the access
    recorded with the reason, then the value. Never cached; a bad reason records nothing."""
    key = f"{label}.{field}"
    target = reveal_target(label)
    if target is None or not is_masked(key):
        raise Http404
    obj = reveal_fetch(target, request.user, pk)
    subject = target.subject(obj)
    if not may_unmask(
        request.user, key, subject_person_id=subject.person_id, org_path=target.org_path(obj)
    ):
        raise PermissionDenied
    value = getattr(obj, field)
    if value in (None, ""):
        raise Http404
    context = {
        "key": key,
        "label": _field_label(obj, field),
        "masked": masked(key, value),
        "url": request.path,
        "back": _back(request),
        "element": f"ly-do-{label.replace('.', '-').lower()}-{pk}-{field}",
    }
    if request.method == "GET":
        if request.htmx and request.GET.get("huy"):
            return HttpResponse(masked_html(key, context["masked"], request.path))
        return _reveal_answer(request, context, RevealForm())
    form = RevealForm(request.POST)
    if form.is_valid():
        try:
            personal_data_access_record(
                by=request.user,
                channel=AccessChannel.REVEAL,
                subjects=[subject],
                fields=[key],
                reason=form.cleaned_data["reason"],
                obj=obj,
            )
        except DomainError as exc:
            form.add_error("reason", exc.message)
        else:
            return _reveal_answer(request, {**context, "value": shown_in_full(value)}, None)
    return _reveal_answer(request, context, form, status=200 if request.htmx else 400)


def _reveal_answer(request, context: dict, form, *, status: int = 200):
    if request.htmx:
        name = "_revealed.html" if form is None else "_reveal_form.html"
        template = f"privacy/partials/{name}"
    else:
        template = "privacy/reveal.html"
    return render(request, template, {**context, "form": form}, status=status)


def _field_label(obj, field: str) -> str:
    """The field's own name (the record's model, read from the record: never imported)."""
    return str(obj._meta.get_field(field).verbose_name)


def _back(request) -> str:
    """Where the page without JavaScript returns: a path of this site, else nowhere."""
    back = request.POST.get("next") or request.GET.get("next") or ""
    if back and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return back
    return ""
