"""The simulated CA built once per test process: its first key ceremony (keys in the run's
SoftHSM2 slot, the root and issuing certificates, the TSA's, the first CRLs) is kept, and a
later test that needs a CA gets the same rows inserted again in its own transaction, pointing
at the same keys on the same token, instead of a ceremony of its own (0.15 s each, hundreds
of times a run). The ceremony's audit events are recorded again about the new rows, so the
trail reads as after a ceremony of the test's own.

A ceremony under other settings (RSA keys, another token, the file key store) is kept apart:
the snapshot is chosen by every CA_ and PKCS11_ setting."""

from django.conf import settings
from django.utils import timezone

from certificates.models import CertificateAuthority, RevocationList
from certificates.services import ca_initialize
from certificates.tsa.models import TimestampUnit
from portal.audit import audit_record
from portal.models import AuditEvent

_KEPT: dict[tuple, tuple[list[tuple[type, dict]], list[dict]]] = {}


def _settings_key() -> tuple:
    return tuple(
        (name, repr(getattr(settings, name)))
        for name in sorted(dir(settings))
        if name.startswith(("CA_", "PKCS11_"))
    )


def _rows() -> list[tuple[type, dict]]:
    rows = []
    for model in (CertificateAuthority, TimestampUnit, RevocationList):
        for obj in model.objects.order_by("pk"):
            rows.append((model, {f.attname: getattr(obj, f.attname) for f in model._meta.fields}))
    return rows


def _events(after_seq: int) -> list[dict]:
    return list(
        AuditEvent.objects.filter(seq__gt=after_seq)
        .order_by("seq")
        .values("action", "object_type", "object_id", "before", "after", "reason")
    )


def _insert(rows: list[tuple[type, dict]], events: list[dict]) -> None:
    """The kept rows under new primary keys, their links to each other mapped, and the
    ceremony's events about them."""
    new_pk: dict[tuple[type, int], int] = {}
    created: dict[tuple[str, str], object] = {}
    for model, values in rows:
        values = dict(values)
        old = values.pop("id")
        for field in model._meta.fields:
            if field.many_to_one and values.get(field.attname) is not None:
                values[field.attname] = new_pk[(field.related_model, values[field.attname])]
        obj = model.objects.create(**values)
        new_pk[(model, old)] = obj.pk
        created[(model._meta.label_lower, str(old))] = obj
    for event in events:
        audit_record(
            actor=None,
            action=event["action"],
            obj=created.get((event["object_type"], event["object_id"])),
            before=event["before"],
            after=event["after"],
            reason=event["reason"],
        )


def _valid_now(rows: list[tuple[type, dict]]) -> bool:
    now = timezone.now()
    return all(
        values["not_before"] <= now < values["not_after"]
        for _model, values in rows
        if "not_before" in values
    )


def ca_ready() -> None:
    """A CA as `ca_initialize` leaves it, built at most once per process and settings."""
    if CertificateAuthority.objects.filter(kind="issuing", is_active=True).exists():
        return
    key = _settings_key()
    if key in _KEPT and not _valid_now(_KEPT[key][0]):
        # A test travelling in time before the kept ceremony or past its certificates.
        ca_initialize()
        return
    if key in _KEPT:
        _insert(*_KEPT[key])
        return
    last = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    ca_initialize()
    _KEPT[key] = (_rows(), _events(last))
