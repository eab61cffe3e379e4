"""The signing of the device documents on their pages (paperwork/desk.py): the
signing card of each document page (registered with devices, which sits below the signing
library: devices/extensions.py) with its signatures, the signed PDF, and the desk signing
button through the signing client for whoever signs next: the agency head on a Mẫu 07, 08 or
09, then the receiving side on a Mẫu 08 (the letter's endpoints' shape:
requests_app/views/desk.py). Nothing is signed on the server."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from certificates.signing import safe_pdf_filename, verification_summary
from devices.models import SigningParty
from devices.permissions import can_confirm_minutes, is_head_of
from devices.views.documents import visible_loss, visible_minutes, visible_notice
from paperwork import desk as device_desk
from paperwork import signing as device_signing
from portal.documents import pdf_download
from portal.errors import DomainError
from requests_app.views.desk import (
    completed_response,
    desk_urls,
    prepared_response,
    refused_response,
)

KINDS = {
    "notice": (visible_notice, "devices:notice_detail"),
    "minutes": (visible_minutes, "devices:minutes_detail"),
    "loss": (visible_loss, "devices:loss_detail"),
}


def device_document(request, kind: str, pk: int):
    """The document if the user sees it (else 404)."""
    if kind not in KINDS:
        raise Http404
    getter, detail = KINDS[kind]
    return getter(request, pk), detail


@login_required
@require_GET
def device_document_signed_pdf(request, kind: str, pk: int):
    """The signed version with the most signatures, under a safe file name."""
    document, _detail = device_document(request, kind, pk)
    stored = device_signing.latest_signed(document)
    if stored is None:
        raise Http404
    name = safe_pdf_filename(f"Mau{stored.form}_{document.number}_da_ky_v{stored.version}")
    return pdf_download(stored, name)


def signing_panel(request, document, kind: str) -> str:
    """The signing card of a document page: its signatures as verified now, the summary
    ("2 chữ ký hợp lệ"), the signed PDF, and the desk signing button for whoever signs next
    (the agency head, then on a Mẫu 08 the receiving side)."""
    user = request.user
    stored = device_signing.latest_signed(document)
    reports = device_signing.signature_reports(stored)
    agency_signed = device_signing.signed_version(document) is not None
    receiver_signed = kind == "minutes" and (
        device_signing.signed_version(document, SigningParty.RECEIVER) is not None
    )
    can_sign = not agency_signed and is_head_of(user, document.agency)
    can_countersign = (
        kind == "minutes"
        and agency_signed
        and not receiver_signed
        and can_confirm_minutes(user, document)
    )
    desk = None
    if can_sign:
        desk = device_desk_context(request, kind, document)
    elif can_countersign:
        desk = receiver_desk_context(request, document)
    return render_to_string(
        "paperwork/signing_panel.html",
        {
            "obj": document,
            "kind": kind,
            "stored": stored,
            "reports": reports,
            "summary": verification_summary(reports) if stored else "",
            "all_valid": bool(reports) and all(r.ok for r in reports),
            "agency_signed": agency_signed,
            "receiver_signed": receiver_signed,
            "can_sign": can_sign,
            "can_countersign": can_countersign,
            "desk": desk,
        },
        request=request,
    )


def device_desk_context(request, kind: str, document) -> dict:
    """The desk signing button of a device document's signing card (for its agency head)."""
    return desk_urls(
        request,
        "paperwork:device_desk_prepare",
        "paperwork:device_desk_complete",
        [kind, document.pk],
    )


@login_required
@require_POST
def device_desk_prepare(request, kind: str, pk: int):
    document, _detail = device_document(request, kind, pk)
    try:
        desk = device_desk.device_document_desk_prepare(document=document, by=request.user)
    except DomainError as exc:
        return refused_response(exc)
    return prepared_response(desk)


@login_required
@require_POST
def device_desk_complete(request, kind: str, pk: int):
    document, detail = device_document(request, kind, pk)
    return completed_response(
        request,
        lambda answer: device_desk.device_document_desk_complete(
            document=document, by=request.user, answer=answer
        ),
        redirect=reverse(detail, args=[document.pk]),
        success=_("Đã ký số, đóng dấu số và gửi %(document)s.") % {"document": document},
    )


def receiver_desk_context(request, minutes) -> dict:
    """The desk signing button of a Mẫu 08's signing card, for its receiving side."""
    return desk_urls(
        request,
        "paperwork:return_minutes_receiver_desk_prepare",
        "paperwork:return_minutes_receiver_desk_complete",
        [minutes.pk],
    )


@login_required
@require_POST
def return_minutes_receiver_desk_prepare(request, pk: int):
    minutes, _detail = device_document(request, "minutes", pk)
    try:
        desk = device_desk.return_minutes_receiver_desk_prepare(minutes=minutes, by=request.user)
    except DomainError as exc:
        return refused_response(exc)
    return prepared_response(
        desk,
        seal_field=device_signing.RECEIVER_SEAL_FIELD,
        signature_label=_("Chữ ký xác nhận của bên nhận"),
    )


@login_required
@require_POST
def return_minutes_receiver_desk_complete(request, pk: int):
    minutes, detail = device_document(request, "minutes", pk)
    return completed_response(
        request,
        lambda answer: device_desk.return_minutes_receiver_desk_complete(
            minutes=minutes, by=request.user, answer=answer
        ),
        redirect=reverse(detail, args=[minutes.pk]),
        success=_(
            "Đã ký số xác nhận nhận đủ thiết bị theo biên bản Mẫu 08 số %(number)s: thiết bị "
            "đã được bàn giao lại."
        )
        % {"number": minutes.number},
    )
