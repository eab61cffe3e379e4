"""An independent long-term validator for the tests: pyHanko's ETSI EN 319 102-1 validation
of a signature with long-term availability and integrity (ades_lta_validation), with the
portal's chain only (no network), at a chosen time (docs/ca.md, "Long-term signatures").

The CAs' newest CRLs are what a validator would fetch today: they are served as "fetched"
(`certificates.signing.fetchers.CrlsAsFetched`, plumbing only: the policy is this module's
own, stricter than the portal's report), so the validation at the current time uses them and
the validation in the past uses only what the document holds in its DSS, as EN 319 102-1 has
it. Given as local knowledge instead, today's CRL of the issuing CA would also be taken as the status of a
time-stamping unit whose certificate has since ended, and an archive could never be validated
past that end."""

from datetime import datetime
from io import BytesIO

from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation.ades import ades_lta_validation
from pyhanko.sign.validation.policy_decl import (
    LocalKnowledge,
    PdfSignatureValidationSpec,
    RevinfoOnlineFetchingRule,
    RevocationInfoGatheringSpec,
    SignatureValidationSpec,
)
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.ltv.types import ValidationTimingInfo
from pyhanko_certvalidator.policy_decl import (
    CertRevTrustPolicy,
    RevocationCheckingPolicy,
    RevocationCheckingRule,
)
from pyhanko_certvalidator.registry import SimpleTrustManager

from certificates.signing.context import ValidationMaterial
from certificates.signing.fetchers import CrlsAsFetched
from portal.lib.loops import run_outside_event_loop

CRL_OR_OCSP = RevocationCheckingRule.CRL_OR_OCSP_REQUIRED


def lta_validation_spec(material: ValidationMaterial) -> PdfSignatureValidationSpec:
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
                fetcher_backend=CrlsAsFetched(material.crls),
            ),
            local_knowledge=LocalKnowledge(known_certs=list(material.intermediates)),
        )
    )


def lta_results(pdf: bytes, material, *, at: datetime) -> dict[str, object]:
    """Field name → pyHanko's AdESLTAValidationResult of each signature, validated at `at`."""
    reader = PdfFileReader(BytesIO(pdf))
    timing = ValidationTimingInfo(
        validation_time=at, best_signature_time=at, point_in_time_validation=False
    )
    return {
        str(signature.field_name): run_outside_event_loop(
            ades_lta_validation(signature, lta_validation_spec(material), timing_info=timing)
        )
        for signature in reader.embedded_regular_signatures
    }
