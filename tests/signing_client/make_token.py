"""Put a key pair and its self-signed certificate on a fresh SoftHSM2 token, the way a
personalised device holds them: the key generated inside the token (sensitive, not
extractable), the certificate object sharing its CKA_ID.

Run as its own process (`python make_token.py ...` with SOFTHSM2_CONF set): python-pkcs11 loads
one PKCS#11 module per process, bound to the token store of that moment, and the pytest process
that calls this must not bind itself to the client's store.
Prints the certificate as hex DER on stdout.
"""

import argparse
import hashlib
import subprocess
from datetime import UTC, datetime, timedelta

import pkcs11
from asn1crypto import keys, x509
from pkcs11 import Attribute, CertificateType, KeyType, Mechanism, ObjectClass
from pkcs11.util.ec import (
    encode_ec_public_key,
    encode_ecdsa_signature,
    encode_named_curve_parameters,
)
from pkcs11.util.rsa import encode_rsa_public_key

MODULE = "/usr/lib/softhsm/libsofthsm2.so"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--label", required=True)
    parser.add_argument("--pin", required=True)
    parser.add_argument("--so-pin", required=True)
    parser.add_argument("--key", choices=["rsa", "ec"], default="rsa")
    parser.add_argument("--name", default="Nguyễn Văn Thủ Trưởng")
    parser.add_argument("--title", default=None, help="the subject's title (position)")
    parser.add_argument("--key-id", default="a1b2c3")
    parser.add_argument(
        "--cert-id", default=None, help="CKA_ID of the certificate object (default: the key's)"
    )
    args = parser.parse_args()

    subprocess.run(
        [
            "softhsm2-util",
            "--init-token",
            "--free",
            "--label",
            args.label,
            "--so-pin",
            args.so_pin,
            "--pin",
            args.pin,
        ],
        check=True,
        capture_output=True,
    )
    lib = pkcs11.lib(MODULE)
    token = lib.get_token(token_label=args.label)
    key_id = bytes.fromhex(args.key_id)
    private = {Attribute.SENSITIVE: True, Attribute.EXTRACTABLE: False}
    with token.open(rw=True, user_pin=args.pin) as session:
        if args.key == "rsa":
            pub, priv = session.generate_keypair(
                KeyType.RSA, 2048, store=True, id=key_id, label=args.label, private_template=private
            )
            spki = keys.PublicKeyInfo(
                {
                    "algorithm": {"algorithm": "rsa"},
                    "public_key": keys.RSAPublicKey.load(encode_rsa_public_key(pub)),
                }
            )
            algorithm = "sha256_rsa"
        else:
            params = session.create_domain_parameters(
                KeyType.EC,
                {Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")},
                local=True,
            )
            pub, priv = params.generate_keypair(
                store=True, id=key_id, label=args.label, private_template=private
            )
            spki = keys.PublicKeyInfo.load(encode_ec_public_key(pub))
            algorithm = "sha256_ecdsa"
        # As the portal's CA writes a subject (docs/domain.md §8): C, L, O, OU, CN, E.
        attributes = {
            "country_name": "VN",
            "locality_name": "Lai Châu",
            "organization_name": "UBND TỈNH LAI CHÂU",
            "organizational_unit_name": "Sở Tài chính",
            "common_name": args.name,
            "email_address": "thutruong@laichau.gov.vn",
        }
        if args.title:
            attributes["title"] = args.title
        name = x509.Name.build(attributes)
        now = datetime.now(UTC)
        tbs = x509.TbsCertificate(
            {
                "version": "v3",
                "serial_number": int.from_bytes(key_id, "big") + 1000,
                "signature": {"algorithm": algorithm},
                "issuer": name,
                "validity": {
                    "not_before": x509.Time({"utc_time": now - timedelta(days=1)}),
                    "not_after": x509.Time({"utc_time": now + timedelta(days=365)}),
                },
                "subject": name,
                "subject_public_key_info": spki,
            }
        )
        if args.key == "rsa":
            signature = priv.sign(tbs.dump(), mechanism=Mechanism.SHA256_RSA_PKCS)
        else:
            # SoftHSM2 offers CKM_ECDSA over a hash, not CKM_ECDSA_SHA256.
            digest = hashlib.sha256(tbs.dump()).digest()
            signature = encode_ecdsa_signature(priv.sign(digest, mechanism=Mechanism.ECDSA))
        cert = x509.Certificate(
            {
                "tbs_certificate": tbs,
                "signature_algorithm": {"algorithm": algorithm},
                "signature_value": signature,
            }
        )
        der = cert.dump()
        session.create_object(
            {
                Attribute.CLASS: ObjectClass.CERTIFICATE,
                Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                Attribute.TOKEN: True,
                Attribute.LABEL: args.label,
                Attribute.ID: bytes.fromhex(args.cert_id) if args.cert_id else key_id,
                Attribute.SUBJECT: name.dump(),
                Attribute.VALUE: der,
            }
        )
    print(der.hex())


if __name__ == "__main__":
    main()
