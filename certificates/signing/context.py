"""What a signature is validated against, from the portal's own chain (docs/ca.md, "Signing and
verification"): the trust roots, the CAs and time-stamping units in between, and every CA's
newest CRL. Nothing is fetched from the network.

`validation_material()` reads the database; `validation_context(material, …)` is pure, so it
can be built inside pyHanko's event loop (portal/lib/loops.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from asn1crypto import crl as asn1_crl
from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from django.conf import settings
from pyhanko_certvalidator import ValidationContext

from certificates.choices import AuthorityKind
from certificates.models import CertificateAuthority, RevocationList, TimestampUnit


@dataclass(frozen=True)
class ValidationMaterial:
    """Parsed certificates and CRLs (asn1crypto objects), read once per validation."""

    roots: tuple[asn1_x509.Certificate, ...]
    intermediates: tuple[asn1_x509.Certificate, ...]  # issuing CAs and TSA units, all of them
    crls: tuple[asn1_crl.CertificateList, ...]  # each CA's newest


def load_certificates(path: str) -> list[asn1_x509.Certificate]:
    """The certificates of a PEM (one or more) or DER file, parsed now (ValueError if not)."""
    data = Path(path).read_bytes()
    if pem.detect(data):
        ders = [der for _type, _headers, der in pem.unarmor(data, multiple=True)]
    else:
        ders = [data]
    certificates = [asn1_x509.Certificate.load(der) for der in ders]
    for certificate in certificates:
        certificate.subject.native  # noqa: B018 - asn1crypto parses lazily: fail here
    return certificates


def trust_roots() -> list[asn1_x509.Certificate]:
    """The configured roots (SIGNING_TRUST_ROOTS), or the simulated CA's active root(s)."""
    if settings.SIGNING_TRUST_ROOTS:
        roots = []
        for path in settings.SIGNING_TRUST_ROOTS:
            roots.extend(load_certificates(path))
        return roots
    return [
        asn1_x509.Certificate.load(bytes(der))
        for der in CertificateAuthority.objects.public()
        .active_root()
        .values_list("certificate_der", flat=True)
    ]


def validation_material() -> ValidationMaterial:
    """The roots, every issuing CA and TSA unit (retired ones too: archived documents were
    signed under them) and each CA's newest CRL (the root's lists the issuing CAs)."""
    intermediates = [
        asn1_x509.Certificate.load(bytes(der))
        for der in CertificateAuthority.objects.public()
        .filter(kind=AuthorityKind.ISSUING)
        .values_list("certificate_der", flat=True)
    ]
    intermediates += [
        asn1_x509.Certificate.load(bytes(der))
        for der in TimestampUnit.objects.values_list("certificate_der", flat=True)
    ]
    crls = []
    for authority in CertificateAuthority.objects.public().only("pk"):
        latest = RevocationList.objects.latest_for(authority)
        if latest is not None:
            crls.append(asn1_crl.CertificateList.load(bytes(latest.der)))
    return ValidationMaterial(
        roots=tuple(trust_roots()), intermediates=tuple(intermediates), crls=tuple(crls)
    )


def validation_context(
    material: ValidationMaterial,
    *,
    revocation: bool = True,
) -> ValidationContext:
    """A context over `material` alone. With `revocation`, every certificate below a root
    must be shown unrevoked by the CRLs (hard-fail: what a long-term signature embeds and a
    validator checks); without, revocation is left to the caller (soft-fail, no CRLs)."""
    if revocation:
        return ValidationContext(
            trust_roots=list(material.roots),
            other_certs=list(material.intermediates),
            crls=list(material.crls),
            allow_fetching=False,
            revocation_mode="hard-fail",
        )
    return ValidationContext(
        trust_roots=list(material.roots),
        other_certs=list(material.intermediates),
        allow_fetching=False,
        revocation_mode="soft-fail",
    )
