"""The head's "Ký" at their own desk (requests_app/services/desk.py; docs/ca.md, "Signing at
the signer's desk"): two small JSON endpoints the letter's page (static/js/desk-signing.js)
calls around the signing client on the head's computer, and what the page needs to draw the
button. The service decides everything; a refusal is a JSON `{"error", "message"}` with 400."""

import base64
import binascii
import json
import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.http.request import RawPostDataException
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from certificates.desk.services import DeskAnswer, certificate_sha256, digest_of
from certificates.signing import SEAL_FIELD
from portal.errors import DomainError
from remote_signing.desk import desk_credential, desk_sim
from requests_app import services
from requests_app.models import CertRequest

# Larger than any signature and certificate in base64; a body past it is refused unread.
MAX_BODY = 64 * 1024


def portal_origin(request) -> str:
    """The origin the signing client must accept: PORTAL_PUBLIC_ORIGIN, else this request's."""
    return settings.PORTAL_PUBLIC_ORIGIN or f"{request.scheme}://{request.get_host()}"


def desk_urls(request, prepare: str, complete: str, args: list, prepare_args=None) -> dict:
    """What the page's desk signing block needs; `prepare_args` when the prepare URL names
    more than the document (a demand registration's revision as shown)."""
    return {
        "prepare_url": reverse(prepare, args=args if prepare_args is None else prepare_args),
        "complete_url": reverse(complete, args=args),
        "client_url": settings.PORTAL_SIGNING_CLIENT_URL,
        "wait_url": reverse("requests_app:desk_wait"),
        "origin": portal_origin(request),
    }


def desk_signing_context(request, cert_request: CertRequest, actions: set[str]) -> dict:
    """The desk signing button, for the head of a letter that waits for its signature from
    the head's own device (the same right as the upload)."""
    if "upload_signed" not in actions:
        return {"desk_signing": None}
    return {
        "desk_signing": desk_urls(
            request, "requests_app:desk_prepare", "requests_app:desk_complete", [cert_request.pk]
        )
        # the upload stays the fallback (templates/requests_app/partials/_signed_upload.html)
        | {"upload_anchor": "ky-ngoai", "seal_next": services.letter_awaiting_seal(cert_request)}
    }


def _letter(request, pk: int) -> CertRequest:
    return get_object_or_404(
        CertRequest.objects.visible_to(request.user).select_related("agency__province"), pk=pk
    )


def refused_response(exc: DomainError) -> JsonResponse:
    return JsonResponse({"error": exc.code or "refused", "message": str(exc.message)}, status=400)


def _recovery_url(certificate) -> str:
    """The device's page, where a locked device is reported and its recovery (Mẫu 06) is
    drafted (paperwork:device_recovery is the POST behind that page's button)."""
    if not certificate.device_id:
        return ""
    return reverse("devices:detail", args=[certificate.device_id])


@login_required
@require_POST
def letter_desk_prepare(request, pk: int):
    cert_request = _letter(request, pk)
    try:
        desk = services.letter_desk_prepare(cert_request=cert_request, by=request.user)
    except DomainError as exc:
        return refused_response(exc)
    return prepared_response(desk)


def _position_of(certificate) -> str:
    return certificate.person.position if certificate.person_id else ""


