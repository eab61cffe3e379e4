"""The CA backend interface: what the portal needs from a certificate authority.

The simulated CA (`simulated.SimulatedCABackend`) implements it with `cryptography`; a
connector to the real CA would implement the same methods by calling the CA's system (see
docs/ca.md). Only `certificates.services` calls a backend; nothing else in the portal touches
X.509 or keys.

Backends work on plain values and on the app's own models (`CertificateAuthority`,
`DeviceKey`, `Certificate`); the registry rows, history, audit and rules stay in the services.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from cryptography import x509
from django.utils.translation import gettext as _

from certificates.exceptions import CertificateError
from certificates.subjects import SubjectInfo

if TYPE_CHECKING:
    from certificates.models import Certificate, CertificateAuthority, DeviceKey, TimestampUnit
    from devices.models import Device


@dataclass(frozen=True)
class IssueRequest:
    """One certificate to issue. `key` is a key pair the device already holds (or None);
    `csr_der` a PKCS#10 request signed by the device's token, whose public key the CA
    certifies after checking its signature (docs/ca.md, "Subscribers' tokens")."""

    subject: SubjectInfo
    not_before: datetime
    not_after: datetime
    device: Device | None = None
    key: DeviceKey | None = None
    key_algorithm: str = ""
    csr_der: bytes | None = None


@dataclass(frozen=True)
class IssuedCertificate:
    serial: str  # upper-case hex, no leading zeros
    der: bytes
    subject_dn: str  # RFC 4514
    not_before: datetime
    not_after: datetime
    authority: CertificateAuthority
    key: DeviceKey | None


@dataclass(frozen=True)
class RevokedEntry:
    serial: str
    revoked_at: datetime
    reason: str  # a RevocationReason value


@dataclass(frozen=True)
class OcspStatus:
    """What the registry knows of one serial number issued by `authority`."""

    revoked: bool
    revoked_at: datetime | None = None
    reason: str = ""


# Looks up (authority, serial hex) in the registry; None when the CA never issued it.
OcspLookup = Callable[["CertificateAuthority", str], OcspStatus | None]


@dataclass(frozen=True)
class TimestampGrant:
    """A time-stamp token about to be signed, as the registry keeps it (docs/ca.md,
    "Time-stamping authority"); `unit_id` is the simulated TSA's signing unit (None for a real
    CA's TSA)."""

    unit_id: int | None
    hash_algorithm: str
    message_imprint: bytes
    gen_time: datetime
    policy: str
    nonce: int | None


# Writes the token's row and returns its serial number (unique: the registry's sequence),
# inside the transaction the token is signed in.
TimestampRecorder = Callable[[TimestampGrant], int]


@dataclass(frozen=True)
class RemoteKey:
    """A remote-signing credential's key pair, generated in the CA's HSM (docs/remote-signing.md):
    its id (the key objects' CKA_ID, hex), its public key (SubjectPublicKeyInfo DER) and the
    PKCS#10 request the HSM signed with it for the CA to certify."""

    credential_id: str
    public_key_der: bytes
    csr_der: bytes


@dataclass(frozen=True)
class SigningMaterial:
    """A subscriber's key and certificate chain, for signing demo letters (simulation only)."""

    private_key: object
    certificate_der: bytes
    chain_der: tuple[bytes, ...]


