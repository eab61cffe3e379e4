"""The two work queues — the Sở KH&CN's inbox and the CA's queue — with their bulk actions.

Bulk actions call the same services as the letter's page, one letter at a time, each decided
on the letter as locked; what could not be done is listed with its reason.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from agencies.access import scope_for
from agencies.choices import Role
from portal.errors import DomainError
from portal.lib.exports import export_query, wants_export
from portal.lib.paging import keyset_paginate
from requests_app import services
from requests_app.choices import Status
from requests_app.exports import export_queue
from requests_app.filters_queue import QueueFilterSet
from requests_app.models import CertRequest


class BulkForm(forms.Form):
    bulk = forms.ChoiceField(choices=[("forward", "forward"), ("accept_valid", "accept_valid")])
    ids = forms.TypedMultipleChoiceField(coerce=int, choices=(), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Which ids exist is the queue's business (it only acts on letters it holds).
        self.fields["ids"].valid_value = lambda value: str(value).isdigit()


QUEUES = {
    "province": {
        "role": Role.PROVINCIAL_OFFICER,
        "queryset": lambda user: CertRequest.objects.province_inbox(user),
        "statuses": (Status.PROVINCE_REVIEW, Status.IN_PROCESS, Status.PROCESSING_FAILED),
        "bulk": ("accept_valid", "forward"),
        "renewals": True,  # Mẫu 04 is processed here: renewals at risk come first
        "url": "requests_app:province_inbox",
        "title": gettext_lazy("Hộp thư Sở Khoa học và Công nghệ"),
        "lead": gettext_lazy(
            "Văn bản của các cơ quan trong tỉnh chờ Sở xem xét, chuyển Cục CTS&BMTT hoặc xử lý "
            "(Mẫu 04, 06); hạn xử lý tính theo ngày làm việc."
        ),
    },
    "ca": {
        "role": Role.CA_OPERATOR,
        "queryset": lambda user: CertRequest.objects.ca_queue(user),
        "statuses": (Status.FORWARDED, Status.IN_PROCESS, Status.PROCESSING_FAILED),
        "bulk": ("accept_valid",),
        "renewals": False,  # CA_FORMS hold no Mẫu 04
        "url": "requests_app:ca_queue",
        "title": gettext_lazy("Hàng đợi xử lý của Cục CTS&BMTT"),
        "lead": gettext_lazy(
            "Văn bản được các Sở KH&CN chuyển đến, chờ cấp hoặc thu hồi chứng thư; hạn xử lý "
            "tính theo ngày làm việc kể từ ngày nhận hồ sơ hợp lệ."
        ),
    },
}


def _queue(request, kind: str):
    queue = QUEUES[kind]
    if not scope_for(request.user).has_role(queue["role"]):
        raise PermissionDenied
    base = queue["queryset"](request.user)
    if request.method == "POST":
        return _bulk(request, base, queue)

    filterset = QueueFilterSet(request.GET or None, queryset=base, statuses=queue["statuses"])
    letters = filterset.qs.with_queue_figures(renewals=queue["renewals"])
    if wants_export(request):
        filename = "hop-thu-so" if kind == "province" else "hang-doi-ca"
        return export_queue(letters, title=queue["title"], filename=filename, request=request)
    paging = keyset_paginate(request, letters)
    context = {
        "queue": queue,
        "kind": kind,
        "filter": filterset,
        "export_query": export_query(request),
        "letters": paging["page"].object_list,
        **paging,
        "today": timezone.localdate(),
    }
    if request.htmx:
        return render(request, "requests_app/review/_queue_table.html", context)
    return render(request, "requests_app/review/queue.html", context)


def _bulk(request, base, queue):
    form = BulkForm(request.POST)
    back = request.get_full_path()
    if not form.is_valid() or form.cleaned_data["bulk"] not in queue["bulk"]:
        messages.error(request, _("Thao tác hàng loạt không hợp lệ."))
        return redirect(back)
    action = form.cleaned_data["bulk"]
    ids = form.cleaned_data["ids"]
    if not ids:
        messages.warning(request, _("Hãy chọn ít nhất một văn bản."))
        return redirect(back)
    done: list[str] = []
    failed: list[str] = []
    accepted_total = left_total = 0
    letters = base.filter(pk__in=ids).select_related("agency").order_by("due_on", "pk")
    for cert_request in letters:
        label = cert_request.number or f"#{cert_request.pk}"
        try:
            if action == "forward":
                services.cert_request_forward(cert_request=cert_request, by=request.user)
            else:
                accepted, left = services.cert_request_accept_valid_rows(
                    cert_request=cert_request, by=request.user
                )
                accepted_total += accepted
                left_total += left
            done.append(label)
        except PermissionDenied:
            failed.append(f"{label}: {_('bạn không có quyền thực hiện thao tác này.')}")
        except DomainError as exc:
            failed.append(f"{label}: {exc.message}")
    missing = len(set(ids)) - len(done) - len(failed)
    if action == "forward":
        summary = _("Đã chuyển Cục CTS&BMTT %(n)d văn bản.") % {"n": len(done)}
    else:
        summary = _(
            "Đã xem xét %(n)d văn bản: chấp nhận %(accepted)d dòng hợp lệ, "
            "%(left)d dòng chưa hợp lệ vẫn chờ."
        ) % {"n": len(done), "accepted": accepted_total, "left": left_total}
    (messages.success if done else messages.warning)(request, summary)
    if failed:
        messages.error(
            request,
            _("Không thực hiện được với %(n)d văn bản: %(list)s")
            % {"n": len(failed), "list": "; ".join(failed)},
        )
    if missing > 0:
        messages.warning(
            request,
            _("%(n)d văn bản không còn trong hàng đợi này.") % {"n": missing},
        )
    return redirect(back)


@login_required
@require_http_methods(["GET", "POST"])
def province_inbox(request):
    return _queue(request, "province")


@login_required
@require_http_methods(["GET", "POST"])
def ca_queue(request):
    return _queue(request, "ca")
