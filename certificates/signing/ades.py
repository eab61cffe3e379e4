"""The validation report of a signed PDF (docs/ca.md, "Validation report"): for each signature
the outcome of ETSI EN 319 102-1 (TOTAL-PASSED, INDETERMINATE, TOTAL-FAILED and its
sub-indication), computed by pyHanko's AdES validation (`ades_lta_validation`, which handles
B-B, B-T and documents with document time-stamps alike) at a given time: now, or a past time
for an archive.

Pure: the trust material is read by the caller (`certificates.signing.context`
`validation_material()`), nothing is fetched from the network, and the database is not used.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from django.conf import settings
from django.utils import timezone
from pyhanko.sign.ades.report import AdESFailure, AdESIndeterminate, AdESPassed
from pyhanko.sign.diff_analysis import DiffResult
from pyhanko.sign.validation.ades import ades_basic_validation, ades_lta_validation
from pyhanko.sign.validation.generic_cms import extract_tst_data_iter
from pyhanko.sign.validation.policy_decl import (
    CertificateFetchingRule,
    LocalKnowledge,
    PdfSignatureValidationSpec,
    RevinfoOnlineFetchingRule,
    RevocationInfoGatheringSpec,
    SignatureValidationSpec,
)
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.ltv.poe import (
    KnownPOE,
    POEType,
    ValidationObject,
    ValidationObjectType,
    digest_for_poe,
)
from pyhanko_certvalidator.ltv.types import ValidationTimingInfo
from pyhanko_certvalidator.policy_decl import (
    CertRevTrustPolicy,
    RevocationCheckingPolicy,
    RevocationCheckingRule,
)
from pyhanko_certvalidator.registry import SimpleTrustManager
from pyhanko_certvalidator.revinfo.archival import CRLContainer

from certificates.signing.context import ValidationMaterial
from certificates.signing.fetchers import CrlsAsFetched
from certificates.signing.files import open_pdf
from certificates.signing.indications import (
    INDETERMINATE,
    INDICATION_OF_STATUS,
    INDICATIONS,
    NO_SIGNATURE,
    TOTAL_FAILED,
    TOTAL_PASSED,
    foreign_root_text,
    indication_text,
    sub_indication_text,
)
from certificates.signing.verify import covers_document, serial_hex
from portal.lib.loops import outside_event_loop

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SignatureValidation:
    field_name: str
    signer_name: str
    signer_serial: str  # upper-case hex, as in the registry
    # The signature time-stamp's time when it validates (B-T: a time the signer cannot
    # choose), else the time the signer states; None if unreadable.
    signing_time: datetime | None
    timestamped: bool  # the signing time is a proof of existence, not the signer's word
    indication: str  # TOTAL-PASSED, INDETERMINATE, TOTAL-FAILED
    sub_indication: str  # ETSI EN 319 102-1 name ("" when passed)
    foreign_root: str = ""  # the public CA's root the chain reaches, when not ours

    @property
    def text(self) -> str:
        if self.foreign_root:
            return foreign_root_text(self.foreign_root)
        return sub_indication_text(self.sub_indication)

    def as_json(self) -> dict:
        data = asdict(self)
        data["signing_time"] = self.signing_time.isoformat() if self.signing_time else None
        data["indication_text"] = indication_text(self.indication)
        data["text"] = self.text
        return data


@dataclass(frozen=True)
class ValidationReport:
    validated_at: datetime  # the validation time: now, or the past time asked for
    signatures: tuple[SignatureValidation, ...] = field(default=())
    # A document that cannot be read at all: its sub-indication (FORMAT_FAILURE), else "".
    document_failure: str = ""

    @property
    def indication(self) -> str:
        if self.document_failure:
            return TOTAL_FAILED
        if not self.signatures:
            return INDETERMINATE
        return max((s.indication for s in self.signatures), key=INDICATIONS.index)

    @property
    def sub_indication(self) -> str:
        """The worst signature's (the first of them), or the document's own."""
        if self.document_failure:
            return self.document_failure
        if not self.signatures:
            return NO_SIGNATURE
        worst = self.indication
        return next(s.sub_indication for s in self.signatures if s.indication == worst)

    @property
    def foreign(self) -> bool:
        return any(s.foreign_root for s in self.signatures)

    def as_json(self) -> dict:
        return {
            "standard": "ETSI EN 319 102-1",
            "validated_at": self.validated_at.isoformat(),
            "indication": self.indication,
            "indication_text": indication_text(self.indication),
            "sub_indication": self.sub_indication,
            "text": sub_indication_text(self.sub_indication),
            "foreign": self.foreign,  # a signature's chain reaches a public CA's root
            "signatures": [s.as_json() for s in self.signatures],
        }


# --- what pyHanko validates against -----------------------------------------------------------


def _validation_spec(
    material: ValidationMaterial, extra_poes: list[KnownPOE], *, crls_fetched: bool = False
) -> PdfSignatureValidationSpec:
    """The policy of `material` for pyHanko's AdES validation (a spec, not a context: the
    AdES functions take policies, docs/ca.md "Validation report"). Every certificate that
    names a CRL must be shown unrevoked by it (the CAs' newest CRLs; a document's own DSS adds
    its archived ones); a CRL issued after the validation time still tells whether a
    certificate was revoked before it (our CA puts no certificate on hold), so a past
    validation time can use today's list.

    With `crls_fetched` the same CRLs are served as a validator would fetch them today
    (`fetchers.CrlsAsFetched`) instead of as local knowledge: the present is judged with them
    and the past with the document's own DSS only. That is what an archive renewed by a newer
    time-stamping unit needs once the first unit's certificate has ended: given as local
    knowledge, today's CRL would be taken as that unit's status too and pin its control time
    to today, after its end."""
    policy = CertValidationPolicySpec(
        trust_manager=SimpleTrustManager.build(trust_roots=list(material.roots)),
        revinfo_policy=CertRevTrustPolicy(
            RevocationCheckingPolicy(
                ee_certificate_rule=RevocationCheckingRule.CHECK_IF_DECLARED,
                intermediate_ca_cert_rule=RevocationCheckingRule.CHECK_IF_DECLARED,
            ),
            retroactive_revinfo=True,
        ),
    )
    return PdfSignatureValidationSpec(
        SignatureValidationSpec(
            cert_validation_policy=policy,
            revinfo_gathering_policy=RevocationInfoGatheringSpec(
                online_fetching_rule=(
                    RevinfoOnlineFetchingRule.NO_HISTORICAL_FETCH
                    if crls_fetched
                    else RevinfoOnlineFetchingRule.LOCAL_ONLY
                ),
                certificate_fetching_rule=CertificateFetchingRule.NEVER_FETCH,
                fetcher_backend=CrlsAsFetched(material.crls) if crls_fetched else None,
            ),
            local_knowledge=LocalKnowledge(
                known_crls=[] if crls_fetched else [CRLContainer(crl) for crl in material.crls],
                known_certs=list(material.intermediates),
                known_poes=_known_poes(material) + extra_poes,
            ),
        )
    )


def _known_poes(material: ValidationMaterial) -> list[KnownPOE]:
    """The portal's own material existed since it was made: each certificate since its
    notBefore, each CRL since its thisUpdate (the database has held them since, docs/ca.md
    "Validation report"). Without these proofs of existence, validating at a past time (or a
    signature whose certificate has since been revoked) cannot slide back before now."""
    poes = [
        KnownPOE(
            poe_type=POEType.PROVIDED,
            digest=digest_for_poe(cert.dump()),
            poe_time=cert.not_valid_before,
            validation_object=ValidationObject(ValidationObjectType.CERTIFICATE, cert),
        )
        for cert in (*material.roots, *material.intermediates)
    ]
    poes += [
        KnownPOE(
            poe_type=POEType.PROVIDED,
            digest=digest_for_poe(crl.dump()),
            poe_time=crl["tbs_cert_list"]["this_update"].native,
            validation_object=ValidationObject(ValidationObjectType.CRL, CRLContainer(crl)),
        )
        for crl in material.crls
    ]
    return poes


def _issued_here(cert: asn1_x509.Certificate, material: ValidationMaterial) -> bool:
    """Whether one of the portal's CAs issued `cert` (its signature checked)."""
    issued = x509.load_der_x509_certificate(cert.dump())
    return any(
        _issued_by(issued, x509.load_der_x509_certificate(ca.dump()))
        for ca in (*material.intermediates, *material.roots)
        if ca.subject == cert.issuer
    )


