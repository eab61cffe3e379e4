"""The key ceremony, the simulated devices' keys, and signing material for demo letters."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from certificates.backends import get_backend
from certificates.backends.base import SigningMaterial
from certificates.models import Certificate, CertificateAuthority, DeviceKey
from certificates.services.common import day, key_algorithm_of
from certificates.services.publication import crl_publish
from certificates.services.timestamps import timestamp_unit_ensure
from devices.models import Device
from devices.services import token_store_on
from portal.audit import audit_record

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser as User


def ca_initialize(*, by: User | None = None, rotate: bool = False) -> list[CertificateAuthority]:
    """Create the root and issuing CA if missing; with `rotate`, a new issuing CA. The TSA's
    certificate is then issued if there is none valid under the active issuing CA.

    Idempotent without `rotate`: a second run creates nothing. The retired issuing CA is kept
    (its CRL and OCSP answers go on until its certificates expire).
    """
    with transaction.atomic():
        previous = CertificateAuthority.objects.public().active_issuing().first()
        created = get_backend().initialize(rotate=rotate)
        for authority in created:
            audit_record(
                actor=by,
                action="ca.create",
                obj=authority,
                after={
                    "kind": authority.kind,
                    "name": authority.name,
                    "serial": authority.serial,
                    "key_algorithm": authority.key_algorithm,
                    "not_after": day(authority.not_after),
                    # Where the key was generated (docs/ca.md, "Keys on tokens").
                    **(
                        {
                            "token_serial": authority.token_serial,
                            "token_key_id": authority.token_key_id,
                        }
                        if authority.token_serial
                        else {}
                    ),
                },
                reason=_("Thay khóa CA phát hành") if rotate else _("Khởi tạo CA"),
            )
        if previous is not None:
            previous.refresh_from_db(fields=["is_active", "retired_at"])
            if not previous.is_active and previous.retired_at:
                audit_record(
                    actor=by,
                    action="ca.retire",
                    obj=previous,
                    before={"is_active": True},
                    after={"is_active": False, "retired_at": day(previous.retired_at)},
                    reason=_("Thay khóa CA phát hành"),
                )
        for authority in created:
            crl_publish(authority=authority, force=True)
        # The TSA's certificate, under the issuing CA now active (docs/ca.md).
        timestamp_unit_ensure(by=by)
    return created


def device_key_generate(
    *, device: Device | None, by: User | None, algorithm: str | None = None
) -> DeviceKey:
    """Have a device generate its key pair ahead of a request (a token initialised in stock)."""
    algorithm = key_algorithm_of(algorithm)
    with transaction.atomic():
        device_key = get_backend().generate_device_key(device=device, algorithm=algorithm)
        audit_record(
            actor=by,
            action="device_key.generate",
            obj=device_key,
            after={
                "algorithm": algorithm,
                "key_id": device_key.key_id,
                "device": str(device) if device else "",
            },
        )
    return device_key


def device_key_pool_fill(
    *,
    by: User | None = None,
    target: int | None = None,
    batch: int | None = None,
    algorithm: str | None = None,
) -> int:
    """Top up the simulated CA's key pool: key pairs generated ahead, on no device yet, that
    issuance takes instead of generating one per certificate (docs/scale.md §12.3).

    Generates at most `batch` (CA_KEY_POOL_BATCH) keys, and only as many as the pool lacks
    to hold `target` (CA_KEY_POOL_SIZE); returns how many. One audit event per run that adds
    keys. A real CA's backend adds none: its keys are born on its tokens. Nor does the token
    store (docs/ca.md, "Subscribers' tokens"): its keys are born in the devices' tokens, keyed
    ahead by `devices.services.device_tokens_key_ahead`, and no private key is kept here.
    """
    if token_store_on():
        return 0
    algorithm = key_algorithm_of(algorithm)
    target = settings.CA_KEY_POOL_SIZE if target is None else target
    batch = settings.CA_KEY_POOL_BATCH if batch is None else batch
    ready = DeviceKey.objects.filter(in_pool=True, algorithm=algorithm).count()
    count = max(0, min(batch, target - ready))
    if not count:
        return 0
    with transaction.atomic():
        keys = get_backend().fill_key_pool(algorithm=algorithm, count=count)
        if keys:
            audit_record(
                actor=by,
                action="device_key.pool_fill",
                after={
                    "algorithm": algorithm,
                    "count": len(keys),
                    "ready": ready + len(keys),
                    "first_key_id": keys[0].key_id,
                    "last_key_id": keys[-1].key_id,
                },
            )
    return len(keys)


def certificate_signing_material(*, certificate: Certificate, by: User | None) -> SigningMaterial:
    """The subscriber's key and chain, to sign demo letters (simulated devices only)."""
    material = get_backend().signing_material(certificate=certificate)
    audit_record(
        actor=by,
        action="device_key.use",
        obj=certificate,
        after={"serial": certificate.serial, "key_id": certificate.key.key_id},
    )
    return material
