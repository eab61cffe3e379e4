"""Signatures the portal's own signing never makes but a hostile or odd upload may hold, for the
verification tests (docs/ca.md, "Verification"): one that states no signing time, one carrying
a time-stamp of an authority nobody trusts, and one whose CMS no longer holds the signer's
certificate (it parses, but cannot be validated)."""

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from io import BytesIO
from unittest.mock import patch

from asn1crypto import cms
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.signers import pdf_signer
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

from certificates import services
from portal.lib.loops import outside_event_loop
from tests.outside_signer import pyhanko_signer


class _SignatureWithoutTime(pdf_signer.SignatureObject):
    """pyHanko's signature dictionary without its /M: PAdES puts no signing-time attribute in
    the CMS, so such a signature states no time at all."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.pop("/M", None)


@contextmanager
def _no_stated_time(enabled: bool):
    if not enabled:
        yield
        return
    with patch.object(pdf_signer, "SignatureObject", _SignatureWithoutTime):
        yield


def sign_oddly(
    pdf: bytes,
    certificate,
    by,
    *,
    field_name: str = "ChuKy",
    stated_time: bool = True,
    timestamper=None,
) -> bytes:
    """An invisible PAdES signature with `certificate`'s key whatever its status; without
    `stated_time` it states no signing time; `timestamper` adds a signature time-stamp."""
    material = services.certificate_signing_material(certificate=certificate, by=by)
    signer = signers.PdfSigner(
        signers.PdfSignatureMetadata(
            field_name=field_name, md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES
        ),
        signer=pyhanko_signer(material),
        timestamper=timestamper,
        new_field_spec=fields.SigFieldSpec(sig_field_name=field_name),
    )
    writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
    with _no_stated_time(not stated_time):
        output = outside_event_loop(lambda: signer.sign_pdf(writer))
    return output.getvalue()


def foreign_time_stamper(*, stamp_time: datetime) -> DummyTimeStamper:
    """A time-stamping authority of its own making (self-signed, time-stamping usage only),
    which no trust root of the portal vouches for, stamping every token `stamp_time`."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Dịch vụ dấu thời gian lạ")])
    start = min(stamp_time, datetime.now(UTC)) - timedelta(days=30)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=3650))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return DummyTimeStamper(
        tsa_cert=asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
        tsa_key=asn1_keys.PrivateKeyInfo.load(key_der),
        fixed_dt=stamp_time,
    )


def without_certificates(pdf: bytes) -> bytes:
    """`pdf` with its last signature's CMS rewritten in place without the certificates it
    embeds: the signed byte ranges are untouched, the SignedData still parses, and the signer's
    certificate is nowhere to be found."""
    start = pdf.rindex(b"/Contents <") + len(b"/Contents <")
    end = pdf.index(b">", start)
    placeholder = pdf[start:end]
    info = cms.ContentInfo.load(bytes.fromhex(placeholder.decode("ascii")), strict=False)
    signed_data = info["content"]
    signed_data["certificates"] = None
    der = info.dump(force=True)
    contents = der.hex().encode("ascii").ljust(len(placeholder), b"0")
    assert len(contents) == len(placeholder)
    return pdf[:start] + contents + pdf[end:]
