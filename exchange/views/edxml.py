"""edXML packages from the letter's page and into the receiving office (docs/exchange.md,
"edXML packages"): the package of a signed letter downloaded by whoever may see the letter
(out of scope: 404), and the upload page where the CA or the Sở KH&CN imports a package, and
a sender a status message. A refused file is a message on the page, never a 500."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from agencies.access import scope_for
from agencies.choices import Role
from exchange import services
from exchange.edxml.messages import MAX_BYTES
from exchange.models import EdxmlMessage
from exchange.services.packages import edxml_file_name
from portal.errors import DomainError
from portal.lib.filenames import safe_file_name
from requests_app.disclosure import letter_document_access_record
from requests_app.models import CertRequest

# who exchanges files: the receiving offices take packages in, the senders status messages
EXCHANGING = (Role.AGENCY_CLERK, Role.AGENCY_HEAD, Role.PROVINCIAL_OFFICER, Role.CA_OPERATOR)


@login_required
@require_GET
def letter_edxml_download(request, pk: int):
    letter = get_object_or_404(
        CertRequest.objects.visible_to(request.user).select_related("agency__province"), pk=pk
    )
    try:
        data = services.letter_edxml_export(cert_request=letter)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("requests_app:detail", pk=letter.pk)
    # the package carries the signed letter: a document download (docs/privacy.md)
    letter_document_access_record(cert_request=letter, by=request.user)
    return _xml_response(data, edxml_file_name(letter))


def _xml_response(data: bytes, file_name: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _status_messages(user):
    """The status messages our received letters produced, newest first, for their senders."""
    return (
        EdxmlMessage.objects.filter(
            direction=EdxmlMessage.Direction.SENT,
            kind=EdxmlMessage.Kind.STATUS,
            letter__in=CertRequest.objects.visible_to(user),
        )
        .select_related("letter__agency")
        .defer("content")
        .order_by("-created_at", "-pk")
    )


@login_required
@require_GET
def edxml_status_download(request, pk: int):
    """A status message produced on this side, for the axis (or a file) to carry back."""
    message = get_object_or_404(_status_messages(request.user).defer(None), pk=pk)
    return _xml_response(
        bytes(message.content),
        safe_file_name(f"trang_thai_{message.status_code}_{message.letter_id}", extension=".xml"),
    )


class EdxmlUploadForm(forms.Form):
    LETTER, STATUS = "letter", "status"
    kind = forms.ChoiceField(
        label=gettext_lazy("Loại tệp"),
        choices=[
            (LETTER, gettext_lazy("Gói văn bản edXML (nơi nhận tiếp nhận)")),
            (STATUS, gettext_lazy("Thông điệp trạng thái edXML (nơi gửi ghi nhận)")),
        ],
        initial=LETTER,
    )
    file = forms.FileField(label=gettext_lazy("Tệp edXML (.xml)"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                _("Tệp edXML quá lớn (tối đa %(max)s MB).") % {"max": MAX_BYTES // (1024 * 1024)}
            )
        return upload


@login_required
def edxml_upload(request):
    if not scope_for(request.user).has_role(*EXCHANGING):
        raise PermissionDenied
    form = EdxmlUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data["file"].read(MAX_BYTES + 1)
        try:
            if form.cleaned_data["kind"] == EdxmlUploadForm.LETTER:
                letter = services.letter_edxml_import(data=data, by=request.user)
                messages.success(request, _("Đã tiếp nhận văn bản từ gói edXML."))
            else:
                message = services.letter_edxml_status_import(data=data, by=request.user)
                letter = message.letter
                if message.parties.get("authenticated"):
                    text = _(
                        "Đã nhận thông điệp trạng thái có chữ ký số hợp lệ của nơi nhận; văn bản "
                        "hiện ở trạng thái: %(status)s."
                    ) % {"status": letter.get_status_display()}
                else:
                    text = _(
                        "Đã ghi nhận thông điệp trạng thái (chưa xác thực): trạng thái văn bản "
                        "không thay đổi."
                    )
                messages.success(request, text)
        except DomainError as exc:
            form.add_error("file", exc.message)
        else:
            return redirect("requests_app:detail", pk=letter.pk)
    context = {"form": form, "statuses": _status_messages(request.user)[:50]}
    return render(request, "exchange/edxml_upload.html", context)
