"""The portal's pages of the remote-signing service (docs/remote-signing.md, "Signing in the
portal" and "The holder's pages"): the authorisation page a document's "Ký" opens when the
signer's key is in the CA's HSM, and the JSON the document's page polls until the signature is
there (static/js/desk-signing.js); the holder's list of credentials, their activation and
"lock now"; the CA operator's activation code. The service decides everything
(remote_signing/services.py)."""

import base64
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from agencies.accounts.twofactor import address_qr_svg
from certificates.choices import SubjectKind
from certificates.desk.models import DeskSigning
from devices.models import RemoteCredential
from devices.permissions import is_ca
from privacy.masking import mask_phone
from remote_signing import gateway, services
from remote_signing.desk import (
    desk_answer,
    desk_credential,
    desk_digest_b64,
    desk_locked,
    desk_mobile_status,
    desk_open,
    desk_sim,
    mobile_answer,
    status_code,
)
from remote_signing.forms import ActivateForm, AuthorizeForm, SimPinForm
from remote_signing.models import MobileSignature
from remote_signing.rules import RemoteSigningRefused

# The authenticator app's address (Key Uri Format): SHA-1, 6 digits, 30 s, as django-otp checks.
TOTP_ADDRESS = (
    "otpauth://totp/{label}?secret={secret}&issuer=CTS%20chuyen%20dung&digits=6&period=30"
)


def _desk_signing(request, desk_id) -> DeskSigning:
    return get_object_or_404(
        DeskSigning.objects.select_related("certificate"), pk=desk_id, user=request.user
    )


def _short_digest(digest_b64: str) -> str:
    """The first 16 hexadecimal digits of a digest, in groups of four (as the signing client
    shows it)."""
    head = base64.b64decode(digest_b64)[:8].hex().upper()
    return " ".join(head[i : i + 4] for i in range(0, 16, 4))


def _short_hash(desk_signing: DeskSigning) -> str:
    return _short_digest(desk_digest_b64(desk_signing))


@login_required
@require_http_methods(["GET", "POST"])
def desk_authorize(request, desk_id):
    desk_signing = _desk_signing(request, desk_id)
    sim = desk_sim(desk_signing)
    if sim is not None:
        return _desk_mobile(request, desk_signing, sim)
    open_ = desk_open(desk_signing)
    signed = desk_answer(desk_signing) is not None
    form = AuthorizeForm(request.POST or None)
    error = ""
    if request.method == "POST" and open_ and not signed and form.is_valid():
        try:
            services.desk_digest_sign(
                desk_signing_id=desk_signing.pk,
                pin=form.cleaned_data["pin"],
                otp=form.cleaned_data["otp"],
                by=request.user,
            )
            signed = True
        except RemoteSigningRefused as refused:
            error = str(refused.message)
            form = AuthorizeForm()  # a code is good once: both asked again
    return render(
        request,
        "remote_signing/desk_authorize.html",
        {
            "desk_signing": desk_signing,
            "seal": desk_signing.certificate.subject_kind == SubjectKind.ORGANIZATION,
            "short_hash": _short_hash(desk_signing),
            "remote": desk_credential(desk_signing) is not None,
            "open": open_,
            "signed": signed,
            "form": form,
            "error": error,
        },
        status=400 if error else 200,
    )


# The gateway's answers as the document's page reads them (static/js/desk-signing.js).
MOBILE_ERRORS = {401: "cancelled", 402: "pin_locked", 208: "expired"}


def _desk_mobile(request, desk_signing, sim):
    """The popup for a SIM PKI: what is signed, then "send to my phone"; once sent, what to
    do on the phone. The document's page polls `desk_progress` as for the other ways."""
    open_ = desk_open(desk_signing)
    short_hash = _short_hash(desk_signing)
    status = status_code(desk_mobile_status(desk_signing))
    error = ""
    if request.method == "POST" and open_ and status is None:
        try:
            services.desk_mobile_ask(
                desk_signing_id=desk_signing.pk, short_hash=short_hash, by=request.user
            )
            status = 504
        except RemoteSigningRefused as refused:
            error = str(refused.message)
    return render(
        request,
        "remote_signing/desk_mobile.html",
        {
            "desk_signing": desk_signing,
            "seal": desk_signing.certificate.subject_kind == SubjectKind.ORGANIZATION,
            "short_hash": short_hash,
            "phone": mask_phone(sim.phone),
            "open": open_,
            "sent": status is not None,
            "signed": status == 500,
            "ended": MOBILE_ERRORS.get(status, ""),
            "error": error,
        },
        status=400 if error else 200,
    )