def prepared_response(
    desk, *, seal_field: str = SEAL_FIELD, signature_label: str | None = None
) -> JsonResponse:
    """The prepared request as the signing client takes it (plus the page's own fields). A
    document signed by another party names its own seal field and signature step."""
    seal = desk.field_name == seal_field
    # A key in the CA's HSM or on a SIM PKI is used from the portal's own popup, not the
    # signing client (docs/remote-signing.md, "Signing in the portal", "SIM PKI").
    on_sim = desk_sim(desk) is not None
    remote = on_sim or desk_credential(desk) is not None
    return JsonResponse(
        {
            "request_id": str(desk.pk),
            "nonce": desk.nonce,
            "expires_at": desk.expires_at.isoformat().replace("+00:00", "Z"),
            "document": {"number": desk.document_number, "title": desk.title},
            # The signing client names the signer from the certificate; a subject carries no
            # position (docs/domain.md §8), so the portal states it (docs/ca.md).
            "signer": {"position": _position_of(desk.certificate)},
            "digest_algorithm": "sha256",
            "digest": base64.b64encode(digest_of(desk)).decode(),
            "certificate_sha256": certificate_sha256(desk.certificate),
            "step": "seal" if seal else "signature",
            "step_label": _("Đóng dấu số của cơ quan")
            if seal
            else signature_label or _("Chữ ký của lãnh đạo"),
            "certificate_name": desk.certificate.common_name,
            "recovery_url": "" if remote else _recovery_url(desk.certificate),
            "remote_url": reverse("remote_signing:desk_authorize", args=[desk.pk])
            if remote
            else "",
            "remote_progress_url": reverse("remote_signing:desk_progress", args=[desk.pk])
            if remote
            else "",
            # what the page tells the signer to do: the SIM's PIN on the phone, or the
            # signing PIN and the authenticator's code in the popup
            "remote_kind": ("sim" if on_sim else "hsm") if remote else "",
        },
        status=201,
    )


def _answer(request) -> DeskAnswer:
    """The page's body: request_id, nonce, signature and certificate (base64), or ValueError.

    Whatever else comes is the caller's error, a 400 (docs/security.md §6): a multipart body,
    which the CSRF check has already read as a form, so the raw body is gone
    (RawPostDataException); JSON nested too deeply for the decoder (RecursionError)."""
    try:
        body = request.body
    except RawPostDataException as exc:
        raise ValueError("not a JSON body") from exc
    if len(body) > MAX_BODY:
        raise ValueError("too large")
    try:
        data = json.loads(body.decode("utf-8"))
    except RecursionError as exc:
        raise ValueError("nested too deeply") from exc
    if not isinstance(data, dict):
        raise ValueError("not an object")
    return DeskAnswer(
        desk_signing_id=str(uuid.UUID(str(data["request_id"]))),
        nonce=str(data["nonce"]),
        signature=base64.b64decode(str(data["signature"]), validate=True),
        certificate_der=base64.b64decode(str(data["certificate"]), validate=True),
    )


@login_required
@require_POST
def letter_desk_complete(request, pk: int):
    cert_request = _letter(request, pk)
    return completed_response(
        request,
        lambda answer: services.letter_desk_complete(
            cert_request=cert_request, by=request.user, answer=answer
        ),
        redirect=reverse("requests_app:detail", args=[cert_request.pk]),
        success=_("Đã ký số, đóng dấu số và gửi văn bản đến Sở Khoa học và Công nghệ."),
    )


def completed_response(request, complete, *, redirect: str, success: str) -> JsonResponse:
    """The page's POST after the client answered: its body read as a `DeskAnswer` and handed to
    `complete(answer=…)`, the document's service; then what the page does next."""
    try:
        answer = _answer(request)
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        return JsonResponse(
            {"error": "bad_body", "message": _("Kết quả ký gửi về cổng không hợp lệ.")},
            status=400,
        )
    try:
        done = complete(answer=answer)
    except DomainError as exc:
        return refused_response(exc)
    if done.document is None:
        return JsonResponse(
            {
                "status": "next",
                "message": _(
                    "Đã ký. Bước tiếp theo: đóng dấu số của cơ quan bằng thiết bị của cơ quan."
                ),
            }
        )
    messages.success(request, success)
    return JsonResponse({"status": "done", "redirect": redirect})


@login_required
@require_GET
def desk_wait(request):
    """The popup's first page, opened at the click (so no popup blocker stops it) while the
    portal prepares the document; the page then sends it to the client's confirmation page."""
    return render(request, "requests_app/desk_wait.html")
