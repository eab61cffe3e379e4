"""What a token holds (docs/ca.md, "Keys on tokens"): key pairs generated inside it, the
private key sensitive and never extractable, and certificates beside them (same CKA_ID)."""

from __future__ import annotations

import pkcs11
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from pkcs11 import Attribute, KeyType, ObjectClass
from pkcs11 import exceptions as p11_errors
from pkcs11.util.ec import encode_ec_public_key, encode_named_curve_parameters
from pkcs11.util.rsa import encode_rsa_public_key

from portal.lib.pkcs11.library import TokenError, store_lock, token_errors

# Key algorithms by the names of certificates.choices.KeyAlgorithm (this floor cannot import it).
RSA_BITS = {"rsa2048": 2048, "rsa3072": 3072, "rsa4096": 4096}
EC_CURVES = {"ec_p256": "secp256r1"}


def keypair_generate(
    session: pkcs11.Session, *, key_id: bytes, label: str, algorithm: str
) -> bytes:
    """A key pair generated inside the token: the private key sensitive, never extractable,
    for signing only. Returns the public key as SubjectPublicKeyInfo DER."""
    private_template = {
        Attribute.TOKEN: True,
        Attribute.PRIVATE: True,
        Attribute.SENSITIVE: True,
        Attribute.EXTRACTABLE: False,
        Attribute.SIGN: True,
        Attribute.DECRYPT: False,
        Attribute.UNWRAP: False,
    }
    public_template = {Attribute.TOKEN: True, Attribute.VERIFY: True}
    common = {"id": key_id, "label": label, "store": True}
    with token_errors(), store_lock():  # writes the store
        if algorithm in RSA_BITS:
            public, _private = session.generate_keypair(
                KeyType.RSA,
                RSA_BITS[algorithm],
                public_template=public_template,
                private_template=private_template,
                **common,
            )
            return asn1_keys.PublicKeyInfo(
                {
                    "algorithm": {"algorithm": "rsa"},
                    "public_key": asn1_keys.RSAPublicKey.load(encode_rsa_public_key(public)),
                }
            ).dump()
        if algorithm in EC_CURVES:
            parameters = session.create_domain_parameters(
                KeyType.EC,
                {Attribute.EC_PARAMS: encode_named_curve_parameters(EC_CURVES[algorithm])},
                local=True,
            )
            public, _private = parameters.generate_keypair(
                public_template=public_template, private_template=private_template, **common
            )
            return encode_ec_public_key(public)
    raise TokenError("failed", f"unknown key algorithm {algorithm!r}")


def private_key(session: pkcs11.Session, key_id: bytes) -> pkcs11.PrivateKey:
    """The handle of the token's private key `key_id` (`TokenError` key_missing if none)."""
    with token_errors():
        try:
            return session.get_key(object_class=ObjectClass.PRIVATE_KEY, id=key_id)
        except p11_errors.NoSuchKey as error:
            raise TokenError("key_missing", key_id.hex()) from error


def mac_key_generate(session: pkcs11.Session, *, key_id: bytes, label: str) -> None:
    """A 256-bit secret key generated inside the token for HMAC-SHA256 only: sensitive,
    never extractable, no encryption, wrapping or derivation."""
    with token_errors(), store_lock():  # writes the store
        session.generate_key(
            KeyType.GENERIC_SECRET,
            256,
            id=key_id,
            label=label,
            store=True,
            template={
                Attribute.TOKEN: True,
                Attribute.PRIVATE: True,
                Attribute.SENSITIVE: True,
                Attribute.EXTRACTABLE: False,
                Attribute.SIGN: True,
                Attribute.VERIFY: True,
                Attribute.ENCRYPT: False,
                Attribute.DECRYPT: False,
                Attribute.WRAP: False,
                Attribute.UNWRAP: False,
                Attribute.DERIVE: False,
            },
        )


def mac_key(session: pkcs11.Session, key_id: bytes) -> pkcs11.SecretKey:
    """The handle of the token's secret key `key_id` (`TokenError` key_missing if none)."""
    with token_errors():
        try:
            return session.get_key(object_class=ObjectClass.SECRET_KEY, id=key_id)
        except p11_errors.NoSuchKey as error:
            raise TokenError("key_missing", key_id.hex()) from error


def key_flags(key) -> dict[str, bool]:
    """What the token reports of a private or secret key: extractable, sensitive and whether
    it was ever exportable (the attributes a security review reads)."""
    return {
        "extractable": bool(key[Attribute.EXTRACTABLE]),
        "sensitive": bool(key[Attribute.SENSITIVE]),
        "always_sensitive": bool(key[Attribute.ALWAYS_SENSITIVE]),
        "never_extractable": bool(key[Attribute.NEVER_EXTRACTABLE]),
    }


def private_key_flags(session: pkcs11.Session, *, key_id: bytes) -> dict[str, bool]:
    """What the token reports of the private key: extractable, sensitive and whether it was
    ever exportable (the attributes a security review reads)."""
    return key_flags(private_key(session, key_id))


def certificate_store(session: pkcs11.Session, *, key_id: bytes, label: str, der: bytes) -> None:
    """Write a certificate onto the token beside its key (same CKA_ID), as a real token holds
    it for the signing software to find."""
    parsed = asn1_x509.Certificate.load(der)
    with token_errors(), store_lock():  # writes the store
        session.create_object(
            {
                Attribute.CLASS: ObjectClass.CERTIFICATE,
                Attribute.SUBJECT: parsed.subject.dump(),
                Attribute.ISSUER: parsed.issuer.dump(),
                Attribute.SERIAL_NUMBER: parsed["tbs_certificate"]["serial_number"].dump(),
                Attribute.CERTIFICATE_TYPE: pkcs11.CertificateType.X_509,
                Attribute.TOKEN: True,
                Attribute.PRIVATE: False,
                Attribute.ID: key_id,
                Attribute.LABEL: label,
                Attribute.VALUE: der,
            }
        )


def certificates(session: pkcs11.Session) -> list[bytes]:
    """The DER of every certificate object on the token."""
    with token_errors():
        return [
            bytes(item[Attribute.VALUE])
            for item in session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE})
        ]


def certificate_of_key(session: pkcs11.Session, *, key_id: bytes) -> bytes | None:
    """The DER of the certificate object beside key `key_id`, if the token holds one."""
    with token_errors():
        for item in session.get_objects(
            {Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.ID: key_id}
        ):
            return bytes(item[Attribute.VALUE])
    return None


def certificates_remove(session: pkcs11.Session, *, key_id: bytes) -> int:
    """Destroy the certificate objects beside key `key_id` (a certificate replaced, or one
    written by an issuance the registry rolled back); returns how many."""
    with token_errors(), store_lock():  # writes the store
        found = list(
            session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.ID: key_id})
        )
        for item in found:
            item.destroy()
    return len(found)


def key_ids(session: pkcs11.Session) -> list[bytes]:
    """The CKA_ID of every private key on the token."""
    with token_errors():
        return [
            bytes(item[Attribute.ID])
            for item in session.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY})
        ]


def keypair_destroy(session: pkcs11.Session, *, key_id: bytes) -> int:
    """Destroy the private key `key_id`, its public key and the certificates beside it (same
    CKA_ID); returns how many objects were destroyed (0: none was there)."""
    with token_errors(), store_lock():  # writes the store
        found = list(session.get_objects({Attribute.ID: key_id}))
        for item in found:
            item.destroy()
    return len(found)