class CABackend(abc.ABC):
    """A certificate authority as seen by the portal."""

    # --- the key ceremony -------------------------------------------------------------
    @abc.abstractmethod
    def initialize(self, *, rotate: bool = False) -> list[CertificateAuthority]:
        """Create the root and issuing CA when missing (or a new issuing CA on `rotate`).

        Returns the authorities created; an empty list means nothing changed.
        """

    # --- certificates -----------------------------------------------------------------
    @abc.abstractmethod
    def issue(self, *, requests: Sequence[IssueRequest]) -> list[IssuedCertificate]:
        """Issue one certificate per request with the active issuing CA, in order."""

    @abc.abstractmethod
    def renew(self, *, previous: Certificate, not_after: datetime) -> IssuedCertificate:
        """A new certificate for the same subject and the same key, valid until `not_after`."""

    @abc.abstractmethod
    def change_info(self, *, previous: Certificate, subject: SubjectInfo) -> IssuedCertificate:
        """A new certificate for the same key with a new subject and the same expiry."""

    @abc.abstractmethod
    def revoke(self, *, certificate: Certificate, reason: str, revoked_at: datetime) -> None:
        """Tell the CA. The registry row is updated by the service."""

    def revoke_many(
        self, *, certificates: Sequence[Certificate], reason: str, revoked_at: datetime
    ) -> None:
        """Tell the CA of several revocations of one case (`certificate_revoke_many`): one
        `revoke` each unless the CA's interface takes a list, when a connector overrides it."""
        for certificate in certificates:
            self.revoke(certificate=certificate, reason=reason, revoked_at=revoked_at)

    # --- publication ------------------------------------------------------------------
    @abc.abstractmethod
    def build_crl(
        self,
        *,
        authority: CertificateAuthority,
        entries: Sequence[RevokedEntry],
        number: int,
        this_update: datetime,
        next_update: datetime,
    ) -> bytes:
        """The DER CRL of `authority` listing `entries`."""

    @abc.abstractmethod
    def ocsp_response(self, *, request_der: bytes, lookup: OcspLookup) -> bytes:
        """A DER OCSP response (RFC 6960) to a DER OCSP request; never raises on bad input."""

    @abc.abstractmethod
    def timestamp_response(self, *, request_der: bytes, record: TimestampRecorder) -> bytes:
        """A DER TimeStampResp (RFC 3161) to a DER TimeStampReq; never raises on bad input: a
        request the TSA does not take gets a rejection with its PKIFailureInfo. `record` is
        called once per token granted, before it is signed, and gives its serial number."""

    def timestamp_unit_ensure(self) -> TimestampUnit | None:
        """Issue the TSA's own certificate (key ceremony) when there is none valid under the
        active issuing CA; returns the new unit, or None when nothing changed. A real CA's
        TSA has its own certificate: nothing to do."""
        return None

    @abc.abstractmethod
    def chain(self, *, authority: CertificateAuthority) -> list[bytes]:
        """DER certificates from `authority` up to its root, `authority` first."""

    # --- remote signing (docs/remote-signing.md) --------------------------------------
    def remote_keys_generate(
        self, *, subjects: Sequence[x509.Name], algorithm: str
    ) -> list[RemoteKey]:
        """A key pair per subject in the CA's HSM for remote-signing credentials, each with a
        PKCS#10 request signed by it; none left behind when it fails."""
        raise CertificateError(
            _("CA này không cung cấp ký số tập trung qua cổng."), code="unsupported"
        )

    def remote_hashes_sign(
        self, *, credential_id: str, public_key_der: bytes, digests: Sequence[bytes], hash_name: str
    ) -> list[bytes]:
        """Sign each digest (of `hash_name`) with the credential's key in the CA's HSM: a
        PKCS#1 v1.5 signature for RSA, DER ECDSA for EC. The caller has checked the holder's
        authorisation (docs/remote-signing.md)."""
        raise CertificateError(
            _("CA này không cung cấp ký số tập trung qua cổng."), code="unsupported"
        )

    def remote_key_ids(self) -> list[str]:
        """The credential ids of every remote-signing key the CA's HSM holds."""
        raise CertificateError(
            _("CA này không cung cấp ký số tập trung qua cổng."), code="unsupported"
        )

    def remote_pin_mac(self, *, data: bytes) -> bytes:
        """HMAC-SHA256 of `data` with a key that never leaves the CA's HSM: the check of a
        remote-signing credential's PIN (docs/remote-signing.md, "Sole control")."""
        raise CertificateError(
            _("CA này không cung cấp ký số tập trung qua cổng."), code="unsupported"
        )

    def remote_keys_destroy(self, *, credential_ids: Sequence[str]) -> int:
        """Destroy the credentials' key objects in the CA's HSM (a revoked certificate's)."""
        raise CertificateError(
            _("CA này không cung cấp ký số tập trung qua cổng."), code="unsupported"
        )

    # --- simulation only --------------------------------------------------------------
    # A connector to the real CA refuses these: keys are born on the real token and never
    # leave it. Only the simulated CA overrides them.
    def generate_device_key(self, *, device: Device | None, algorithm: str) -> DeviceKey:
        """Have the (simulated) device generate a key pair before any request."""
        raise CertificateError(
            _("Khóa được sinh trên thiết bị thật tại CA; cổng không tự sinh khóa."),
            code="unsupported",
        )

    def fill_key_pool(self, *, algorithm: str, count: int) -> list[DeviceKey]:
        """Generate `count` key pairs ahead, on no device yet, for issuance to take
        (docs/scale.md §12.3). A real CA's keys are born on its tokens: nothing to do."""
        return []

    def signing_material(self, *, certificate: Certificate) -> SigningMaterial:
        """The key of a (simulated) device, to sign demo letters."""
        raise CertificateError(
            _("Thiết bị thật không bao giờ cho lấy khóa bí mật ra ngoài."), code="unsupported"
        )