def _signer_poes(embedded, material: ValidationMaterial) -> list[KnownPOE]:
    """A signer's certificate that the portal's CA issued existed since its notBefore, as the
    CA's own certificates do (pyHanko asks a proof of existence for every certificate of the
    path before it slides the control time back; a certificate of another CA gets none and is
    judged on the document's own proofs: its document time-stamps)."""
    signer = embedded.signer_cert
    if not _issued_here(signer, material):
        return []
    return [
        KnownPOE(
            poe_type=POEType.PROVIDED,
            digest=digest_for_poe(signer.dump()),
            poe_time=signer.not_valid_before,
            validation_object=ValidationObject(ValidationObjectType.CERTIFICATE, signer),
        )
    ]


@lru_cache(maxsize=4)
def _public_roots(paths: tuple[str, ...]) -> tuple[x509.Certificate, ...]:
    roots: list[x509.Certificate] = []
    for path in paths:
        data = Path(path).read_bytes()
        if b"-----BEGIN" in data:
            roots.extend(x509.load_pem_x509_certificates(data))
        else:
            roots.append(x509.load_der_x509_certificate(data))
    return tuple(roots)


def public_roots() -> tuple[x509.Certificate, ...]:
    """The public CAs' roots (SIGNING_PUBLIC_ROOTS, by default Mozilla's bundle as `certifi`
    ships it), parsed once per process; none when a file cannot be read (the system check
    certificates.E013 says so): a signature is then reported without naming its public CA."""
    try:
        return _public_roots(tuple(settings.SIGNING_PUBLIC_ROOTS))
    except (OSError, ValueError):
        logger.exception("SIGNING_PUBLIC_ROOTS cannot be read")
        return ()


