"""The simulated CA: a real X.509 hierarchy built with `cryptography`.

Root "… Root CA (mô phỏng)" (20 years) → issuing CA → subscriber certificates. The CA keys
are generated and used inside the CA's HSM slot through PKCS#11 (docs/ca.md, "Keys on
tokens"); the development key store keeps them PKCS#8-encrypted in the database. The
simulated devices' keys are PKCS#8, encrypted with `BestAvailableEncryption` (PBES2,
PBKDF2-HMAC-SHA256, AES-256-CBC) under a passphrase from the environment.
Building X.509 objects is `x509build`, CA keys and loaded CAs `ca_keys`; this module is
the backend: which CA signs what, and what the registry keeps.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.x509 import ocsp
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from certificates.backends import remote_keys
from certificates.backends.base import (
    CABackend,
    IssuedCertificate,
    IssueRequest,
    OcspLookup,
    RemoteKey,
    RevokedEntry,
    SigningMaterial,
    TimestampGrant,
    TimestampRecorder,
)
from certificates.backends.ca_keys import (
    DEV_DEVICE_PASSPHRASE,
    LoadedAuthority,
    ca_key_generate,
    load_authority,
    load_timestamp_unit,
    passphrase,
)
from certificates.backends.tsa import (
    TimestampRefused,
    build_token,
    build_tsa_certificate,
    parse_request,
    rejection,
)
from certificates.backends.x509build import (
    OCSP_HASHES,
    aware,
    build_crl,
    build_issuing_certificate,
    build_ocsp_response,
    build_root_certificate,
    build_subscriber_certificate,
    dn_string,
    encrypt_private_key,
    key_id,
    naive_utc,
    new_private_key,
    ocsp_failure,
    serial_hex,
    subject_dn_string,
    subject_from_name,
)
from certificates.choices import AuthorityKind
from certificates.exceptions import CertificateError
from certificates.models import CertificateAuthority, DeviceKey, TimestampUnit
from certificates.subjects import SubjectInfo
from certificates.validity import add_years
from portal.lib import pkcs11
from portal.lib.bulk import update_rows

log = logging.getLogger(__name__)


# --- the backend ---------------------------------------------------------------------------
class SimulatedCABackend(CABackend):
    # --- key ceremony -----------------------------------------------------------------
    def initialize(self, *, rotate: bool = False) -> list:
        created = []
        with transaction.atomic():
            root = CertificateAuthority.objects.select_for_update().active_root().first()
            if root is None:
                root = self._create_root()
                created.append(root)
            issuing = CertificateAuthority.objects.select_for_update().active_issuing().first()
            if issuing is None or (rotate and not created):
                generation = 1
                if issuing is not None:
                    issuing.is_active = False
                    issuing.retired_at = timezone.now()
                    issuing.save(update_fields=["is_active", "retired_at"])
                    generation = issuing.generation + 1
                created.append(self._create_issuing(root, generation))
        return created

    def _save_authority(self, *, kind, name, generation, parent, cert, stored, algorithm):
        """The CA's row: its certificate and where its key is (`stored`: the HSM token and
        CKA_ID, or the development store's encrypted key)."""
        return CertificateAuthority.objects.create(
            kind=kind,
            name=name,
            generation=generation,
            parent=parent,
            serial=serial_hex(cert.serial_number),
            subject_dn=dn_string(cert.subject),
            key_id=key_id(cert.public_key()),
            key_algorithm=algorithm,
            not_before=cert.not_valid_before_utc,
            not_after=cert.not_valid_after_utc,
            certificate_der=cert.public_bytes(serialization.Encoding.DER),
            is_active=True,
            **stored,
        )

    def _create_root(self):
        algorithm = settings.CA_ROOT_KEY_ALGORITHM
        key, stored = ca_key_generate(algorithm=algorithm, label=settings.CA_ROOT_NAME)
        now = naive_utc(timezone.now())
        cert = build_root_certificate(key=key, common_name=settings.CA_ROOT_NAME, now=now)
        return self._save_authority(
            kind=AuthorityKind.ROOT,
            name=settings.CA_ROOT_NAME,
            generation=1,
            parent=None,
            cert=cert,
            stored=stored,
            algorithm=algorithm,
        )

    def _create_issuing(self, root, generation: int):
        algorithm = settings.CA_ISSUING_KEY_ALGORITHM
        template = settings.CA_ISSUING_NAME
        if "{generation}" in template:
            common_name = template.format(generation=generation)
        else:
            common_name = template if generation == 1 else f"{template} - {generation}"
        parent = load_authority(root)
        parent.private_key  # noqa: B018 - the root's key must sign: fail before making a key
        key, stored = ca_key_generate(
            algorithm=algorithm, label=common_name, token_serial=root.token_serial
        )
        now = naive_utc(timezone.now())
        not_after = min(
            add_years(now, settings.CA_ISSUING_VALIDITY_YEARS),
            parent.certificate.not_valid_after_utc.replace(tzinfo=None),
        )
        cert = build_issuing_certificate(
            key=key,
            common_name=common_name,
            parent=parent,
            root_pk=root.pk,
            now=now,
            not_after=not_after,
        )
        return self._save_authority(
            kind=AuthorityKind.ISSUING,
            name=common_name,
            generation=generation,
            parent=root,
            cert=cert,
            stored=stored,
            algorithm=algorithm,
        )

    # --- the time-stamping authority's unit (docs/ca.md, "Time-stamping authority") -----
    def timestamp_unit_ensure(self):
        with transaction.atomic():
            issuing = CertificateAuthority.objects.public().active_issuing().first()
            if issuing is None:
                return None
            current = TimestampUnit.objects.select_for_update().filter(is_active=True).first()
            now = timezone.now()
            renew_from = now + timedelta(days=settings.CA_TSA_RENEW_DAYS)
            if (
                current is not None
                and current.issuer_id == issuing.pk
                and current.not_after > now
                # Not yet near its end, or as long as its issuing CA: a new one would end
                # no later.
                and (current.not_after > renew_from or current.not_after >= issuing.not_after)
            ):
                return None
            if current is not None:  # the issuing CA rotated, the unit ending or ended
                current.is_active = False
                current.retired_at = now
                current.save(update_fields=["is_active", "retired_at"])
            return self._create_timestamp_unit(issuing)

    def _create_timestamp_unit(self, issuing):
        algorithm = settings.CA_TSA_KEY_ALGORITHM
        issuer = load_authority(issuing)
        issuer.private_key  # noqa: B018 - the issuing key must sign: fail before making a key
        key, stored = ca_key_generate(
            algorithm=algorithm, label=settings.CA_TSA_NAME, token_serial=issuing.token_serial
        )
        now = naive_utc(timezone.now())
        cert = build_tsa_certificate(
            key=key,
            common_name=settings.CA_TSA_NAME,
            issuer=issuer,
            issuer_pk=issuing.pk,
            now=now,
            not_after=min(add_years(now, settings.CA_TSA_VALIDITY_YEARS), issuer.not_after),
        )
        return TimestampUnit.objects.create(
            issuer=issuing,
            name=settings.CA_TSA_NAME,
            serial=serial_hex(cert.serial_number),
            subject_dn=dn_string(cert.subject),
            key_algorithm=algorithm,
            not_before=cert.not_valid_before_utc,
            not_after=cert.not_valid_after_utc,
            certificate_der=cert.public_bytes(serialization.Encoding.DER),
            is_active=True,
            **stored,
        )

    # --- subscriber keys (the simulated device) -----------------------------------------
    def generate_device_key(self, *, device, algorithm: str):
        return self._generate_device_keys([(device, algorithm)])[0]

    def fill_key_pool(self, *, algorithm: str, count: int) -> list:
        return self._generate_device_keys([(None, algorithm)] * count, in_pool=True)

    def _generate_device_keys(
        self, wanted: Sequence[tuple[object, str]], *, in_pool: bool = False
    ) -> list:
        secret = passphrase("CA_DEVICE_KEY_PASSPHRASE", DEV_DEVICE_PASSPHRASE)
        rows = []
        for device, algorithm in wanted:
            private_key = new_private_key(algorithm)
            public_key = private_key.public_key()
            row = DeviceKey(
                device=device,
                algorithm=algorithm,
                key_id=key_id(public_key),
                public_key_der=public_key.public_bytes(
                    serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
                ),
                private_key_pem=encrypt_private_key(private_key, secret),
                in_pool=in_pool,
            )
            row._public_key = public_key
            rows.append(row)
        return DeviceKey.objects.bulk_create(rows, batch_size=500)

    def _device_keys_for(self, wanted: Sequence[tuple[object, str]]) -> list:
        """A key pair for each (device, algorithm): taken from the key pool while it lasts
        (locked, skipping keys another issuance holds: a rolled-back issuance gives them
        back), generated on the spot for the rest. One query per algorithm and one UPDATE."""
        by_algorithm: dict[str, list[int]] = {}
        for index, (_device, algorithm) in enumerate(wanted):
            by_algorithm.setdefault(algorithm, []).append(index)
        keys: list = [None] * len(wanted)
        taken = []
        for algorithm, indexes in by_algorithm.items():
            pooled = list(
                DeviceKey.objects.select_for_update(skip_locked=True)
                .filter(in_pool=True, algorithm=algorithm)
                .defer("private_key_pem")
                .order_by("id")[: len(indexes)]
            )
            for index, key in zip(indexes, pooled, strict=False):
                key.device, key.in_pool = wanted[index][0], False
                keys[index] = key
                taken.append(key)
        update_rows(DeviceKey, ["device", "in_pool"], [(k.pk, k.device_id, False) for k in taken])
        missing = [index for index, key in enumerate(keys) if key is None]
        if missing:
            generated = self._generate_device_keys([wanted[i] for i in missing])
            for index, key in zip(missing, generated, strict=True):
                keys[index] = key
        return keys

    @staticmethod
    def _public_key_of(device_key):
        cached = getattr(device_key, "_public_key", None)
        if cached is None:
            cached = serialization.load_der_public_key(bytes(device_key.public_key_der))
            device_key._public_key = cached
        return cached

    # --- certificates -----------------------------------------------------------------
    def _issuing(self):
        authority = CertificateAuthority.objects.public().active_issuing().first()
        if authority is None:
            raise CertificateError(
                _("Chưa khởi tạo CA: chạy lệnh `manage.py ca_init` trước."), code="no_ca"
            )
        return authority

    def _sign(self, authority, ca: LoadedAuthority, *, subject, key, not_before, not_after):
        start, end = naive_utc(not_before), naive_utc(not_after)
        if end > ca.not_after:
            raise CertificateError(
                _(
                    "Hạn của chứng thư vượt quá hạn của CA phát hành (%(date)s): "
                    "cần thay khóa CA (ca_init --rotate)."
                )
                % {"date": f"{ca.not_after:%d/%m/%Y}"},
                code="ca_expiring",
            )
        cert = build_subscriber_certificate(
            ca,
            subject=subject,
            public_key=self._public_key_of(key),
            key_id_hex=key.key_id,
            start=start,
            end=end,
        )
        return IssuedCertificate(
            serial=serial_hex(cert.serial_number),
            der=cert.public_bytes(serialization.Encoding.DER),
            subject_dn=subject_dn_string(subject),
            not_before=aware(start),
            not_after=aware(end),
            authority=authority,
            key=key,
        )

    def _keys_from_requests(self, requests: Sequence[IssueRequest]) -> list:
        """The public keys of PKCS#10 requests signed by the devices' tokens, each checked
        against its request's signature, as registry keys with no private part."""
        rows = []
        for request in requests:
            try:
                csr = x509.load_der_x509_csr(request.csr_der)
            except ValueError as exc:
                raise CertificateError(
                    _("Yêu cầu chứng thư (PKCS#10) không đọc được."), code="bad_csr"
                ) from exc
            if not csr.is_signature_valid:
                raise CertificateError(
                    _("Chữ ký của yêu cầu chứng thư (PKCS#10) không hợp lệ."), code="bad_csr"
                )
            public_key = csr.public_key()
            row = DeviceKey(
                device=request.device,
                algorithm=request.key_algorithm,
                key_id=key_id(public_key),
                public_key_der=public_key.public_bytes(
                    serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
                ),
                store=DeviceKey.Store.TOKEN,
            )
            row._public_key = public_key
            rows.append(row)
        return DeviceKey.objects.bulk_create(rows, batch_size=500)

    def issue(self, *, requests: Sequence[IssueRequest]) -> list[IssuedCertificate]:
        authority = self._issuing()
        ca = load_authority(authority)
        ca.private_key  # noqa: B018 - fail on a bad passphrase before generating any key
        from_tokens = [r for r in requests if r.key is None and r.csr_der is not None]
        token_keys = iter(self._keys_from_requests(from_tokens)) if from_tokens else iter(())
        requests = [
            replace(r, key=next(token_keys)) if r.key is None and r.csr_der is not None else r
            for r in requests
        ]
        missing = [(r.device, r.key_algorithm) for r in requests if r.key is None]
        new_keys = iter(self._device_keys_for(missing)) if missing else iter(())
        issued = []
        for request in requests:
            key = request.key if request.key is not None else next(new_keys)
            issued.append(
                self._sign(
                    authority,
                    ca,
                    subject=request.subject,
                    key=key,
                    not_before=request.not_before,
                    not_after=request.not_after,
                )
            )
        return issued

    def _reissue(self, previous, *, subject: SubjectInfo | None, not_after: datetime):
        if previous.key_id is None:
            raise CertificateError(
                _("Không tìm thấy cặp khóa của chứng thư này trên thiết bị."), code="no_key"
            )
        if subject is None:
            subject = subject_from_name(x509.load_der_x509_certificate(bytes(previous.der)).subject)
        authority = self._issuing()
        return self._sign(
            authority,
            load_authority(authority),
            subject=subject,
            key=previous.key,
            not_before=timezone.now(),
            not_after=not_after,
        )

    def renew(self, *, previous, not_after: datetime) -> IssuedCertificate:
        return self._reissue(previous, subject=None, not_after=not_after)

    def change_info(self, *, previous, subject: SubjectInfo) -> IssuedCertificate:
        return self._reissue(previous, subject=subject, not_after=previous.not_after)

    def revoke(self, *, certificate, reason: str, revoked_at: datetime) -> None:
        """The simulated CA's revocation database is the registry itself: nothing to send."""

    def revoke_many(self, *, certificates, reason: str, revoked_at: datetime) -> None:
        """Nothing to send either: a batch costs nothing per certificate."""

    # --- publication ------------------------------------------------------------------
    def build_crl(
        self,
        *,
        authority,
        entries: Sequence[RevokedEntry],
        number: int,
        this_update: datetime,
        next_update: datetime,
    ) -> bytes:
        return build_crl(
            load_authority(authority),
            entries=entries,
            number=number,
            this_update=this_update,
            next_update=next_update,
        )

    def ocsp_response(self, *, request_der: bytes, lookup: OcspLookup) -> bytes:
        try:
            request = ocsp.load_der_ocsp_request(request_der)
            algorithm = request.hash_algorithm
            name_hash, key_hash = request.issuer_name_hash, request.issuer_key_hash
            serial_number = request.serial_number
        except (ValueError, UnsupportedAlgorithm):
            return ocsp_failure(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
        if algorithm.name not in OCSP_HASHES:
            return ocsp_failure(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)

        signer = None
        for authority in CertificateAuthority.objects.public():
            loaded = load_authority(authority)
            if loaded.ocsp_hashes(algorithm.name) == (name_hash, key_hash):
                signer = (authority, loaded)
                break
        if signer is None:
            return ocsp_failure(ocsp.OCSPResponseStatus.UNAUTHORIZED)
        authority, loaded = signer
        try:
            return build_ocsp_response(
                loaded,
                request=request,
                status=lookup(authority, serial_hex(serial_number)),
                now=naive_utc(timezone.now()),
                next_update_minutes=settings.CA_OCSP_NEXT_UPDATE_MINUTES,
            )
        except CertificateError as error:
            if error.code != "ca_key_unavailable":
                raise
            # The CA's token cannot sign (missing, wrong PIN): RFC 6960's answer, not a 500.
            log.error("OCSP: the key of CA %s is unavailable: %s", authority.pk, error)
            return ocsp_failure(ocsp.OCSPResponseStatus.INTERNAL_ERROR)

    def timestamp_response(self, *, request_der: bytes, record: TimestampRecorder) -> bytes:
        policy = settings.CA_TSA_POLICY_OID
        try:
            request = parse_request(request_der, policy=policy)
        except TimestampRefused as refused:
            return rejection(refused.failure, refused.text)
        now = timezone.now()
        unit = TimestampUnit.objects.filter(
            is_active=True, not_before__lte=now, not_after__gt=now
        ).first()
        if unit is None:
            log.error("TSA: no valid time-stamping unit (run manage.py ca_init)")
            return rejection("system_failure", "the TSA has no valid certificate")
        gen_time = now.replace(microsecond=0)
        try:
            with transaction.atomic():
                serial = record(
                    TimestampGrant(
                        unit_id=unit.pk,
                        hash_algorithm=request.hash_algorithm,
                        message_imprint=request.digest,
                        gen_time=gen_time,
                        policy=policy,
                        nonce=request.nonce,
                    )
                )
                return build_token(
                    request=request,
                    certificate_der=bytes(unit.certificate_der),
                    private_key=load_timestamp_unit(unit).private_key,
                    serial=serial,
                    gen_time=gen_time,
                    policy=policy,
                )
        except (CertificateError, pkcs11.TokenError) as error:
            if isinstance(error, CertificateError) and error.code != "ca_key_unavailable":
                raise
            # The unit's token cannot sign: the row is rolled back, RFC 3161's answer given.
            log.error("TSA: the key of unit %s is unavailable: %s", unit.pk, error)
            return rejection("system_failure", "the TSA cannot sign now")

    def chain(self, *, authority) -> list[bytes]:
        ders = []
        seen: set[int] = set()
        node = authority
        while node is not None and node.pk not in seen:
            seen.add(node.pk)
            ders.append(bytes(node.certificate_der))
            node = (
                CertificateAuthority.objects.public().filter(pk=node.parent_id).first()
                if node.parent_id
                else None
            )
        return ders

    # --- remote signing ----------------------------------------------------------------
    def remote_keys_generate(self, *, subjects, algorithm: str) -> list[RemoteKey]:
        return remote_keys.remote_keys_generate(subjects=subjects, algorithm=algorithm)

    def remote_hashes_sign(
        self, *, credential_id: str, public_key_der: bytes, digests, hash_name: str
    ) -> list[bytes]:
        return remote_keys.remote_hashes_sign(
            credential_id=credential_id,
            public_key_der=public_key_der,
            digests=digests,
            hash_name=hash_name,
        )

    def remote_key_ids(self) -> list[str]:
        return remote_keys.remote_key_ids()

    def remote_pin_mac(self, *, data: bytes) -> bytes:
        return remote_keys.remote_pin_mac(data=data)

    def remote_keys_destroy(self, *, credential_ids) -> int:
        return remote_keys.remote_keys_destroy(credential_ids=credential_ids)

    # --- simulation only --------------------------------------------------------------
    def signing_material(self, *, certificate) -> SigningMaterial:
        if certificate.key_id is None or not certificate.der:
            raise CertificateError(
                _("Chứng thư này không có khóa bí mật trong kho mô phỏng."), code="no_key"
            )
        if certificate.key.store == certificate.key.Store.TOKEN:
            # The key never leaves the holder's token: the server cannot sign with it; the
            # holder signs at their own desk (docs/ca.md, "Subscribers' tokens").
            raise CertificateError(
                _(
                    "Khóa bí mật của chứng thư này nằm trong thiết bị của người ký: hãy ký "
                    "bằng thiết bị tại máy của mình và tải văn bản đã ký lên."
                ),
                code="key_on_token",
            )
        # The key is one this CA generated and stored encrypted under its own passphrase: a
        # trusted source, so RSA's consistency checks (60 ms a key) are not run again.
        private_key = serialization.load_pem_private_key(
            bytes(certificate.key.private_key_pem),
            passphrase("CA_DEVICE_KEY_PASSPHRASE", DEV_DEVICE_PASSPHRASE),
            unsafe_skip_rsa_key_validation=True,
        )
        return SigningMaterial(
            private_key=private_key,
            certificate_der=bytes(certificate.der),
            chain_der=tuple(self.chain(authority=certificate.issuer)),
        )
