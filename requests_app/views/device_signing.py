"""The signing of the device documents on their pages (requests_app/device_signing.py): the
agency head's "Ký và gửi" on a Mẫu 07, 08 or 09 and the receiving side's signature on a Mẫu 08
(recorded here, signed by the worker), the signed PDF, and the signing card of each document
page, which polls while a signing is under way (registered with devices, which
sits below the signing library: devices/extensions.py); and the head's signing at their own
desk through the signing client (requests_app/device_desk.py, the letter's endpoints' shape:
requests_app/views/desk.py)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from agencies.accounts.reauth import ReauthForm
from certificates.signing import safe_pdf_filename, verification_summary
from devices.models import SigningParty
from devices.permissions import can_confirm_minutes, is_head_of, is_receiver_of, require
from devices.views.documents import _loss, _minutes, _notice
from portal.documents import pdf_download
from portal.errors import DomainError
from requests_app import device_signing
from requests_app.device_desk import device_document_desk_complete, device_document_desk_prepare
from requests_app.views.desk import (
    completed_response,
    desk_urls,
    prepared_response,
    refused_response,
)

KINDS = {
    "notice": (_notice, "devices:notice_detail"),
    "minutes": (_minutes, "devices:minutes_detail"),
    "loss": (_loss, "devices:loss_detail"),
}


def device_document(request, kind: str, pk: int):
    """The document if the user sees it (else 404)."""
    if kind not in KINDS:
        raise Http404
    getter, detail = KINDS[kind]
    return getter(request, pk), detail


def _confirmed(request, purpose: str, obj, *, allowed: bool) -> None:
    """The signer types their password (and code) again before their key is used, as for a
    letter's "Ký, ban hành" (docs/security.md); raises DomainError (ReauthFailed) if refused.
    The right is read first only so that a user without it gets their 403 rather than a
    question about their password; the service decides it again under the lock."""
    require(allowed)
    form = ReauthForm(request.POST)
    form.is_valid()  # both fields are optional strings: always valid, values or ""
    form.reauth_verify(request, purpose=purpose, obj=obj)


@login_required
@require_POST
def device_document_sign(request, kind: str, pk: int):
    """The agency head's "Ký và gửi": checked and recorded here, signed and sent by the worker
    (docs/devices.md, "Who signs what, and when"); the page's signing card then shows
    "Đang ký…" and polls until the signed version exists."""
    document, detail = device_document(request, kind, pk)
    try:
        _confirmed(
            request,
            "device_document_sign",
            document,
            allowed=is_head_of(request.user, document.agency),
        )
        device_signing.device_document_sign_request(document=document, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if kind == "minutes":
            text = _(
                "Đang ký số %(document)s: văn bản được gửi bên nhận %(receiver)s ngay khi ký xong."
            ) % {"document": document, "receiver": document.receiver.name}
        else:
            text = _(
                "Đang ký số %(document)s: văn bản được gửi Cục Chứng thực số ngay khi ký xong."
            ) % {"document": document}
        messages.info(request, text)
    return redirect(detail, pk=document.pk)


@login_required
@require_POST
def return_minutes_countersign(request, pk: int):
    """The receiving side signs the Mẫu 08, which confirms the receipt (in the worker)."""
    minutes, detail = device_document(request, "minutes", pk)
    try:
        _confirmed(
            request,
            "return_minutes_countersign",
            minutes,
            allowed=is_receiver_of(request.user, minutes),
        )
        device_signing.device_document_sign_request(
            document=minutes, by=request.user, party=SigningParty.RECEIVER
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.info(
            request,
            _("Đang ký số xác nhận nhận đủ thiết bị theo biên bản Mẫu 08 số %(number)s.")
            % {"number": minutes.number},
        )
    return redirect(detail, pk=minutes.pk)


@login_required
@require_GET
def device_document_signing_panel(request, kind: str, pk: int):
    """The signing card alone, which the page polls (htmx) while a signing is under way."""
    document, _detail = device_document(request, kind, pk)
    return HttpResponse(signing_panel(request, document, kind))


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
    ("2 chữ ký hợp lệ"), the signed PDF, and the signing buttons for whoever may sign."""
    user = request.user
    stored = device_signing.latest_signed(document)
    reports = device_signing.signature_reports(stored)
    agency_signed = device_signing.signed_version(document) is not None
    receiver_signed = kind == "minutes" and (
        device_signing.signed_version(document, SigningParty.RECEIVER) is not None
    )
    # The signing asked for and not stored yet: under way (polled), or refused by the worker.
    asked = None
    if not agency_signed:
        asked = device_signing.signing_request(document)
    elif kind == "minutes" and not receiver_signed:
        asked = device_signing.signing_request(document, SigningParty.RECEIVER)
    failed = asked.error if asked is not None else ""
    signing = asked is not None and not failed
    can_sign = not agency_signed and not signing and is_head_of(user, document.agency)
    return render_to_string(
        "requests_app/devices/signing_panel.html",
        {
            "obj": document,
            "kind": kind,
            "stored": stored,
            "reports": reports,
            "summary": verification_summary(reports) if stored else "",
            "all_valid": bool(reports) and all(r.ok for r in reports),
            "agency_signed": agency_signed,
            "receiver_signed": receiver_signed,
            "signing": signing,
            "signing_error": failed,
            "can_sign": can_sign,
            "desk": device_desk_context(request, kind, document) if can_sign else None,
            "can_countersign": kind == "minutes"
            and agency_signed
            and not receiver_signed
            and not signing
            and can_confirm_minutes(user, document),
        },
        request=request,
    )


def device_desk_context(request, kind: str, document) -> dict:
    """The desk signing button of a device document's signing card (for its agency head)."""
    return desk_urls(
        request,
        "requests_app:device_desk_prepare",
        "requests_app:device_desk_complete",
        [kind, document.pk],
    )


@login_required
@require_POST
def device_desk_prepare(request, kind: str, pk: int):
    document, _detail = device_document(request, kind, pk)
    try:
        desk = device_document_desk_prepare(document=document, by=request.user)
    except DomainError as exc:
        return refused_response(exc)
    return prepared_response(desk)


@login_required
@require_POST
def device_desk_complete(request, kind: str, pk: int):
    document, detail = device_document(request, kind, pk)
    return completed_response(
        request,
        lambda answer: device_document_desk_complete(document=document, by=request.user, **answer),
        redirect=reverse(detail, args=[document.pk]),
        success=_("Đã ký số, đóng dấu số và gửi %(document)s.") % {"document": document},
    )