@login_required
@require_GET
def desk_progress(request, desk_id):
    """Whether the signer has signed the request on the authorisation page: the signature and
    certificate as the signing client gives them, or what stops it."""
    desk_signing = _desk_signing(request, desk_id)
    if desk_sim(desk_signing) is not None:  # the gateway asked once
        status = desk_mobile_status(desk_signing)
        answer = mobile_answer(desk_signing, status)
        ended = MOBILE_ERRORS.get(status_code(status))
        if answer is None and ended:
            return JsonResponse({"status": "error", "error": ended})
    else:
        answer = desk_answer(desk_signing)
    if answer is not None:
        return JsonResponse(
            {
                "status": "done",
                "request_id": answer.desk_signing_id,
                "signature": base64.b64encode(answer.signature).decode("ascii"),
                "certificate": base64.b64encode(answer.certificate_der).decode("ascii"),
            }
        )
    if desk_locked(desk_signing):
        return JsonResponse({"status": "error", "error": "pin_locked"})
    if not desk_open(desk_signing):
        return JsonResponse({"status": "error", "error": "expired"})
    return JsonResponse({"status": "pending"})


# --- the holder's credentials and the CA's activation code ----------------------------------
def _held(request, credential_id: str) -> RemoteCredential:
    return get_object_or_404(
        RemoteCredential.objects.select_related("device"),
        credential_id=credential_id,
        device__holder__user=request.user,
    )


@login_required
@require_GET
def credentials_mine(request):
    """The signed-in person's remote-signing credentials: state, last use, the actions."""
    credentials = (
        RemoteCredential.objects.filter(device__holder__user=request.user)
        .select_related("device", "control")
        .prefetch_related("device__certificates")
        .order_by("-keyed_at")
    )
    return render(request, "remote_signing/mine.html", {"credentials": credentials})


@login_required
@require_http_methods(["GET", "POST"])
def credential_activate(request, credential_id):
    """The holder types the CA's activation code and chooses a signing PIN; the page then
    shows the authenticator's secret once, as text and as a QR code."""
    credential = _held(request, credential_id)
    form = ActivateForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            secret = services.credential_activate(
                credential=credential,
                code=form.cleaned_data["code"],
                pin=form.cleaned_data["pin"],
                by=request.user,
            )
        except RemoteSigningRefused as refused:
            error = str(refused.message)
        else:
            address = TOTP_ADDRESS.format(
                label=quote(f"{request.user.get_username()} {credential.credential_id[:8]}"),
                secret=secret.rstrip("="),
            )
            return render(
                request,
                "remote_signing/activated.html",
                {
                    "credential": credential,
                    "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
                    "qr_svg": address_qr_svg(address),
                },
            )
    return render(
        request,
        "remote_signing/activate.html",
        {"credential": credential, "form": form, "error": error},
        status=400 if error else 200,
    )


@login_required
@require_POST
def credential_lock(request, credential_id):
    credential = _held(request, credential_id)
    try:
        services.credential_lock(credential=credential, by=request.user)
    except RemoteSigningRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request,
            _(
                "Đã khóa khóa ký số. Không ai ký được bằng khóa này cho đến khi CA cấp mã kích "
                "hoạt mới (Mẫu 06)."
            ),
        )
    return redirect("remote_signing:mine")


@login_required
@require_POST
def credential_code_issue(request, credential_id):
    """A CA operator issues a new activation code for a credential, shown once on this page."""
    if not is_ca(request.user):
        raise PermissionDenied
    credential = get_object_or_404(
        RemoteCredential.objects.select_related("device__holder"), credential_id=credential_id
    )
    try:
        code = services.activation_code_issue(credential=credential, by=request.user)
    except RemoteSigningRefused as refused:
        messages.error(request, refused.message)
        return redirect("devices:detail", credential.device_id)
    return render(
        request, "remote_signing/code_issued.html", {"credential": credential, "code": code}
    )


# --- the SIM holder's phone -------------------------------------------------------------------
@login_required
@require_GET
def phone(request):
    """The phone's signing prompt, standing in for the SIM toolkit's: each request waiting on
    the SIMs the user holds, with the text the provider sent, the hash and the PIN."""
    waiting = list(
        MobileSignature.objects.outstanding_for(request.user, timezone.now()).select_related(
            "sim__device"
        )
    )
    for item in waiting:
        item.short_hash = _short_digest(item.digest)
    return render(request, "remote_signing/phone.html", {"waiting": waiting, "form": SimPinForm()})


@login_required
@require_POST
def phone_answer(request, transaction_id):
    """The holder's answer on the phone: sign with the SIM's PIN, or refuse."""
    try:
        if "refuse" in request.POST:
            gateway.sim_cancel(transaction_id=transaction_id, by=request.user)
            messages.info(request, _("Đã từ chối yêu cầu ký."))
        else:
            form = SimPinForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("Nhập mã PIN của SIM (4 đến 16 chữ số)."))
                return redirect("remote_signing:phone")
            gateway.sim_sign(
                transaction_id=transaction_id, pin=form.cleaned_data["pin"], by=request.user
            )
            messages.success(request, _("Đã ký. Cổng đang gắn chữ ký vào văn bản."))
    except RemoteSigningRefused as refused:
        messages.error(request, refused.message)
    return redirect("remote_signing:phone")
