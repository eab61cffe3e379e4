"""The revocation material a validator "fetches", served from what the caller read beforehand
(`certificates.signing.context.validation_material()`): the CAs' newest CRLs, no OCSP, no
certificate, and never the network (docs/ca.md, "Validation report").

The CRLs are served as fetched rather than given as local knowledge on purpose: EN 319 102-1
validates the past with the document's own proofs (its DSS) and the present with what a
validator fetches today. Given as local knowledge, today's CRL of the issuing CA would also be
taken as the status of a time-stamping unit whose certificate has since ended, pinning its
control time to today, and an archive renewed with a newer unit could never be validated past
the first unit's end."""

from asn1crypto import crl as asn1_crl
from pyhanko_certvalidator.errors import OCSPFetchError
from pyhanko_certvalidator.fetchers.api import (
    CertificateFetcher,
    CRLFetcher,
    FetcherBackend,
    Fetchers,
    OCSPFetcher,
)


class _Crls(CRLFetcher):
    """The given CRLs, "fetched" by the issuer's name."""

    def __init__(self, crls):
        self._crls = list(crls)
        self._fetched: dict[bytes, list[asn1_crl.CertificateList]] = {}

    async def fetch(self, cert, *, use_deltas=None):
        issuer = cert.issuer.dump()
        found = [crl for crl in self._crls if crl.issuer.dump() == issuer]
        self._fetched[issuer] = found
        return found

    def fetched_crls(self):
        return [crl for crls in self._fetched.values() for crl in crls]

    def fetched_crls_for_cert(self, cert):
        # KeyError before the first fetch for this issuer: pyHanko then calls `fetch`
        return self._fetched[cert.issuer.dump()]


class _NoOcsp(OCSPFetcher):
    async def fetch(self, cert, authority):
        raise OCSPFetchError("the portal's CAs are validated with their CRLs")

    def fetched_responses(self):
        return []

    def fetched_responses_for_cert(self, cert):
        return []


class _NoCertificates(CertificateFetcher):
    async def fetch_cert_issuers(self, cert):
        return
        yield  # an async generator that yields nothing

    async def fetch_crl_issuers(self, certificate_list):
        return
        yield

    def fetched_certs(self):
        return []


class CrlsAsFetched(FetcherBackend):
    """A fetcher backend that answers with `crls` only."""

    def __init__(self, crls):
        self._crls = crls

    def get_fetchers(self) -> Fetchers:
        return Fetchers(
            ocsp_fetcher=_NoOcsp(), crl_fetcher=_Crls(self._crls), cert_fetcher=_NoCertificates()
        )

    async def close(self):
        return None
