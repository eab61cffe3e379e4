"""The signatures of PDFs (PAdES): their look and place, the certificates that make them at the
signers' desks (certificates.desk), verifying them on receipt and their validation report
(ETSI EN 319 102-1).

See docs/ca.md, "Signing and verification".
"""

from certificates.signing.ades import ValidationReport, validation_report
from certificates.signing.anchors import anchor_position
from certificates.signing.appearance import signature_position
from certificates.signing.base import SEAL, SIGNATURE, Appearance, Position
from certificates.signing.files import safe_pdf_filename
from certificates.signing.indications import (
    foreign_root_text,
    indication_text,
    localized,
    sub_indication_text,
)
from certificates.signing.revisions import signed_revision_matches
from certificates.signing.seal import (
    SEAL_FIELD,
    SIGNATURE_FIELD,
    SigningPair,
    personal_signing_certificate,
    seal_certificate,
    signature_appearance,
)
from certificates.signing.verify import SignatureReport, verification_summary, verify_pdf

__all__ = [
    "anchor_position",
    "SEAL",
    "SEAL_FIELD",
    "SIGNATURE_FIELD",
    "SigningPair",
    "SIGNATURE",
    "Appearance",
    "Position",
    "SignatureReport",
    "ValidationReport",
    "foreign_root_text",
    "indication_text",
    "localized",
    "sub_indication_text",
    "validation_report",
    "personal_signing_certificate",
    "seal_certificate",
    "signature_appearance",
    "safe_pdf_filename",
    "signature_position",
    "signed_revision_matches",
    "verification_summary",
    "verify_pdf",
]
