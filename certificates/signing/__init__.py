"""Signing PDFs (PAdES) behind a replaceable `Signer`, and verifying them on receipt.

See docs/ca.md, "Signing and verification".
"""

from certificates.signing.anchors import anchor_position
from certificates.signing.appearance import signature_position
from certificates.signing.base import SEAL, SIGNATURE, Appearance, Position, Signer, get_signer
from certificates.signing.files import safe_pdf_filename
from certificates.signing.revisions import signed_revision_matches
from certificates.signing.seal import (
    SEAL_FIELD,
    SIGNATURE_FIELD,
    SigningPair,
    personal_signing_certificate,
    seal_certificate,
    sign_and_seal,
    signature_appearance,
    signing_pair,
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
    "Signer",
    "get_signer",
    "personal_signing_certificate",
    "seal_certificate",
    "sign_and_seal",
    "signature_appearance",
    "signing_pair",
    "safe_pdf_filename",
    "signature_position",
    "signed_revision_matches",
    "verification_summary",
    "verify_pdf",
]
