"""The Cloud Signature Consortium API (docs/remote-signing.md, "The CSC API"): the endpoints
that existing signing applications call (pyHanko's CSC signer among them), under their v1.0.4
and v2 names, each a POST of JSON answered in JSON.

The client application holds an OAuth 2.0 access token of the holder (django-oauth-toolkit:
authorization code with PKCE): scope `service` lists the holder's credentials and reads one,
scope `credential` authorises and signs. Errors are CSC's: `{"error", "error_description"}`
(the description in Vietnamese), 400 for a refused request, 401 without a good token, 403 for
a token without the scope.
"""

from __future__ import annotations

import base64
import json

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.conf import settings
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from oauth2_provider.oauth2_backends import get_oauthlib_core

from certificates.backends import get_backend
from certificates.choices import CertStatus
from certificates.models import Certificate
from devices.choices import CredentialState
from devices.models import RemoteCredential
from remote_signing import services
from remote_signing.rules import HASH_ALGORITHMS, RemoteSigningRefused

SPECS = {"v1": "1.0.4.0", "v2": "2.0.0.2"}
# Signature algorithms by key type (OIDs): the key's own, and with SHA-256/384/512.
RSA_ALGOS = [
    "1.2.840.113549.1.1.1",
    "1.2.840.113549.1.1.11",
    "1.2.840.113549.1.1.12",
    "1.2.840.113549.1.1.13",
]
EC_ALGOS = [
    "1.2.840.10045.2.1",
    "1.2.840.10045.4.3.2",
    "1.2.840.10045.4.3.3",
    "1.2.840.10045.4.3.4",
]
# The refusals' codes (remote_signing.rules) as CSC's error codes.
CSC_ERRORS = {
    "invalid_pin": "invalid_pin",
    "pin_policy": "invalid_pin",
    "invalid_otp": "invalid_otp",
}


