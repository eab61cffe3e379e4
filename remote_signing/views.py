"""The portal's pages of the remote-signing service (docs/remote-signing.md, "Signing in the
portal"): the authorisation page a document's "Ký" opens when the signer's key is in the CA's
HSM, and the JSON the document's page polls until the signature is there
(static/js/desk-signing.js). The service decides everything (remote_signing/services.py)."""

import base64

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from certificates.choices import SubjectKind
from certificates.desk.models import DeskSigning, DeskState
from remote_signing import services
from remote_signing.desk import desk_answer, desk_credential, desk_digest_b64, desk_locked
from remote_signing.forms import AuthorizeForm
from remote_signing.rules import RemoteSigningRefused


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
    open_ = desk_signing.state == DeskState.PENDING and desk_signing.expires_at > timezone.now()
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
    if desk_signing.state != DeskState.PENDING or desk_signing.expires_at <= timezone.now():
        return JsonResponse({"status": "error", "error": "expired"})
    return JsonResponse({"status": "pending"})
