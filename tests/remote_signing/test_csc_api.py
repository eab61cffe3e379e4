"""The CSC API (docs/remote-signing.md, "The CSC API"): an OAuth 2.0 token obtained by the
authorization-code flow with PKCE; pyHanko's own CSC client, unmodified, signs a PDF over HTTP
against the running portal, and pdfsig and the portal's validator find the signature valid;
the API's errors in CSC's shape; a token without the `credential` scope signs nothing."""

import asyncio
import base64
import hashlib
import json
import secrets
from io import BytesIO
from urllib.parse import parse_qs, urlparse

import aiohttp
import pytest
from django.urls import reverse
from oauth2_provider.models import Application
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.signers.csc_signer import (
    CSCAuthorizationManager,
    CSCServiceSessionInfo,
    CSCSigner,
    fetch_certs_in_csc_credential,
)

from certificates import services as ca
from certificates.models import CertificateAuthority
from certificates.signing import verify_pdf
from remote_signing.models import SignatureAuthorization
from tests.certificates.pdf_tools import minimal_pdf, pdfsig_sections
from tests.helpers import off_the_browser_loop, sign_in
from tests.remote_signing.world import PIN, activated, digest_of, openssl_verifies

REDIRECT = "https://ky-so.thu-nghiem.gov.vn/callback"


def access_token(client, user, scope: str = "service credential") -> str:
    """The holder's token for a client application, as the application gets it: the holder,
    signed in, allows it on the portal's page; the code comes back with the PKCE verifier."""
    application = Application.objects.create(
        name="Ứng dụng ký thử",
        client_type=Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=REDIRECT,
    )
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    asked = {
        "response_type": "code",
        "client_id": application.client_id,
        "redirect_uri": REDIRECT,
        "scope": scope,
        "state": "trang-thai",
        "code_challenge": challenge.decode().rstrip("="),
        "code_challenge_method": "S256",
    }
    sign_in(client, user)
    page = client.get("/o/authorize/", asked)
    shown = page.content.decode()
    assert page.status_code == 200 and "Ứng dụng <strong>Ứng dụng ký thử</strong>" in shown
    assert "Ký số bằng khóa ký số tập trung của bạn" in shown or scope == "service"
    allowed = client.post("/o/authorize/", {**asked, "allow": "Authorize"})
    assert allowed.status_code == 302, allowed.content[:500]
    code = parse_qs(urlparse(allowed["Location"]).query)["code"][0]
    client.logout()
    answer = client.post(
        "/o/token/",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": application.client_id,
            "code_verifier": verifier,
        },
    )
    assert answer.status_code == 200, answer.content
    return answer.json()["access_token"]


class PinAndCode(CSCAuthorizationManager):
    """The holder's consent to the hashes pyHanko is about to sign: their PIN and the code of
    their authenticator app, sent to `credentials/authorize` (SCAL 2: bound to the hashes)."""

    def __init__(self, session_info, credential_info, session, holder):
        super().__init__(session_info, credential_info)
        self.session = session
        self.holder = holder

    async def authorize_signature(self, hash_b64s):
        body = self.format_csc_auth_request(pin=PIN, otp=self.holder.code(), hash_b64s=hash_b64s)
        url = self.csc_session_info.endpoint_url("credentials/authorize")
        async with self.session.post(
            url, headers=self.auth_headers, json=body, raise_for_status=True
        ) as response:
            return self.parse_csc_auth_response(await response.json())


async def _sign_with_pyhanko(url, credential_id, token, holder, pdf: bytes) -> bytes:
    async with aiohttp.ClientSession() as session:
        session_info = CSCServiceSessionInfo(
            service_url=url, credential_id=credential_id, oauth_token=token, api_ver="v1"
        )
        credential_info = await fetch_certs_in_csc_credential(session, session_info)
        signer = CSCSigner(
            session,
            auth_manager=PinAndCode(session_info, credential_info, session, holder),
        )
        out = await signers.async_sign_pdf(
            IncrementalPdfFileWriter(BytesIO(pdf)),
            signers.PdfSignatureMetadata(field_name="ChuKy1"),
            signer=signer,
        )
        return out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_pyhankos_csc_signer_signs_a_pdf_the_portal_and_pdfsig_find_valid(
    live_server, client, cast, tmp_path
):
    ca.ca_initialize()
    holder = activated(cast)
    token = access_token(client, holder.user)

    # In a thread of its own: a browser test earlier in this process leaves Playwright's
    # loop running in this one.
    signed = off_the_browser_loop(
        lambda: asyncio.run(
            _sign_with_pyhanko(
                live_server.url, holder.credential.credential_id, token, holder, minimal_pdf()
            )
        )
    )

    (report,) = off_the_browser_loop(lambda: verify_pdf(signed, agency=cast.agency_a))
    assert report.ok and report.intact and report.trusted
    certificate = holder.credential.device.certificates.get()
    assert report.signer_serial == certificate.serial
    authorities = type(
        "Authorities",
        (),
        {
            "root": CertificateAuthority.objects.get(kind="root"),
            "issuing": CertificateAuthority.objects.get(kind="issuing"),
        },
    )
    (section,) = pdfsig_sections(signed, authorities, tmp_path)
    assert "Signature Validation: Signature is Valid." in section
    assert "Certificate Validation: Certificate is Trusted." in section
    assert SignatureAuthorization.objects.get().used_at is not None


