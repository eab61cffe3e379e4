"""A draft's rows, inline (htmx) with plain-POST fallbacks."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget

from portal.errors import DomainError
from requests_app import services
from requests_app.columns import FORM_COLUMNS
from requests_app.exceptions import RowInvalid
from requests_app.forms import (
    RowForm,
    row_initial,
    row_initial_from_person,
    row_initial_from_query,
)
from requests_app.models import CertRequest, RequestRow
from requests_app.row_pages import row_address, row_page
from requests_app.views.drafting.common import (
    PICK_KIND,
    drafting_view,
    editor_context,
    editor_revealer,
    get_letter,
    get_row,
    letter_rows_page,
    row_form,
    row_item,
    row_items,
    saved_row,
    table_context,
)
from requests_app.views.drafting.pickers import pick_queryset


def _picked_person(request, cert_request: CertRequest, pk: str):
    """The person a new row was filled from (the form's hidden `picked_person`), looked up
    again among those the clerk may pick; None if there is none."""
    if PICK_KIND.get(cert_request.form) != "person" or not str(pk or "").isdigit():
        return None
    return pick_queryset(request, cert_request, "person").filter(pk=int(pk)).first()


def _picked(request, cert_request: CertRequest) -> tuple[dict, object, object]:
    """What the row form should show after a pick: the values it held, plus the picked
    person's columns, or the picked certificate / device. Returns (initial, chosen object,
    the person picked: the masked columns are kept from them, `RowForm`)."""
    columns = FORM_COLUMNS[cert_request.form]
    initial = row_initial_from_query(request.GET, columns)
    person = _picked_person(request, cert_request, request.GET.get("picked_person"))
    chosen = request.GET.get("chon", "")
    kind = PICK_KIND.get(cert_request.form)
    if not chosen.isdigit() or kind is None:
        return initial, None, person
    found = pick_queryset(request, cert_request, kind).filter(pk=int(chosen)).first()
    if found is None:
        return initial, None, person
    if kind == "person":
        initial.update(row_initial_from_person(found))
        return initial, None, found
    initial[kind] = found.serial
    return initial, found, person


def _save_row(request, form: RowForm, cert_request, row=None) -> RequestRow | None:
    if not form.is_valid():
        return None
    try:
        return services.row_save(
            cert_request=cert_request, by=request.user, data=form.service_data(), row=row
        )
    except RowInvalid as exc:
        form.add_row_errors(exc.errors)
    except DomainError as exc:
        form.add_error(None, exc.message)
    return None


@login_required
@require_http_methods(["GET", "POST"])
@drafting_view
def row_add(request, pk: int):
    cert_request = get_letter(request, pk, "edit")
    edit_url = reverse("requests_app:edit", args=[cert_request.pk])
    if request.method == "GET":
        if not request.htmx:
            return redirect(f"{edit_url}#them-dong")
        initial, chosen, person = _picked(request, cert_request)
        form = row_form(request, cert_request, initial=initial, chosen=chosen, kept_from=person)
        return render(
            request,
            "requests_app/partials/_row_add.html",
            {
                **table_context(cert_request),
                "form": form,
                "pick_kind": PICK_KIND.get(cert_request.form),
            },
        )

    person = _picked_person(request, cert_request, request.POST.get("picked_person"))
    form = row_form(request, cert_request, data=request.POST, kept_from=person)
    row = _save_row(request, form, cert_request)
    if row is None:
        if request.htmx:
            response = render(
                request,
                "requests_app/partials/_row_add.html",
                {
                    **table_context(cert_request),
                    "form": form,
                    "pick_kind": PICK_KIND.get(cert_request.form),
                },
            )
            return reswap(retarget(response, "#row-add"), "outerHTML")
        context = editor_context(request, cert_request, add_form=form)
        return render(request, "requests_app/drafting/edit.html", context)
    if not request.htmx:
        messages.success(request, _("Đã thêm dòng %(n)d.") % {"n": row.position})
        return redirect(row_address(edit_url, saved_row(cert_request, row.pk)))
    row = saved_row(cert_request, row.pk)
    paging = row_page(request, cert_request.rows.order_by("position"))  # the pager's figures
    return render(
        request,
        "requests_app/partials/_row_added.html",
        {
            **table_context(cert_request),
            "item": row_item(row, revealer=editor_revealer(request, cert_request)),
            "form": row_form(request, cert_request),
            "pick_kind": PICK_KIND.get(cert_request.form),
            **paging,
            "row_count": paging["row_page"].paginator.count,
            "status_message": _("Đã thêm dòng %(n)d.") % {"n": row.position},
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
@drafting_view
def row_edit(request, pk: int, row_pk: int):
    cert_request = get_letter(request, pk, "edit")
    row = get_row(cert_request, row_pk)
    if request.method == "GET":
        initial, chosen, person = _picked(request, cert_request)
        form = row_form(
            request,
            cert_request,
            initial={**row_initial(row), **initial},
            chosen=chosen or row.certificate or row.device,
            row=row,
            kept_from=person or row,
        )
    else:
        person = _picked_person(request, cert_request, request.POST.get("picked_person"))
        form = row_form(
            request,
            cert_request,
            data=request.POST,
            chosen=row.certificate or row.device,
            row=row,
            kept_from=person or row,
        )
        saved = _save_row(request, form, cert_request, row=row)
        if saved is not None:
            if not request.htmx:
                messages.success(request, _("Đã lưu dòng %(n)d.") % {"n": saved.position})
                edit_url = reverse("requests_app:edit", args=[cert_request.pk])
                return redirect(row_address(edit_url, saved_row(cert_request, saved.pk)))
            return render(
                request,
                "requests_app/partials/_row_saved.html",
                {
                    **table_context(cert_request),
                    "item": row_item(
                        saved_row(cert_request, row.pk),
                        revealer=editor_revealer(request, cert_request),
                    ),
                    "row_count": cert_request.rows.count(),
                    "status_message": _("Đã lưu dòng %(n)d.") % {"n": saved.position},
                },
            )
        row = get_row(cert_request, row_pk)  # row_save set the refused values on it
    context = {
        **table_context(cert_request),
        "row": row,
        "form": form,
        "pick_kind": PICK_KIND.get(cert_request.form),
    }
    if request.htmx:
        return render(request, "requests_app/partials/_row_edit.html", context)
    return render(request, "requests_app/drafting/row_edit.html", context)


@login_required
@require_GET
@drafting_view
def row_show(request, pk: int, row_pk: int):
    """One row as displayed: what "Hủy" in the inline edit form brings back."""
    cert_request = get_letter(request, pk, "edit")
    row = get_row(cert_request, row_pk)
    if not request.htmx:
        edit_url = reverse("requests_app:edit", args=[cert_request.pk])
        return redirect(row_address(edit_url, row))
    return render(
        request,
        "requests_app/partials/_row.html",
        {
            **table_context(cert_request),
            "item": row_item(row, revealer=editor_revealer(request, cert_request)),
        },
    )


@login_required
@require_POST
@drafting_view
def row_delete(request, pk: int, row_pk: int):
    cert_request = get_letter(request, pk, "edit")
    row = get_row(cert_request, row_pk)
    position = row.position
    services.row_delete(row=row, by=request.user)
    if not request.htmx:
        messages.success(request, _("Đã xóa dòng %(n)d.") % {"n": position})
        return redirect("requests_app:edit", pk=cert_request.pk)
    paging, rows = letter_rows_page(request, cert_request)
    return render(
        request,
        "requests_app/partials/_rows_body.html",
        {
            **table_context(cert_request),
            "row_items": row_items(cert_request, rows, editor_revealer(request, cert_request)),
            **paging,
            "row_count": paging["row_page"].paginator.count,
            "oob_count": True,
            "status_message": _("Đã xóa dòng %(n)d.") % {"n": position},
        },
    )
