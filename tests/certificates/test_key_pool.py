"""The simulated CA's key pool and the batch issuance that processing uses (docs/scale.md §12.3): keys generated ahead, each given to one certificate only, the
certificate bound to that very key; issuance that leaves its audit events to the caller."""

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from certificates import services
from certificates.choices import SubjectKind
from certificates.models import Certificate, DeviceKey
from portal.audit_batch import AuditEntry
from portal.models import AuditEvent
from tests import factories as f

pytestmark = pytest.mark.django_db


def _public_der(certificate: Certificate) -> bytes:
    return (
        x509.load_der_x509_certificate(bytes(certificate.der))
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


def _order(cast, device=None, **fields):
    return services.IssueOrder(
        subject_kind=SubjectKind.PERSON,
        agency=cast.agency_a,
        person=fields.pop("person", None) or f.PersonFactory(organization=cast.agency_a),
        device=device,
        **fields,
    )


def test_the_pool_is_topped_up_to_its_size_a_batch_at_a_time(ca, settings):
    settings.CA_KEY_POOL_SIZE, settings.CA_KEY_POOL_BATCH = 3, 2

    assert services.device_key_pool_fill() == 2
    assert services.device_key_pool_fill() == 1
    assert services.device_key_pool_fill() == 0

    pool = DeviceKey.objects.filter(in_pool=True)
    assert pool.count() == 3
    assert not pool.exclude(device=None).exists()
    events = AuditEvent.objects.filter(action="device_key.pool_fill").order_by("seq")
    assert [(e.after["count"], e.after["ready"]) for e in events] == [(2, 2), (1, 3)]


def test_a_pool_size_of_zero_generates_nothing(ca, settings):
    settings.CA_KEY_POOL_SIZE = 0

    assert services.device_key_pool_fill() == 0
    assert not DeviceKey.objects.exists()


def test_issuing_takes_pooled_keys_first_and_generates_the_rest(ca, cast):
    services.device_key_pool_fill(target=1, batch=1)
    pooled = DeviceKey.objects.get(in_pool=True)
    devices = [f.DeviceFactory(agency=cast.agency_a) for _ in range(2)]

    first, second = services.certificate_issue_batch(
        orders=[_order(cast, device) for device in devices], by=cast.ca_operator
    )

    assert first.key == pooled
    pooled.refresh_from_db()
    assert (pooled.in_pool, pooled.device) == (False, devices[0])
    assert second.key != pooled and second.key.device == devices[1]
    assert not DeviceKey.objects.filter(in_pool=True).exists()
    # Each certificate certifies the very key recorded for it.
    for certificate in (first, second):
        assert _public_der(certificate) == bytes(certificate.key.public_key_der)


def test_a_pooled_key_serves_one_certificate_only(ca, cast):
    services.device_key_pool_fill(target=1, batch=1)

    issued = [
        services.certificate_issue_batch(orders=[_order(cast)], by=cast.ca_operator)[0]
        for _ in range(3)
    ]

    assert len({certificate.key_id for certificate in issued}) == 3


def test_a_batch_leaves_one_certificate_issue_event_per_certificate_to_its_caller(ca, cast):
    into = [[], []]

    issued = services.certificate_issue_batch(
        orders=[_order(cast), _order(cast)], by=cast.ca_operator, audit_into=into
    )

    assert not AuditEvent.objects.filter(action__startswith="certificate.").exists()
    assert [[entry.action for entry in entries] for entries in into] == [
        ["certificate.issue"],
        ["certificate.issue"],
    ]
    for entries, certificate in zip(into, issued, strict=True):
        entry: AuditEntry = entries[0]
        assert entry.obj == certificate
        assert entry.after["serial"] == certificate.serial
        assert entry.after["subject"] == certificate.subject_dn


def test_the_check_names_what_each_order_would_be_refused_for(ca, cast):
    unsaved = f.PersonFactory.build(organization=cast.agency_a, full_name="Lò Văn " + "A" * 70)
    orders = [
        _order(cast),
        _order(cast, person=unsaved),
        services.IssueOrder(subject_kind=SubjectKind.DEVICE_SERVICE, agency=cast.agency_a),
    ]

    first, second, third = services.certificate_issue_check(orders=orders)

    assert first is None
    assert second.code == "subject" and "CN" in str(second)
    assert str(third) == "Cần tên thiết bị, dịch vụ hoặc phần mềm (CN)."
    assert not Certificate.objects.exists()
