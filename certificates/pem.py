"""PEM armour for DER bytes (RFC 7468): plain encoding, no cryptography."""

import base64
import textwrap


def der_to_pem(der: bytes, label: str = "CERTIFICATE") -> str:
    body = "\n".join(textwrap.wrap(base64.b64encode(bytes(der)).decode("ascii"), 64))
    return f"-----BEGIN {label}-----\n{body}\n-----END {label}-----\n"