def _error(error: str, description: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": error, "error_description": description}, status=status)


def _refusal(refused: RemoteSigningRefused) -> JsonResponse:
    return _error(CSC_ERRORS.get(refused.code, "invalid_request"), refused.message)


class _Refused(Exception):
    def __init__(self, response: JsonResponse):
        self.response = response


def _body(request) -> dict:
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested too deep
        body = None
    if not isinstance(body, dict):
        raise _Refused(_error("invalid_request", _("Thân yêu cầu phải là một đối tượng JSON.")))
    return body


def _holder(request, scope: str):
    """The token's user, if the token is good and carries `scope`."""
    core = get_oauthlib_core()
    valid, oauth = core.verify_request(request, scopes=[])
    if not valid or oauth.user is None:
        raise _Refused(_error("invalid_token", _("Thiếu hoặc sai mã truy cập (OAuth)."), 401))
    if scope not in oauth.access_token.scope.split():
        raise _Refused(
            _error(
                "insufficient_scope",
                _("Mã truy cập không có quyền “%(scope)s”.") % {"scope": scope},
                403,
            )
        )
    return oauth.user


def _credential(user, credential_id) -> RemoteCredential:
    found = (
        RemoteCredential.objects.select_related("device__holder")
        .filter(credential_id=str(credential_id)[:32], device__holder__user=user)
        .first()
    )
    if found is None:
        raise _Refused(_error("invalid_request", _("Không tìm thấy khóa ký số này của bạn.")))
    return found


def endpoint(scope: str | None):
    """A CSC endpoint: POST only, no CSRF (a bearer token, no cookie), JSON in and out."""

    def wrap(view):
        @csrf_exempt
        @require_POST
        def run(request, version: str):
            try:
                user = _holder(request, scope) if scope else None
                return view(request, version, user, _body(request))
            except _Refused as refused:
                return refused.response
            except RemoteSigningRefused as refused:
                return _refusal(refused)

        run.__name__ = view.__name__
        return run

    return wrap


@endpoint(scope=None)
def info(request, version, user, body):
    base = request.build_absolute_uri("/").rstrip("/")
    return JsonResponse(
        {
            "specs": SPECS[version],
            "name": _("Dịch vụ ký số tập trung (mô phỏng)"),
            "logo": f"{base}/static/img/favicon.svg",
            "region": "VN",
            "lang": "vi",
            "description": _("Ký số chuyên dùng công vụ với khóa trong HSM của CA."),
            "authType": ["oauth2code"],
            "oauth2": f"{base}/o/",
            "methods": [
                "credentials/list",
                "credentials/info",
                "credentials/authorize",
                "signatures/signHash",
            ],
        }
    )


@endpoint(scope="service")
def credentials_list(request, version, user, body):
    ids = list(
        RemoteCredential.objects.filter(
            device__holder__user=user, state=CredentialState.ISSUED
        ).values_list("credential_id", flat=True)
    )
    return JsonResponse({"credentialIDs": ids})


def _certificate(credential: RemoteCredential) -> Certificate | None:
    return Certificate.objects.on_device(credential.device).select_related("issuer").first()


@endpoint(scope="service")
def credentials_info(request, version, user, body):
    credential = _credential(user, body.get("credentialID", ""))
    certificate = _certificate(credential)
    public = x509.load_der_x509_certificate(bytes(certificate.der)).public_key()
    algos, length = (
        (RSA_ALGOS, public.key_size)
        if isinstance(public, rsa.RSAPublicKey)
        else (
            EC_ALGOS,
            public.curve.key_size if isinstance(public, ec.EllipticCurvePublicKey) else 0,
        )
    )
    chain = [bytes(certificate.der)]
    if body.get("certificates", "single") == "chain":
        chain += get_backend().chain(authority=certificate.issuer)
    control = getattr(credential, "control", None)
    enabled = (
        credential.state == CredentialState.ISSUED
        and control is not None
        and (control.state == "active")
    )
    return JsonResponse(
        {
            "key": {"status": "enabled" if enabled else "disabled", "algo": algos, "len": length},
            "cert": {
                "status": "valid" if certificate.status == CertStatus.VALID else "revoked",
                "certificates": [base64.b64encode(der).decode("ascii") for der in chain],
                "serialNumber": certificate.serial,
                "subjectDN": certificate.subject_dn,
                "issuerDN": certificate.issuer.subject_dn,
                "validFrom": certificate.not_before.strftime("%Y%m%d%H%M%SZ"),
                "validTo": certificate.not_after.strftime("%Y%m%d%H%M%SZ"),
            },
            "authMode": "explicit",
            "PIN": {"presence": "true", "format": "N", "label": "PIN"},
            "OTP": {"presence": "true", "type": "offline", "format": "N", "label": "OTP"},
            "multisign": settings.REMOTE_SIGNING_MAX_HASHES,
            "SCAL": "2",
            "lang": "vi",
        }
    )


def _hash_algorithm_of(hashes) -> str:
    """The algorithm of hashes authorised without naming it (CSC v1): by their length."""
    sizes = {size: oid for oid, (_name, size) in HASH_ALGORITHMS.items()}
    if isinstance(hashes, list) and hashes and isinstance(hashes[0], str):
        try:
            return sizes.get(len(base64.b64decode(hashes[0], validate=True)), "")
        except ValueError:
            return ""
    return ""


@endpoint(scope="credential")
def credentials_authorize(request, version, user, body):
    credential = _credential(user, body.get("credentialID", ""))
    hashes = body.get("hash")
    if hashes is None:
        raise _Refused(_error("invalid_request", _("Cần gửi các giá trị băm cần ký (SCAL 2).")))
    num = body.get("numSignatures")
    if not isinstance(num, int) or isinstance(hashes, list) and num != len(hashes):
        raise _Refused(
            _error("invalid_request", _("“numSignatures” phải bằng số giá trị băm gửi kèm."))
        )
    algorithm = body.get("hashAlgorithmOID") or _hash_algorithm_of(hashes)
    token = services.signature_authorize(
        credential=credential,
        hashes=hashes,
        hash_algorithm=algorithm,
        pin=str(body.get("PIN", "")),
        otp=str(body.get("OTP", "")),
        by=user,
    )
    return JsonResponse({"SAD": token, "expiresIn": settings.REMOTE_SIGNING_AUTHORIZATION_SECONDS})


@endpoint(scope="credential")
def signatures_sign_hash(request, version, user, body):
    credential = _credential(user, body.get("credentialID", ""))
    sign_algo = str(body.get("signAlgo", ""))
    public = x509.load_der_x509_certificate(bytes(_certificate(credential).der)).public_key()
    allowed = RSA_ALGOS if isinstance(public, rsa.RSAPublicKey) else EC_ALGOS
    if sign_algo not in allowed:
        raise _Refused(
            _error(
                "invalid_request",
                _("Thuật toán ký “%(algo)s” không dùng được với khóa này.")
                % {"algo": sign_algo[:64]},
            )
        )
    signatures = services.hashes_sign(
        credential=credential,
        token=str(body.get("SAD", "")),
        hashes=body.get("hash"),
        hash_algorithm=str(body.get("hashAlgo", "")),
        by=user,
    )
    return JsonResponse(
        {"signatures": [base64.b64encode(signature).decode("ascii") for signature in signatures]}
    )
