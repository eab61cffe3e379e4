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
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from agencies.accounts.twofactor import address_qr_svg
from certificates.choices import SubjectKind
from certificates.desk.models import DeskSigning
from devices.models import RemoteCredential
from devices.permissions import is_ca
from remote_signing import services
from remote_signing.desk import (
    desk_answer,
    desk_credential,
    desk_digest_b64,
    desk_locked,
    desk_open,
)
from remote_signing.forms import ActivateForm, AuthorizeForm
from remote_signing.rules import RemoteSigningRefused

# The authenticator app's address (Key Uri Format): SHA-1, 6 digits, 30 s, as django-otp checks.
TOTP_ADDRESS = (
    "otpauth://totp/{label}?secret={secret}&issuer=CTS%20chuyen%20dung&digits=6&period=30"
)


def _desk_signing(request, desk_id) -> DeskSigning:
    return get_object_or_404(
        DeskSigning.objects.select_related("certificate"), pk=desk_id, user=request.user
    )


def _short_hash(desk_signing: DeskSigning) -> str:
    """The first 16 hexadecimal digits of the digest, in groups of four (as the signing
    client shows it)."""
    head = base64.b64decode(desk_digest_b64(desk_signing))[:8].hex().upper()
    return " ".join(head[i : i + 4] for i in range(0, 16, 4))


@login_required
@require_http_methods(["GET", "POST"])
def desk_authorize(request, desk_id):
    desk_signing = _desk_signing(request, desk_id)
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


@login_required
@require_GET
def desk_progress(request, desk_id):
    """Whether the signer has signed the request on the authorisation page: the signature and
    certificate as the signing client gives them, or what stops it."""
    desk_signing = _desk_signing(request, desk_id)
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
