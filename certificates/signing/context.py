"""What a signature is validated against, from the portal's own chain (docs/ca.md, "Signing and
verification"): the trust roots, the CAs and time-stamping units in between, and every CA's
newest CRL. Nothing is fetched from the network.

`validation_material()` reads the database; `validation_context(material, …)` and
`ades_validation_spec(material)` are pure, so they can be built inside pyHanko's event loop
(certificates/signing/loops.py).

For the ETSI validation of a long-term signature (`ades_validation_spec`) the CAs' newest CRLs
are what a validator would fetch today: they are served as "fetched" (`MaterialFetchers`), so
the validation at the current time uses them and the validation in the past uses only what the
document itself holds in its DSS, as EN 319 102-1 has it. Given as local knowledge instead,
today's CRL of the issuing CA would also be taken as the status of a time-stamping unit whose
certificate has since ended, and an archive could never be validated past that end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from asn1crypto import crl as asn1_crl
from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from django.conf import settings
from pyhanko.sign.validation.policy_decl import (
    LocalKnowledge,
    PdfSignatureValidationSpec,
    RevinfoOnlineFetchingRule,
    RevocationInfoGatheringSpec,
    SignatureValidationSpec,
)
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.errors import OCSPFetchError
from pyhanko_certvalidator.fetchers.api import (
    CertificateFetcher,
    CRLFetcher,
    FetcherBackend,
    Fetchers,
    OCSPFetcher,
)
from pyhanko_certvalidator.policy_decl import (
    CertRevTrustPolicy,
    RevocationCheckingPolicy,
    RevocationCheckingRule,
)
from pyhanko_certvalidator.registry import SimpleTrustManager

from certificates.choices import AuthorityKind
from certificates.models import CertificateAuthority, RevocationList, TimestampUnit


@dataclass(frozen=True)
class ValidationMaterial:
    """Parsed certificates and CRLs (asn1crypto objects), read once per validation."""

    roots: tuple[asn1_x509.Certificate, ...]
    intermediates: tuple[asn1_x509.Certificate, ...]  # issuing CAs and TSA units, all of them
    crls: tuple[asn1_crl.CertificateList, ...]  # each CA's newest

    def crl_ders(self) -> list[bytes]:
        return [crl.dump() for crl in self.crls]


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
    moment: datetime | None = None,
) -> ValidationContext:
    """A context over `material` alone. With `revocation`, every certificate below a root
    must be shown unrevoked by the CRLs (hard-fail: what a long-term signature embeds and a
    validator checks); without, revocation is left to the caller (soft-fail, no CRLs).
    `moment`: validate as of that time (now by default)."""
    if revocation:
        return ValidationContext(
            trust_roots=list(material.roots),
            other_certs=list(material.intermediates),
            crls=list(material.crls),
            allow_fetching=False,
            revocation_mode="hard-fail",
            moment=moment,
        )
    return ValidationContext(
        trust_roots=list(material.roots),
        other_certs=list(material.intermediates),
        allow_fetching=False,
        revocation_mode="soft-fail",
        moment=moment,
    )


class _CrlsOfMaterial(CRLFetcher):
    """The material's CRLs, "fetched" by issuer name."""

    def __init__(self, crls):
        self._crls = crls
        self._fetched: dict[bytes, list[asn1_crl.CertificateList]] = {}

    async def fetch(self, cert, *, use_deltas=None):
        issuer = cert.issuer.dump()
        found = [crl for crl in self._crls if crl.issuer.dump() == issuer]
        self._fetched[issuer] = found
        return found

    def fetched_crls(self):
        return [crl for crls in self._fetched.values() for crl in crls]

    def fetched_crls_for_cert(self, cert):
        return self._fetched[cert.issuer.dump()]


class _NoOcsp(OCSPFetcher):
    async def fetch(self, cert, authority):
        raise OCSPFetchError("the portal validates with CRLs")

    def fetched_responses(self):
        return []

    def fetched_responses_for_cert(self, cert):
        return []


class _NoCertificates(CertificateFetcher):
    async def fetch_cert_issuers(self, cert):
        return
        yield  # an empty async generator

    async def fetch_crl_issuers(self, certificate_list):
        return
        yield

    def fetched_certs(self):
        return []


class MaterialFetchers(FetcherBackend):
    """A fetcher backend over the material read beforehand: no network, no database."""

    def __init__(self, material: ValidationMaterial):
        self._material = material

    def get_fetchers(self) -> Fetchers:
        return Fetchers(
            ocsp_fetcher=_NoOcsp(),
            crl_fetcher=_CrlsOfMaterial(self._material.crls),
            cert_fetcher=_NoCertificates(),
        )

    async def close(self):
        return None


CRL_OR_OCSP = RevocationCheckingRule.CRL_OR_OCSP_REQUIRED


def ades_validation_spec(material: ValidationMaterial) -> PdfSignatureValidationSpec:
    """The ETSI EN 319 102-1 validation spec: the material's roots as the only trust, every
    certificate below them shown unrevoked by a CRL or an OCSP answer, today's CRLs served as fetched (see the
    module), the CAs and units known locally."""
    policy = CertValidationPolicySpec(
        trust_manager=SimpleTrustManager.build(trust_roots=list(material.roots)),
        revinfo_policy=CertRevTrustPolicy(RevocationCheckingPolicy(CRL_OR_OCSP, CRL_OR_OCSP)),
    )
    return PdfSignatureValidationSpec(
        SignatureValidationSpec(
            cert_validation_policy=policy,
            revinfo_gathering_policy=RevocationInfoGatheringSpec(
                online_fetching_rule=RevinfoOnlineFetchingRule.NO_HISTORICAL_FETCH,
                fetcher_backend=MaterialFetchers(material),
            ),
            local_knowledge=LocalKnowledge(known_certs=list(material.intermediates)),
        )
    )