def _post(client, name, token, body, version="v1"):
    return client.post(
        reverse(f"remote_signing:{name}", args=[version]),
        data=json.dumps(body),
        content_type="application/json",
        headers={"authorization": f"Bearer {token}"} if token else {},
    )


@pytest.mark.django_db
@pytest.mark.usefixtures("ca")
@pytest.mark.parametrize("version", ["v1", "v2"])
def test_the_endpoints_answer_under_both_versions(client, cast, version, tmp_path):
    holder = activated(cast)
    token = access_token(client, holder.user)
    credential_id = holder.credential.credential_id

    info = _post(client, "csc_info", None, {}, version).json()
    listed = _post(client, "csc_list", token, {}, version).json()
    read = _post(client, "csc_cred_info", token, {"credentialID": credential_id}, version).json()
    hashes = [digest_of("x")]
    sad = _post(
        client, "csc_authorize", token,
        {"credentialID": credential_id, "numSignatures": 1, "hash": hashes, "PIN": PIN,
         "OTP": holder.code()},
        version,
    ).json()["SAD"]  # fmt: skip
    signed = _post(
        client, "csc_sign_hash", token,
        {"credentialID": credential_id, "SAD": sad, "hash": hashes,
         "hashAlgo": "2.16.840.1.101.3.4.2.1", "signAlgo": "1.2.840.113549.1.1.1"},
        version,
    ).json()  # fmt: skip

    assert info["specs"] == {"v1": "1.0.4.0", "v2": "2.0.0.2"}[version]
    assert "signatures/signHash" in info["methods"]
    assert listed == {"credentialIDs": [credential_id]}
    assert read["key"]["status"] == "enabled" and read["SCAL"] == "2"
    assert read["cert"]["serialNumber"] == holder.credential.device.certificates.get().serial
    (signature,) = signed["signatures"]
    assert openssl_verifies(
        holder.credential.public_key_der, hashes[0], base64.b64decode(signature), tmp_path
    )


@pytest.mark.django_db
@pytest.mark.usefixtures("ca")
def test_a_token_without_the_credential_scope_signs_nothing(client, cast):
    holder = activated(cast)
    token = access_token(client, holder.user, scope="service")

    answer = _post(
        client, "csc_authorize", token,
        {"credentialID": holder.credential.credential_id, "numSignatures": 1,
         "hash": [digest_of("x")], "PIN": PIN, "OTP": holder.code()},
    )  # fmt: skip

    assert answer.status_code == 403
    assert answer.json()["error"] == "insufficient_scope"
    assert not SignatureAuthorization.objects.exists()


@pytest.mark.django_db
@pytest.mark.usefixtures("ca")
def test_errors_come_in_the_csc_shape(client, cast):
    holder = activated(cast)
    token = access_token(client, holder.user)
    credential_id = holder.credential.credential_id

    no_token = _post(client, "csc_list", None, {})
    wrong_pin = _post(
        client, "csc_authorize", token,
        {"credentialID": credential_id, "numSignatures": 1, "hash": [digest_of("x")],
         "PIN": "000000", "OTP": holder.code()},
    )  # fmt: skip
    someone_elses = _post(client, "csc_cred_info", token, {"credentialID": "ab" * 16})
    not_json = client.post(
        reverse("remote_signing:csc_list", args=["v1"]),
        data="{",
        content_type="application/json",
        headers={"authorization": f"Bearer {token}"},
    )

    assert no_token.status_code == 401 and no_token.json()["error"] == "invalid_token"
    assert wrong_pin.status_code == 400
    assert wrong_pin.json()["error"] == "invalid_pin"
    assert "Còn 4 lần thử" in wrong_pin.json()["error_description"]
    assert someone_elses.json() == {
        "error": "invalid_request",
        "error_description": "Không tìm thấy khóa ký số này của bạn.",
    }
    assert not_json.status_code == 400 and not_json.json()["error"] == "invalid_request"
