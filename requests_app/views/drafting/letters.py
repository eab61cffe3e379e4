"""The letters list and a new letter."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from agencies.access import scope_for
from agencies.choices import Role
from agencies.models import Person
from portal.errors import DomainError
from portal.lib.exports import export_query, wants_export
from portal.lib.paging import Jump, keyset_paginate
from portal.replica import replica_reads
from requests_app import cells, services
from requests_app.choices import FormKind, Status
from requests_app.exports import export_letters
from requests_app.filters import CertRequestFilterSet
from requests_app.forms import (
    REMOTE_PERSON,
    CertRequestCreateForm,
    ContactForm,
    clerk_agencies,
    contact_from_letter,
    contact_from_person,
)
from requests_app.models import CertRequest
from requests_app.permissions import allowed_actions
from requests_app.views.drafting.common import (
    FORM_HELP,
)


@login_required
@require_GET
@replica_reads
def cert_request_list(request):
    user = request.user
    # A subquery rather than a join + GROUP BY: it runs for the page's letters only, and the
    # paginator's COUNT drops it.
    base = (
        CertRequest.objects.visible_to(user)
        .select_related("agency")
        .with_row_count()
        .with_overdue()
        .order_by("-created_at", "-pk")
    )
    filterset = CertRequestFilterSet(request.GET or None, queryset=base, request=request)
    if wants_export(request):
        return export_letters(filterset.qs, request=request)
    paging = keyset_paginate(request, filterset.qs, jump=Jump("created_at", _("Tạo đến ngày")))
    letters = list(paging["page"].object_list)
    for letter in letters:
        letter.actions = allowed_actions(user, letter)
    scope = scope_for(user)
    context = {
        "filter": filterset,
        "letters": letters,
        "export_query": export_query(request),
        **paging,
        "can_draft": Role.AGENCY_CLERK in scope.roles,
        "form_kinds": [(value, label, FORM_HELP[value]) for value, label in FormKind.choices],
        "awaiting_signature": _awaiting_signature(user, scope),
        # "Thao tác hàng loạt" carries the filter to the bulk page (docs/bulk.md,
        # "Registers"): reminding agencies of their waiting letters is the provincial
        # officer's and the CA operator's.
        "may_bulk": scope.is_ca or Role.PROVINCIAL_OFFICER in scope.roles,
    }
    if request.htmx and request.htmx.target == "ket-qua":
        return render(request, "requests_app/drafting/_list_table.html", context)
    return render(request, "requests_app/list.html", context)


def _awaiting_signature(user, scope) -> int | None:
    """For an agency head: how many letters wait for their signature (None for others)."""
    paths = scope.role_paths.get(Role.AGENCY_HEAD, ())
    if not paths:
        return None
    return (
        CertRequest.objects.visible_to(user)
        .within(*paths)
        .filter(status=Status.AWAITING_HEAD)
        .exclude(created_by=user)
        .count()
    )


# --- a new letter --------------------------------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def cert_request_create(request):
    agencies = list(clerk_agencies(request.user))
    if not agencies:
        raise PermissionDenied
    if request.method == "POST":
        form = CertRequestCreateForm(request.POST, user=request.user)
        if form.is_valid():
            kind = form.cleaned_data["form"]
            agency = form.cleaned_data["agency"]
            try:
                cert_request = services.cert_request_create(
                    agency=agency,
                    form=kind,
                    remote_signing=form.cleaned_data["remote_signing"],
                    by=request.user,
                    **_contact_prefill(request, agency, kind),
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    _("Đã tạo dự thảo %(form)s. Hãy điền mục 1 và thêm các dòng.")
                    % {"form": cert_request.get_form_display()},
                )
                return redirect("requests_app:edit", pk=cert_request.pk)
    else:
        kind = request.GET.get("mau", "")
        form = CertRequestCreateForm(
            initial={
                "form": kind if kind in FormKind.values or kind == REMOTE_PERSON else None,
                "agency": agencies[0],
            },
            user=request.user,
        )
    return render(
        request,
        "requests_app/drafting/create.html",
        {
            "form": form,
            "agencies": agencies,
            "form_help": dict(FORM_HELP),
        },
    )


def _contact_prefill(request, agency, kind: str) -> dict:
    """Section 1 from the agency's last letter with a contact, or else from the clerk's own
    Person record, keeping only values that pass its checks; the clerk can change it."""
    last = CertRequest.objects.visible_to(request.user).last_contact_of(
        agency, recovery=kind == FormKind.RECOVER_DEVICE
    )
    if last is not None:
        data = contact_from_letter(last, kind)
    else:
        person = (
            Person.objects.identified()
            .filter(user=request.user)
            .select_related("organization")
            .first()
        )
        if person is None:
            return {}
        data = contact_from_person(person, kind)
    probe = ContactForm(
        {**data, "contact_id_issue_date": cells.date_text(data.get("contact_id_issue_date"))},
        instance=CertRequest(form=kind),
    )
    probe.is_valid()
    return {name: value for name, value in data.items() if name not in probe.errors}
