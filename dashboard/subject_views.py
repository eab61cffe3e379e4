"""A person's own data (docs/privacy.md, "The data subject's rights"): the page "Dữ liệu của
tôi", its two copies (JSON, and a PDF sealed by the portal's system certificate) and the
form asking to correct a field.

Always the signed-in user's own person (no person is named in an address, so nobody can ask
for another's). Reading the page is the person reading their own data, not a third party's
access, and is not recorded (a GET writes nothing, docs/architecture.md §2.3); each copy is a
POST, recorded in the access log (`privacy.access`, channel "subject": the subject themselves
as the actor, its audit event `personal_data.accessed`), since a file leaves the portal. Without a system
token the PDF is refused with a message, never handed out unsigned.
"""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET, require_POST

from agencies.models import Person
from certificates.signing.files import safe_pdf_filename
from certificates.signing.system import system_sign_pdf, system_signer_configured
from dashboard.subject import inventory_keys, subject_data, subject_json
from portal.errors import DomainError
from portal.lib.pdf import render_pdf
from portal.texts import text
from privacy.access import Subject, personal_data_access_record
from privacy.choices import AccessChannel
from privacy.corrections import correction_request_submit
from privacy.forms import CorrectionForm

PDF_TEMPLATE = "dashboard/pdf/subject_data.html"
# Where a refusal of the correction service is shown on the form (the value's, by default).
ERROR_FIELDS = {
    "reason": "reason",
    "field": "field",
    "already_open": None,
    "forbidden": None,
    "minimised": None,
}


def own_person(user) -> Person | None:
    return Person.objects.filter(user=user).select_related("organization", "user").first()


def _page(request, person, *, form=None, status=200):
    context = {"person": person, "signer_ready": system_signer_configured()}
    if person is not None:
        context["data"] = subject_data(person)
        context["form"] = form or CorrectionForm()
        context["corrections"] = person.correction_requests.order_by("-created_at")[:50]
    return render(request, "dashboard/subject/data.html", context, status=status)


@login_required
@require_GET
def my_data(request):
    return _page(request, own_person(request.user))


def _exported(request, person, data, kind: str) -> None:
    personal_data_access_record(
        by=request.user,
        channel=AccessChannel.SUBJECT,
        subjects=[Subject.of(person)],
        fields=inventory_keys(data),
        # the portal's words, kept as data: the log shows them in its reader's language
        reason=text(gettext_noop("Chủ thể tải bản sao %(format)s"), format=kind.upper()),
        obj=person,
    )


def _stem(person) -> str:
    return f"du-lieu-ca-nhan-{timezone.localdate():%Y%m%d}"


@login_required
@require_POST
def export_json(request):
    person = own_person(request.user)
    if person is None:
        return _page(request, None, status=404)
    data = subject_data(person)
    body = json.dumps(subject_json(data), ensure_ascii=False, indent=2)
    _exported(request, person, data, "json")
    response = HttpResponse(body.encode("utf-8"), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_stem(person)}.json"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def export_pdf(request):
    person = own_person(request.user)
    if person is None:
        return _page(request, None, status=404)
    if not system_signer_configured():
        messages.error(
            request,
            _(
                "Chưa tải được bản PDF có chữ ký số: cổng chưa được cấu hình chứng thư hệ thống "
                "để ký. Bạn vẫn tải được bản JSON; hãy báo quản trị hệ thống."
            ),
        )
        return redirect("subject:data")
    data = subject_data(person)
    pdf = render_pdf(
        PDF_TEMPLATE,
        {"data": data, "person": person, "document_title": _("Dữ liệu cá nhân của tôi")},
    )
    try:
        signed = system_sign_pdf(pdf, reason=_("Bản sao dữ liệu cá nhân theo yêu cầu của chủ thể"))
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("subject:data")
    _exported(request, person, data, "pdf")
    response = HttpResponse(signed, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{safe_pdf_filename(_stem(person))}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def correction_submit(request):
    person = own_person(request.user)
    if person is None:
        return _page(request, None, status=404)
    form = CorrectionForm(request.POST)
    if form.is_valid():
        try:
            correction_request_submit(
                person=person,
                by=request.user,
                field=form.cleaned_data["field"],
                value=form.cleaned_data["new_value"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            form.add_error(ERROR_FIELDS.get(exc.code, "new_value"), exc.message)
        else:
            messages.success(
                request,
                _(
                    "Đã gửi yêu cầu đính chính. Cán bộ đầu mối của cơ quan bạn sẽ xem xét và báo kết quả."
                ),
            )
            return redirect("subject:data")
    return _page(request, person, form=form, status=400)
