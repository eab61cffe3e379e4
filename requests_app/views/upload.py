"""The head's upload of a letter signed outside the portal (docs/domain.md §9): a page with
the unsigned PDF to download and the form for the signed file, which the letter's page also
carries. A refusal is shown beside the file field, whether or not the browser runs scripts;
the service decides everything (requests_app/services/upload.py)."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from portal.documents import DocumentKind
from portal.errors import DomainError
from requests_app import services
from requests_app.lifecycle import ACTIONS
from requests_app.models import CertRequest
from requests_app.permissions import allowed_actions, may
from requests_app.views.desk import desk_signing_context


class SignedUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Tệp PDF đã ký số"),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,application/pdf"}),
    )


def _context(cert_request: CertRequest, form: SignedUploadForm) -> dict:
    rendered = cert_request.documents.defer("in_row").filter(
        kind=DocumentKind.RENDERED, number=cert_request.number
    )
    return {
        "cert_request": cert_request,
        "form": form,
        "unsigned": rendered.first() if cert_request.number else None,
        "max_mb": settings.SIGNING_MAX_PDF_MB,
    }


def signed_upload_context(cert_request: CertRequest, actions: set[str]) -> dict:
    """What the letter's page needs to carry the upload form: only for the head of a letter
    that waits for its signed file."""
    if "upload_signed" not in actions:
        return {"signed_upload": None}
    return {"signed_upload": _context(cert_request, SignedUploadForm())}


def signing_context(request, cert_request: CertRequest, actions: set[str]) -> dict:
    """The head's signing part of the letter's page (templates/requests_app/partials/
    _letter_signing.html): "Ký" and the upload once the unsigned PDF exists (rendered by a
    worker after "Cấp số và ký"); until then a status that polls itself (docs/domain.md §9)."""
    context = signed_upload_context(cert_request, actions)
    upload = context["signed_upload"]
    return {
        **context,
        **desk_signing_context(request, cert_request, actions),
        "signing_ready": bool(upload and upload["unsigned"]),
    }


@login_required
@require_GET
def letter_signing_state(request, pk: int):
    """The signing part alone, polled by the letter's page while the PDF is being rendered:
    the "Ký" button once it exists. A letter no longer waiting for the user's signature
    (signed, sent back) reloads the polling page once (htmx), else answers 403."""
    cert_request = get_object_or_404(
        CertRequest.objects.visible_to(request.user).select_related("agency__province"), pk=pk
    )
    context = {
        "cert_request": cert_request,
        **signing_context(request, cert_request, allowed_actions(request.user, cert_request)),
    }
    if context["signed_upload"] is None:
        if not request.htmx:
            raise PermissionDenied
        response = render(request, "requests_app/partials/_letter_signing.html", context)
        response["HX-Refresh"] = "true"
        return response
    return render(
        request, "requests_app/partials/_letter_signing.html", {**context, "oob_pending": True}
    )


@login_required
@require_http_methods(["GET", "POST"])
def letter_signed_upload(request, pk: int):
    cert_request = get_object_or_404(
        CertRequest.objects.visible_to(request.user).select_related("agency"), pk=pk
    )
    if request.method == "GET" and not may(request.user, ACTIONS["upload_signed"], cert_request):
        raise PermissionDenied
    form = SignedUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.letter_signed_upload(
                cert_request=cert_request, uploaded=form.cleaned_data["file"], by=request.user
            )
        except DomainError as exc:
            form.add_error("file", exc.message)
        else:
            messages.success(
                request,
                _("Đã nhận bản đã ký số và gửi văn bản đến Sở Khoa học và Công nghệ."),
            )
            return redirect("requests_app:detail", pk=cert_request.pk)
    status = 400 if form.errors else 200
    return render(
        request, "requests_app/signed_upload.html", _context(cert_request, form), status=status
    )
