"""The simulated CA's time-stamping authority (RFC 3161, RFC 5816): its certificate, the
requests it reads and the answers it signs (docs/ca.md, "Time-stamping authority").

Pure construction with `cryptography` and asn1crypto (`tsp`, `cms`: every structure is theirs,
no DER is written by hand); nothing here reads or writes the database. The backend
(`simulated.SimulatedCABackend`) decides who signs and what the registry keeps.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

from certificates.backends.x509build import (
    SHA256,
    ca_name,
    new_serial,
    sign_under,
)

# Message imprints the TSA stamps (RFC 3161 §2.4.1: a TSA refuses a hash it deems weak).
ACCEPTED_HASHES = {"sha256": 32, "sha384": 48, "sha512": 64}
# The largest nonce echoed: 256 bits (clients send 64).
MAX_NONCE_BITS = 256
ACCURACY_SECONDS = 1


class TimeStampResp(tsp.TimeStampResp):
    """RFC 3161 §2.4.2's TimeStampResp, whose timeStampToken is OPTIONAL (absent from a
    rejection); asn1crypto 1.5 declares it required."""

    _fields = [
        ("status", tsp.PKIStatusInfo),
        ("time_stamp_token", cms.ContentInfo, {"optional": True}),
    ]


class TimestampRefused(Exception):
    """A request the TSA answers with a rejection: `failure` is a PKIFailureInfo bit name."""

    def __init__(self, failure: str, text: str):
        super().__init__(text)
        self.failure = failure
        self.text = text


@dataclass(frozen=True)
class ParsedRequest:
    hash_algorithm: str
    message_imprint: dict  # the request's MessageImprint, copied into the token as is
    digest: bytes
    nonce: int | None
    cert_req: bool


# --- the TSA's certificate -----------------------------------------------------------------
def build_tsa_certificate(
    *, key, common_name: str, issuer, issuer_pk: int, now: datetime, not_after: datetime
) -> x509.Certificate:
    """The TSA's certificate under `issuer` (a loaded issuing CA): a critical extendedKeyUsage
    with id-kp-timeStamping only (RFC 3161 §2.3), digitalSignature + nonRepudiation."""
    builder = (
        x509.CertificateBuilder()
        .subject_name(ca_name(common_name))
        .issuer_name(issuer.certificate.subject)
        .public_key(key.public_key())
        .serial_number(new_serial())
        .not_valid_before(now)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
    )
    return sign_under(builder, key=key, issuer=issuer, issuer_pk=issuer_pk)


# --- requests ------------------------------------------------------------------------------
def parse_request(request_der: bytes, *, policy: str) -> ParsedRequest:
    """The TimeStampReq in `request_der`, checked; `TimestampRefused` says why not."""
    try:
        request = tsp.TimeStampReq.load(request_der, strict=True)
        version = request["version"].native
        imprint = request["message_imprint"]
        algorithm = imprint["hash_algorithm"]["algorithm"].native
        digest = imprint["hashed_message"].native
        requested_policy = request["req_policy"].native
        nonce = request["nonce"].native
        cert_req = bool(request["cert_req"].native)
        has_extensions = bool(request["extensions"].native)
    except (ValueError, TypeError, KeyError) as error:
        raise TimestampRefused("bad_data_format", "not a DER TimeStampReq") from error
    if version != "v1":
        raise TimestampRefused("bad_request", "only version 1 requests are answered")
    if algorithm not in ACCEPTED_HASHES:
        raise TimestampRefused("bad_alg", "the message imprint's hash must be SHA-256/384/512")
    if len(digest) != ACCEPTED_HASHES[algorithm]:
        raise TimestampRefused("bad_data_format", "the message imprint has the wrong length")
    if requested_policy is not None and requested_policy != policy:
        raise TimestampRefused("unaccepted_policy", f"the TSA's only policy is {policy}")
    if has_extensions:
        raise TimestampRefused("unaccepted_extensions", "no request extension is supported")
    if nonce is not None and (nonce < 0 or nonce.bit_length() > MAX_NONCE_BITS):
        raise TimestampRefused("bad_data_format", "the nonce is out of range")
    return ParsedRequest(
        hash_algorithm=algorithm,
        message_imprint=imprint,
        digest=digest,
        nonce=nonce,
        cert_req=cert_req,
    )


# --- answers -------------------------------------------------------------------------------
def rejection(failure: str, text: str) -> bytes:
    """An unsigned TimeStampResp with status rejection and `failure` (a PKIFailureInfo bit)."""
    return TimeStampResp(
        {
            "status": {
                "status": "rejection",
                "status_string": [text],
                "fail_info": tsp.PKIFailureInfo({failure}),
            }
        }
    ).dump()


def reply_status(reply_der: bytes) -> tuple[str, str]:
    """(status, first failure bit or "") of a TimeStampResp."""
    status = TimeStampResp.load(reply_der)["status"]
    failures = status["fail_info"].native if status["fail_info"].native else set()
    return status["status"].native, min(failures, default="")


@dataclass(frozen=True)
class _Signer:
    """What every token of one TSA certificate repeats, computed once per process and kept as
    DER: a structure loaded from its bytes goes into a new one without being copied and
    encoded again (asn1crypto re-encodes a parsed value, the certificate included: 10 ms)."""

    certificate: bytes
    sid: bytes
    signing_certificate: bytes
    tsa_name: bytes


@lru_cache(maxsize=8)
def _signer(certificate_der: bytes) -> _Signer:
    certificate = asn1_x509.Certificate.load(certificate_der)
    issuer_serial = {
        "issuer": [asn1_x509.GeneralName({"directory_name": certificate.issuer})],
        "serial_number": certificate.serial_number,
    }
    # ESSCertIDv2 with its default hash (SHA-256) left out, as DER wants (RFC 5816 §2.2.1).
    ess_cert_id = tsp.ESSCertIDv2(
        {"cert_hash": hashlib.sha256(certificate_der).digest(), "issuer_serial": issuer_serial}
    )
    return _Signer(
        certificate=certificate_der,
        sid=cms.SignerIdentifier(
            {
                "issuer_and_serial_number": {
                    "issuer": certificate.issuer,
                    "serial_number": certificate.serial_number,
                }
            }
        ).dump(),
        signing_certificate=cms.CMSAttribute(
            {"type": "signing_certificate_v2", "values": [{"certs": [ess_cert_id]}]}
        ).dump(),
        tsa_name=asn1_x509.GeneralName({"directory_name": certificate.subject}).dump(),
    )


def _signature(private_key, data: bytes) -> tuple[bytes, str]:
    """The signature of `data` with SHA-256 and its CMS algorithm name: RSASSA-PKCS1-v1_5 for
    an RSA key, ECDSA for an EC key (on the HSM, C_Sign through the key object)."""
    if isinstance(private_key, rsa.RSAPrivateKey):
        return private_key.sign(data, padding.PKCS1v15(), SHA256), "sha256_rsa"
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        return private_key.sign(data, ec.ECDSA(SHA256)), "sha256_ecdsa"
    raise TypeError(f"the TSA cannot sign with {type(private_key).__name__}")


def build_token(
    *,
    request: ParsedRequest,
    certificate_der: bytes,
    private_key,
    serial: int,
    gen_time: datetime,
    policy: str,
) -> bytes:
    """The granted TimeStampResp: TSTInfo (version 1, `policy`, the request's imprint,
    `serial`, `gen_time`, accuracy 1 s, ordering false, the nonce echoed, the TSA's name) in
    a CMS SignedData signed over content-type, message-digest and signing-certificate-v2, the
    TSA's certificate included when the request asks for it (RFC 3161 §2.4.2)."""
    signer = _signer(certificate_der)
    info = {
        "version": "v1",
        "policy": policy,
        "message_imprint": request.message_imprint,
        "serial_number": serial,
        "gen_time": gen_time.astimezone(UTC).replace(microsecond=0),
        "accuracy": {"seconds": ACCURACY_SECONDS},
        "tsa": asn1_x509.GeneralName.load(signer.tsa_name),
    }
    if request.nonce is not None:
        info["nonce"] = request.nonce
    tst_info = tsp.TSTInfo(info)  # ordering false: the DEFAULT, left out in DER
    content = tst_info.dump()
    signed_attrs = cms.CMSAttributes(
        [
            cms.CMSAttribute({"type": "content_type", "values": ["tst_info"]}),
            cms.CMSAttribute(
                {"type": "message_digest", "values": [hashlib.sha256(content).digest()]}
            ),
            cms.CMSAttribute.load(signer.signing_certificate),
        ]
    )
    # The signature covers the attributes' DER as a SET OF (RFC 5652 §5.4), sorted by asn1crypto.
    signature, signature_algorithm = _signature(private_key, signed_attrs.dump())
    digest_algorithm = algos.DigestAlgorithm({"algorithm": "sha256"})
    signed_data = {
        "version": "v3",
        "digest_algorithms": [digest_algorithm],
        "encap_content_info": {
            "content_type": "tst_info",
            "content": core.ParsableOctetString(content),
        },
        "signer_infos": [
            {
                "version": "v1",
                "sid": cms.SignerIdentifier.load(signer.sid),
                "digest_algorithm": digest_algorithm,
                "signed_attrs": signed_attrs,
                "signature_algorithm": {"algorithm": signature_algorithm},
                "signature": signature,
            }
        ],
    }
    if request.cert_req:
        signed_data["certificates"] = [asn1_x509.Certificate.load(signer.certificate)]
    return TimeStampResp(
        {
            "status": {"status": "granted"},
            "time_stamp_token": {
                "content_type": "signed_data",
                "content": cms.SignedData(signed_data),
            },
        }
    ).dump()
