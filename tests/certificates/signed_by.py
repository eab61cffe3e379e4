"""A PDF signed by a given certificate of the simulated CA whatever its status, and a root
certificate no relying party of the portal trusts (tests of verification and of the validation
report)."""

from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from certificates import services
from certificates.signing import Appearance, signature_position
from tests.outside_signer import sign_with_material


def sign_as(pdf: bytes, certificate, by, *, field_name="ChuKy") -> bytes:
    """Sign with a certificate's key whatever its status (a token signs what it is asked)."""
    material = services.certificate_signing_material(certificate=certificate, by=by)
    return sign_with_material(
        pdf,
        material=material,
        field_name=field_name,
        appearance=Appearance.signature(
            signature_position(pdf), signer_name="Người ký", title="Chức vụ", agency="Cơ quan"
        ),
    )


def foreign_root_pem(path) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Root CA lạ")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return str(path)