def _root_name(root: x509.Certificate) -> str:
    for oid in (x509.NameOID.COMMON_NAME, x509.NameOID.ORGANIZATION_NAME):
        values = root.subject.get_attributes_for_oid(oid)
        if values:
            return str(values[0].value)
    return root.subject.rfc4514_string()


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except Exception:  # another key, another name or an unsupported algorithm
        return False
    return True


def _foreign_root(signer: asn1_x509.Certificate, embedded: list[asn1_x509.Certificate]) -> str:
    """The name of the public root that `signer`'s chain (through the certificates the
    signature carries) reaches, or "": followed by names, each link checked by its
    signature."""
    roots = public_roots()
    if not roots:
        return ""
    carried = [x509.load_der_x509_certificate(c.dump()) for c in embedded]
    current = x509.load_der_x509_certificate(signer.dump())
    for _depth in range(len(carried) + 1):
        for root in roots:
            if root.subject == current.issuer and _issued_by(current, root):
                return _root_name(root)
        parent = next(
            (
                c
                for c in carried
                if c.subject == current.issuer and c != current and _issued_by(current, c)
            ),
            None,
        )
        if parent is None:
            return ""
        current = parent
    return ""


# --- one signature ------------------------------------------------------------------------------


def _covers_document(integrity: dict) -> bool:
    """`verify.covers_document` read from pyHanko's integrity summary."""
    diff = integrity.get("diff_result")
    # a suspicious change comes as the exception pyHanko raised, not as a DiffResult
    level = diff.modification_level if isinstance(diff, DiffResult) else None
    return covers_document(integrity.get("coverage"), level, integrity.get("docmdp_ok"))


def _outcome(result, integrity: dict) -> tuple[str, str]:
    """(indication, sub-indication) from pyHanko's result, with the portal's rules (docs/ca.md,
    "Validation report")."""
    sub = result.ades_subindic
    indication = INDICATION_OF_STATUS[sub.status]
    sub_indication = "" if indication == TOTAL_PASSED else sub.standard_name
    # A revision added after the signature that changes more than signatures and validation
    # data: ETSI has no sub-indication of its own for it; the signed content as shown is not
    # what was signed, so it fails as a changed document does.
    if indication != TOTAL_FAILED and not _covers_document(integrity):
        return TOTAL_FAILED, AdESFailure.HASH_FAILURE.standard_name
    # Signed after the revocation: EN 319 102-1 leaves it INDETERMINATE (REVOKED_NO_POE), for
    # a revocation could be a suspension lifted later. Ours are final (docs/ca.md, "Validation
    # report": no certificate is put on hold), so when a valid signature time-stamp proves
    # when it signed and pyHanko still cannot place the signature before the revocation, the
    # certificate was revoked when it signed: TOTAL-FAILED, REVOKED. Without a time-stamp
    # (B-B) the signer's stated time proves nothing and it stays INDETERMINATE.
    if sub == AdESIndeterminate.REVOKED_NO_POE and _timestamped(result):
        return TOTAL_FAILED, AdESFailure.REVOKED.standard_name
    return indication, sub_indication


def _timestamped(result) -> bool:
    stamp = result.api_status.timestamp_validity if result.api_status is not None else None
    return bool(stamp is not None and stamp.intact and stamp.valid and stamp.trusted)


def _signing_time(result, embedded) -> datetime | None:
    if _timestamped(result):
        return result.api_status.timestamp_validity.timestamp
    if result.api_status is not None and result.api_status.signer_reported_dt:
        return result.api_status.signer_reported_dt
    return embedded.self_reported_timestamp


