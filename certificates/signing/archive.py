"""Long-term signatures (PAdES B-LT and B-LTA; docs/ca.md, "Long-term signatures"): the proofs
a validator needs in ten years, inside the file.

`archive_extend(pdf, material=, stamp=)` adds one incremental update holding

- a document security store (DSS) with every certificate of every signature's and time-stamp's
  chain and the CRLs that show them unrevoked (B-LT: the file can be validated with no network
  and after the CA is gone), and
- a document time-stamp over the whole file, the DSS included (B-LTA: the proofs themselves
  provably existed before the time-stamping unit's certificate ends).

Called again before the newest document time-stamp's certificate ends, it adds the proofs for
that time-stamp and a fresh one over everything: an archive stays verifiable across CA and TSA
rotations.

Pure over bytes and the material read beforehand (`certificates.signing.context`); `stamp`
is the caller's: it turns the document digest into a time-stamp token and may use the
database, because it is called outside pyHanko's event loop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO

from asn1crypto import cms
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from django.utils.translation import gettext as _
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields
from pyhanko.sign.general import extract_certificate_info
from pyhanko.sign.signers.cms_embedder import PdfCMSEmbedder, SigIOSetup, SigObjSetup
from pyhanko.sign.signers.pdf_byterange import DocumentTimestamp
from pyhanko.sign.validation.dss import DocumentSecurityStore, collect_validation_info
from pyhanko.sign.validation.generic_cms import extract_tst_data_iter
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature

from certificates.exceptions import CertificateError
from certificates.signing.context import ValidationMaterial, validation_context
from certificates.signing.files import keep_pdfa_metadata, open_pdf
from portal.lib.loops import run_outside_event_loop

DIGEST_ALGORITHM = "sha256"
ARCHIVE_FIELD_PREFIX = "LuuTru"  # "archive": the document time-stamps' field names
# The token, hex-encoded in the placeholder: the TSA's certificate and signed attributes of a
# 2048- or 4096-bit key, with a margin.
TIMESTAMP_BYTES_RESERVED = 2 * 8192

Stamp = Callable[[bytes], cms.ContentInfo]


@dataclass(frozen=True)
class ArchiveExtended:
    pdf: bytes
    stamped_at: datetime  # the new document time-stamp's time
    stamp_valid_until: datetime  # when the certificate of the unit that made it ends


def _all_signatures(reader: PdfFileReader) -> list[EmbeddedPdfSignature]:
    """Signatures and document time-stamps, in order (a broken form tree is refused)."""
    try:
        return list(reader.embedded_signatures)
    except Exception as exc:  # hostile input: never a 500
        raise CertificateError(_("Không đọc được chữ ký trong tệp PDF."), code="bad_pdf") from exc


def _field_name(reader: PdfFileReader) -> str:
    stamps = len(reader.embedded_timestamp_signatures)
    return f"{ARCHIVE_FIELD_PREFIX}{stamps + 1}"


def _paths(signatures, context):
    async def run():
        paths = []
        for signature in signatures:
            # The signer's chain and each attached signature time-stamp's (hard-fail: a chain
            # whose revocation cannot be shown from the CRLs is refused, not archived).
            paths.extend(await collect_validation_info(signature, context))
        return paths

    return run_outside_event_loop(run())


def _token_time(token: cms.ContentInfo) -> datetime:
    info = token["content"]["encap_content_info"]["content"].parsed
    return info["gen_time"].native


def _token_unit_end(token: cms.ContentInfo) -> datetime:
    signed_data = token["content"]
    sid = signed_data["signer_infos"][0]["sid"]
    for candidate in signed_data["certificates"]:
        certificate = candidate.chosen
        if (
            sid.name == "issuer_and_serial_number"
            and certificate.serial_number == sid.chosen["serial_number"].native
        ) or (
            sid.name == "subject_key_identifier" and certificate.key_identifier == sid.chosen.native
        ):
            return certificate["tbs_certificate"]["validity"]["not_after"].native
    raise CertificateError(
        _("Dấu thời gian không kèm chứng thư của đơn vị cấp."), code="timestamp_no_certificate"
    )


def signing_certificates(pdf: bytes) -> list[asn1_x509.Certificate]:
    """The certificate of every signer in `pdf`: each signature's, each of its signature
    time-stamps' and each document time-stamp's (once each). What the DSS gets an OCSP
    answer for (the CRLs cover the CAs)."""
    found: dict[bytes, asn1_x509.Certificate] = {}
    for signature in _all_signatures(open_pdf(pdf)):
        try:
            signed = [
                signature.signed_data,
                *extract_tst_data_iter(signature.signer_info, signed=False),
            ]
            certificates = [extract_certificate_info(s).signer_cert for s in signed]
        except Exception:  # noqa: S112 - a malformed signature gets no answer (nor archive)
            continue
        for certificate in certificates:
            found.setdefault(certificate.dump(), certificate)
    return list(found.values())


def _prepare(pdf: bytes, reader, paths, context, ocsps):
    """The incremental update with the DSS and the document time-stamp's reserved field,
    written out with its digest computed; the token goes in afterwards (`embedding.send`)."""
    writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
    writer.ensure_output_version(version=(1, 7))
    keep_pdfa_metadata(writer)
    # OCSP answers for the signers as well as the CRLs: a validator judging an expired
    # signer in the past finds the answer issued by its CA directly (docs/ca.md).
    DocumentSecurityStore.supply_dss_in_writer(
        writer, None, ocsps=ocsps, paths=paths, validation_context=context
    )
    field_name = _field_name(reader)
    embedding = PdfCMSEmbedder(
        new_field_spec=fields.SigFieldSpec(sig_field_name=field_name)
    ).write_cms(field_name=field_name, writer=writer, existing_fields_only=False)
    next(embedding)
    embedding.send(SigObjSetup(sig_placeholder=DocumentTimestamp(TIMESTAMP_BYTES_RESERVED)))
    prepared, output = embedding.send(SigIOSetup(md_algorithm=DIGEST_ALGORITHM, output=BytesIO()))
    return embedding, prepared, output


def archive_extend(
    pdf: bytes,
    *,
    material: ValidationMaterial,
    stamp: Stamp,
    ocsps: list[asn1_ocsp.OCSPResponse] = (),
) -> ArchiveExtended:
    """`pdf` with the DSS for all its signatures and time-stamps (the chains, the CRLs of
    `material` and the OCSP answers `ocsps` for the signers, `signing_certificates`) and a new
    document time-stamp (see the module). Raises `CertificateError` when the file has no
    signature, a chain cannot be shown valid and unrevoked from `material`, or no token is
    granted."""
    reader = open_pdf(pdf)
    signatures = _all_signatures(reader)
    if not signatures:
        raise CertificateError(_("Văn bản chưa có chữ ký số để lưu trữ."), code="not_signed")
    context = validation_context(material)
    try:
        paths = _paths(signatures, context)
    except Exception as exc:  # pyHanko's path building or revocation check failed
        raise CertificateError(
            _("Không lập được chuỗi chứng thư và thông tin thu hồi cho chữ ký của văn bản."),
            code="no_validation_data",
        ) from exc

    try:
        embedding, prepared, output = _prepare(pdf, reader, paths, context, list(ocsps))
    except Exception as exc:  # a file pyHanko cannot update: refused, never a 500
        raise CertificateError(
            _("Không bổ sung được dữ liệu lưu trữ vào tệp PDF."), code="bad_pdf"
        ) from exc
    token = stamp(prepared.document_digest)
    embedding.send(token)
    return ArchiveExtended(
        pdf=output.getvalue(),
        stamped_at=_token_time(token),
        stamp_valid_until=_token_unit_end(token),
    )
