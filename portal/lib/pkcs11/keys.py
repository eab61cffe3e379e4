"""A token's private key as a `cryptography` private key (docs/ca.md, "Keys on tokens"): the
`cryptography` builders (certificate requests, certificates, CRLs, OCSP responses) and pyHanko
accept it, and it signs with C_Sign on the token; it cannot be exported."""

from __future__ import annotations

import hashlib

import pkcs11
from asn1crypto import algos as asn1_algos
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric import padding as asym_padding
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from pkcs11 import KeyType, Mechanism
from pkcs11.util.ec import encode_ecdsa_signature

from portal.lib.pkcs11.library import TokenError, token_errors
from portal.lib.pkcs11.objects import certificate_of_key, private_key

_DIGEST_INFO_NAMES = {"sha256": "sha256", "sha384": "sha384", "sha512": "sha512"}


def _digest(data: bytes, algorithm) -> tuple[str, bytes]:
    if isinstance(algorithm, Prehashed):
        return algorithm._algorithm.name, data
    if not isinstance(algorithm, hashes.HashAlgorithm) or algorithm.name not in _DIGEST_INFO_NAMES:
        raise TokenError("failed", f"unsupported hash {algorithm!r}")
    return algorithm.name, hashlib.new(algorithm.name, data).digest()


class _TokenKeyMixin:
    """What both key types share: the token's key handle and the public key read from SPKI."""

    def __init__(self, handle: pkcs11.PrivateKey, public_der: bytes):
        self._handle = handle
        self._public = serialization.load_der_public_key(public_der)

    def public_key(self):
        return self._public

    def _sign_raw(self, payload: bytes, mechanism: Mechanism) -> bytes:
        with token_errors():
            return self._handle.sign(payload, mechanism=mechanism)

    def private_bytes(self, *args, **kwargs):
        raise TokenError("failed", "a token key cannot be exported")

    def private_numbers(self):
        raise TokenError("failed", "a token key cannot be exported")

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self


class TokenRSAKey(_TokenKeyMixin, rsa.RSAPrivateKey):
    """An RSA private key that stays on the token: RSASSA-PKCS1-v1_5 through C_Sign."""

    @property
    def key_size(self) -> int:
        return self._public.key_size

    def sign(self, data: bytes, padding, algorithm) -> bytes:
        if not isinstance(padding, asym_padding.PKCS1v15):
            raise TokenError("failed", "only PKCS#1 v1.5 signatures are made on tokens")
        name, digest = _digest(data, algorithm)
        digest_info = asn1_algos.DigestInfo(
            {"digest_algorithm": {"algorithm": _DIGEST_INFO_NAMES[name]}, "digest": digest}
        ).dump()
        return self._sign_raw(digest_info, Mechanism.RSA_PKCS)

    def decrypt(self, ciphertext: bytes, padding) -> bytes:
        raise TokenError("failed", "token keys sign only")


class TokenECKey(_TokenKeyMixin, ec.EllipticCurvePrivateKey):
    """An EC private key that stays on the token: ECDSA through C_Sign, DER-encoded."""

    @property
    def curve(self):
        return self._public.curve

    @property
    def key_size(self) -> int:
        return self._public.curve.key_size

    def sign(self, data: bytes, signature_algorithm) -> bytes:
        _name, digest = _digest(data, signature_algorithm.algorithm)
        return encode_ecdsa_signature(self._sign_raw(digest, Mechanism.ECDSA))

    def exchange(self, algorithm, peer_public_key) -> bytes:
        raise TokenError("failed", "token keys sign only")


def signing_key(session: pkcs11.Session, *, key_id: bytes, public_der: bytes):
    """The token's private key `key_id` as a `cryptography` private key that signs on the
    token; valid while `session` is open."""
    handle = private_key(session, key_id)
    if handle.key_type == KeyType.RSA:
        return TokenRSAKey(handle, public_der)
    if handle.key_type == KeyType.EC:
        return TokenECKey(handle, public_der)
    raise TokenError("failed", f"unsupported key type {handle.key_type!r}")


def certified_signing_key(session: pkcs11.Session, *, key_id: bytes):
    """The token's private key `key_id` with the certificate stored beside it, as
    (`signing_key`, the certificate's DER); None when the token holds no certificate for it."""
    certificate_der = certificate_of_key(session, key_id=key_id)
    if certificate_der is None:
        return None
    public_der = (
        x509.load_der_x509_certificate(certificate_der)
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return signing_key(session, key_id=key_id, public_der=public_der), certificate_der
