"""The draft editor: section 1 and the submission to the head."""

import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from portal.errors import DomainError
from requests_app import services
from requests_app.forms import (
    ContactForm,
)
from requests_app.views.drafting.common import (
    drafting_view,
    editor_context,
    get_letter,
)


@login_required
@require_http_methods(["GET", "POST"])
@drafting_view
def cert_request_edit(request, pk: int):
    """The draft editor. POST saves section 1 ("Lưu nháp") and, with the "Trình lãnh đạo ký"
    button, submits right after: the clerk's last edits to section 1 are never lost."""
    cert_request = get_letter(request, pk, "edit")
    if request.method == "GET":
        return render(
            request, "requests_app/drafting/edit.html", editor_context(request, cert_request)
        )

    form = ContactForm(request.POST, instance=copy.copy(cert_request), user=request.user)
    submit = request.POST.get("_action") == "submit"
    if not form.is_valid():
        messages.error(request, _("Mục 1 có thông tin chưa hợp lệ: xem các ô được đánh dấu."))
        context = editor_context(request, cert_request, contact_form=form)
        return render(request, "requests_app/drafting/edit.html", context)
    changed = {name: form.cleaned_data[name] for name in form.changed_data}
    try:
        if changed:
            services.cert_request_update(cert_request=cert_request, by=request.user, data=changed)
    except ValidationError as exc:
        form.add_error(None, exc)
        context = editor_context(request, cert_request, contact_form=form)
        return render(request, "requests_app/drafting/edit.html", context)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("requests_app:edit", pk=cert_request.pk)
    if not submit:
        messages.success(
            request, _("Đã lưu dự thảo. Bạn có thể quay lại soạn tiếp bất cứ lúc nào.")
        )
        return redirect("requests_app:edit", pk=cert_request.pk)
    try:
        services.cert_request_submit(cert_request=cert_request, by=request.user)
    except DomainError as exc:
        messages.error(request, _("Chưa trình được: %(why)s") % {"why": exc.message})
        return redirect("requests_app:edit", pk=cert_request.pk)
    messages.success(request, _("Đã trình lãnh đạo ký văn bản."))
    return redirect("requests_app:detail", pk=cert_request.pk)