def _has_signature_timestamp(embedded) -> bool:
    return next(extract_tst_data_iter(embedded.signer_info, signed=False), None) is not None


def _ades_result(embedded, spec: PdfSignatureValidationSpec, timing: ValidationTimingInfo):
    """pyHanko's AdES validation of one signature: with a signature time-stamp (B-T and up),
    the long-term one (EN 319 102-1 §5.6.3: the validation with time, the document's DSS and
    document time-stamps, the past signature validation); without (B-B), the basic one (§5.3).
    pyHanko's long-term validation refuses a signature without a signature time-stamp outright
    (INDETERMINATE, SIG_CONSTRAINTS_FAILURE: its validation with time requires one), even when
    a document time-stamp follows it, so such a signature is validated at the validation time
    only (docs/ca.md, "Validation report")."""
    if _has_signature_timestamp(embedded):
        # computes the integrity of every signature of the document (its diff analysis)
        return asyncio.run(ades_lta_validation(embedded, spec, timing_info=timing))
    embedded.compute_integrity_info(spec.diff_policy)
    return asyncio.run(
        ades_basic_validation(
            embedded.signed_data,
            spec.signature_validation_spec,
            timing_info=timing,
            raw_digest=embedded.compute_digest(),
        )
    )


# Left without proof of existence by the CRLs as local knowledge (see `_validation_spec`).
_NO_POE = {AdESIndeterminate.NO_POE, AdESIndeterminate.OUT_OF_BOUNDS_NO_POE}


def _validate(embedded, material, timing: ValidationTimingInfo) -> SignatureValidation:
    poes = _signer_poes(embedded, material)
    spec = _validation_spec(material, poes)
    result = outside_event_loop(lambda: _ades_result(embedded, spec, timing))
    if result.ades_subindic in _NO_POE and _has_signature_timestamp(embedded):
        # An archive whose older time-stamp's unit has ended: judged again with the same
        # CRLs served as fetched, where its newer document time-stamps carry it.
        fetched = _validation_spec(material, poes, crls_fetched=True)
        again = outside_event_loop(lambda: _ades_result(embedded, fetched, timing))
        if again.ades_subindic == AdESPassed.OK:
            result = again
    integrity = embedded.summarise_integrity_info()
    signer = embedded.signer_cert
    indication, sub_indication = _outcome(result, integrity)
    foreign = ""
    if sub_indication in ("NO_CERTIFICATE_CHAIN_FOUND", "CERTIFICATE_CHAIN_GENERAL_FAILURE"):
        foreign = _foreign_root(signer, list(embedded.other_embedded_certs))
    return SignatureValidation(
        field_name=str(embedded.field_name),
        signer_name=signer.subject.native.get("common_name", "") or "",
        signer_serial=serial_hex(signer.serial_number),
        signing_time=_signing_time(result, embedded),
        timestamped=_timestamped(result),
        indication=indication,
        sub_indication=sub_indication,
        foreign_root=foreign,
    )


def _unreadable(embedded, index: int) -> SignatureValidation:
    return SignatureValidation(
        field_name=str(getattr(embedded, "field_name", "") or index),
        signer_name="",
        signer_serial="",
        signing_time=None,
        timestamped=False,
        indication=TOTAL_FAILED,
        sub_indication=AdESFailure.FORMAT_FAILURE.standard_name,
    )


def validation_report(
    pdf: bytes, *, material: ValidationMaterial, at: datetime | None = None
) -> ValidationReport:
    """The report of every signature of `pdf`, validated at `at` (now by default; a past time
    validates as of that time, as an archive does at the signing time)."""
    moment = at or timezone.now()
    timing = ValidationTimingInfo(
        validation_time=moment, best_signature_time=moment, point_in_time_validation=at is not None
    )
    try:
        reader = open_pdf(pdf)
        embedded_signatures = list(reader.embedded_regular_signatures)
    except Exception:  # hostile input (CertificateError or a broken form tree): unreadable
        return ValidationReport(validated_at=moment, document_failure="FORMAT_FAILURE")
    signatures = []
    for index, embedded in enumerate(embedded_signatures):
        try:
            signatures.append(_validate(embedded, material, timing))
        except Exception:  # a malformed signature is reported, never a 500
            signatures.append(_unreadable(embedded, index))
    return ValidationReport(validated_at=moment, signatures=tuple(signatures))


__all__ = [
    "INDETERMINATE",
    "NO_SIGNATURE",
    "TOTAL_FAILED",
    "TOTAL_PASSED",
    "SignatureValidation",
    "ValidationReport",
    "foreign_root_text",
    "indication_text",
    "public_roots",
    "sub_indication_text",
    "validation_report",
]
