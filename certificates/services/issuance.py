"""Issuing certificates (Mẫu 01, 02, 03 rows accepted by the CA)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Organization, Person
from agencies.services.retention import persons_lock_identified
from certificates.backends import get_backend
from certificates.backends.base import IssuedCertificate, IssueRequest
from certificates.backends.x509build import x509_name
from certificates.choices import CertEventKind, CertStatus, SubjectKind
from certificates.exceptions import CertificateError
from certificates.models import Certificate, CertificateEvent, DeviceKey
from certificates.services.common import (
    apply_subject,
    certificate_snapshot,
    certificate_webhook,
    day,
    key_algorithm_of,
    new_event,
    require_managing_agency,
    require_under,
)
from certificates.subjects import SubjectInfo, load_ancestries, subject_for
from certificates.validity import add_years
from devices.choices import DeviceKind
from devices.models import Device
from devices.services import (
    CredentialRecord,
    TokenOrder,
    device_credentials_record,
    device_tokens_personalise,
    token_store_on,
)
from portal.audit import audit_record
from portal.audit_batch import AuditEntry
from portal.lib.bulk import create_objects, insert_objects
from webhooks.choices import EventType
from webhooks.services import webhook_events_record_many

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser as User


@dataclass(frozen=True)
class IssueOrder:
    """One row of an issuance letter (Mẫu 01, 02 or 03) accepted by the CA."""

    subject_kind: str
    agency: Organization
    person: Person | None = None
    subject_organization: Organization | None = None
    common_name: str = ""
    email: str = ""
    unit: Organization | None = None  # where the holder sits, for O/OU; default from the row
    device: Device | None = None
    device_key: DeviceKey | None = None  # a key the device already holds
    key_algorithm: str | None = None
    not_after: datetime | None = None
    origin: str = ""  # unique key of what asked for it (Certificate.origin)


def _subject_of_order(order: IssueOrder, nodes) -> SubjectInfo:
    require_managing_agency(order.agency)
    if order.subject_kind == SubjectKind.PERSON:
        if order.person is None:
            raise CertificateError(_("Chứng thư cá nhân phải gắn với một cá nhân."), code="subject")
        node = order.unit or order.person.organization
        require_under(node, order.agency, str(order.person))
        email = order.email or order.person.official_email
        if not email:
            raise CertificateError(_("Cá nhân chưa có thư điện tử công vụ."), code="subject")
        return subject_for(
            node=node,
            common_name=order.common_name or order.person.full_name,
            email=email,
            nodes=nodes,
        )
    if order.subject_kind == SubjectKind.ORGANIZATION:
        org = order.subject_organization or order.agency
        require_under(org, order.agency, str(org))
        return subject_for(
            node=org,
            common_name=order.common_name or org.name,
            email=order.email or org.official_email,
            include_node=False,
            nodes=nodes,
        )
    if order.subject_kind == SubjectKind.DEVICE_SERVICE:
        if not order.common_name.strip():
            raise CertificateError(
                _("Cần tên thiết bị, dịch vụ hoặc phần mềm (CN)."), code="subject"
            )
        node = order.unit or order.agency
        require_under(node, order.agency, str(node))
        return subject_for(
            node=node,
            common_name=order.common_name,
            email=order.email or order.agency.official_email,
            nodes=nodes,
        )
    raise CertificateError(_("Loại thuê bao không hợp lệ."), code="subject_kind")


def _order_nodes(order: IssueOrder) -> list[Organization]:
    nodes = [order.agency]
    if order.unit is not None:
        nodes.append(order.unit)
    if order.person is not None:
        nodes.append(order.person.organization)
    if order.subject_organization is not None:
        nodes.append(order.subject_organization)
    return nodes


def _check_keys(orders: Sequence[IssueOrder]) -> None:
    keys = [o.device_key for o in orders if o.device_key is not None]
    if not keys:
        return
    if len({k.pk for k in keys}) != len(keys):
        raise CertificateError(_("Một cặp khóa được dùng cho hai chứng thư."), code="key_in_use")
    for order in orders:
        key = order.device_key
        if (
            key is not None
            and order.device is not None
            and key.device_id
            not in (
                None,
                order.device.pk,
            )
        ):
            raise CertificateError(
                _("Cặp khóa không nằm trên thiết bị %(device)s.") % {"device": order.device},
                code="key_device",
            )
    if Certificate.objects.filter(key__in=keys, status=CertStatus.VALID).exists():
        raise CertificateError(
            _("Cặp khóa này đã gắn với một chứng thư còn hiệu lực."), code="key_in_use"
        )


def _request_of(order: IssueOrder, nodes, *, now: datetime, longest: datetime) -> IssueRequest:
    """The CA request of one order, or CertificateError: the subject under the order's rules,
    validity at most PORTAL_MAX_VALIDITY_YEARS (Decree 68 Art. 9)."""
    subject = _subject_of_order(order, nodes)
    not_after = order.not_after or longest
    if not_after > longest:
        raise CertificateError(
            _("Thời hạn của chứng thư cấp mới không quá %(years)s năm.")
            % {"years": settings.PORTAL_MAX_VALIDITY_YEARS},
            code="validity",
        )
    if not_after <= now + timedelta(days=1):
        raise CertificateError(_("Hạn của chứng thư phải sau hôm nay."), code="validity")
    return IssueRequest(
        subject=subject,
        not_before=now,
        not_after=not_after,
        device=order.device,
        key=order.device_key,
        key_algorithm=key_algorithm_of(order.key_algorithm),
    )


def _issue(
    orders: Sequence[IssueOrder],
    requests: Sequence[IssueRequest],
    *,
    by,
    audit_into: Sequence[list[AuditEntry]] | None,
) -> list[IssuedCertificate]:
    """Each order issued where its key is born (docs/ca.md, "Subscribers' tokens";
    docs/remote-signing.md): an order that brings a key its device already holds, for that
    key; a remote-signing device (kind RSSP), a key pair generated in the CA's HSM; with the
    token store, the device's token personalised (its PKCS#10 request to the CA, the
    certificate back onto it); else the simulated CA's software key store."""
    backend = get_backend()
    remote = [
        i
        for i, order in enumerate(orders)
        if order.device_key is None and order.device is not None
        and order.device.kind == DeviceKind.RSSP
    ]  # fmt: skip
    on_token = (
        [i for i, order in enumerate(orders) if order.device_key is None and i not in remote]
        if token_store_on()
        else []
    )
    if any(orders[i].device is None for i in on_token):
        raise CertificateError(
            _("Cần một thiết bị lưu khóa: cặp khóa được sinh trong thiết bị."), code="no_device"
        )
    issued: list[IssuedCertificate | None] = [None] * len(requests)
    others = [i for i in range(len(orders)) if i not in remote and i not in on_token]
    if others:
        for index, result in zip(
            others, backend.issue(requests=[requests[i] for i in others]), strict=True
        ):
            issued[index] = result

    def issue(indexes: list[int], csrs: list[bytes]) -> list[bytes]:
        results = backend.issue(
            requests=[
                replace(requests[i], csr_der=csr) for i, csr in zip(indexes, csrs, strict=True)
            ]
        )
        for index, result in zip(indexes, results, strict=True):
            issued[index] = result
        return [result.der for result in results]

    if on_token:
        device_tokens_personalise(
            orders=[
                TokenOrder(
                    device=orders[i].device,
                    subject=x509_name(requests[i].subject),
                    algorithm=requests[i].key_algorithm,
                )
                for i in on_token
            ],
            issue=lambda csrs: issue(on_token, csrs),
            by=by,
            audit_into=[audit_into[i] for i in on_token] if audit_into is not None else None,
        )
    if remote:
        _issue_remote(orders, requests, remote, issue=issue, by=by, audit_into=audit_into)
    return issued


def _issue_remote(orders, requests, indexes: list[int], *, issue, by, audit_into) -> None:
    """Remote-signing credentials (docs/remote-signing.md): a key pair per order generated in
    the CA's HSM, certified from the request the HSM signed, recorded on the device. The HSM
    cannot roll back with the database: when issuing or recording fails, the pairs just
    generated are destroyed before the error goes on."""
    backend = get_backend()
    keys = []
    try:
        for i in indexes:
            keys.extend(
                backend.remote_keys_generate(
                    subjects=[x509_name(requests[i].subject)], algorithm=requests[i].key_algorithm
                )
            )
        with transaction.atomic():
            issue(indexes, [key.csr_der for key in keys])
            device_credentials_record(
                records=[
                    CredentialRecord(
                        device=orders[i].device,
                        credential_id=key.credential_id,
                        public_key_der=key.public_key_der,
                        algorithm=requests[i].key_algorithm,
                    )
                    for i, key in zip(indexes, keys, strict=True)
                ],
                by=by,
                audit_into=[audit_into[i] for i in indexes] if audit_into is not None else None,
            )
    except Exception:
        if keys:
            backend.remote_keys_destroy(credential_ids=[key.credential_id for key in keys])
        raise


def certificate_issue_check(*, orders: Sequence[IssueOrder]) -> list[CertificateError | None]:
    """What `certificate_issue_batch` would refuse in each order on its own (subject, validity,
    key algorithm), without issuing anything: None for an order that passes. One query.

    Lets a caller drop the orders that break a rule before issuing the rest at once
    (docs/scale.md §12.3); the orders may name people not saved yet."""
    now = timezone.now()
    longest = add_years(now, settings.PORTAL_MAX_VALIDITY_YEARS)
    nodes = load_ancestries(node for order in orders for node in _order_nodes(order))
    problems: list[CertificateError | None] = []
    for order in orders:
        try:
            _request_of(order, nodes, now=now, longest=longest)
        except CertificateError as exc:
            problems.append(exc)
        else:
            problems.append(None)
    return problems


def certificate_issue_batch(
    *,
    orders: Sequence[IssueOrder],
    by: User | None,
    audit_into: Sequence[list[AuditEntry]] | None = None,
) -> list[Certificate]:
    """Issue the certificates of several accepted rows at once (all or none).

    Each subscriber gets a new key pair on its (simulated) device unless the row brings one
    (`device_key`): from the key pool while it lasts, else generated now; validity at most
    PORTAL_MAX_VALIDITY_YEARS (Decree 68 Art. 9).

    With `audit_into` (one list per order), each certificate's `certificate.issue` event, the
    one a single issuance writes, is appended to its order's list for the caller to write in
    its transaction (`audit_record_many`); without it the batch records its own events.
    """
    if not orders:
        return []
    now = timezone.now()
    longest = add_years(now, settings.PORTAL_MAX_VALIDITY_YEARS)
    nodes = load_ancestries(node for order in orders for node in _order_nodes(order))
    _check_keys(orders)

    with transaction.atomic():
        # A person minimised by the retention sweep gets no new certificate; locked until the
        # certificates are written, so the sweep cannot minimise them meanwhile.
        persons_lock_identified(person_ids=(o.person.pk for o in orders if o.person is not None))
        requests = [_request_of(order, nodes, now=now, longest=longest) for order in orders]
        issued = _issue(orders, requests, by=by, audit_into=audit_into)
        certificates = []
        for order, request, result in zip(orders, requests, issued, strict=True):
            certificate = Certificate(
                serial=result.serial,
                subject_kind=order.subject_kind,
                agency=order.agency,
                person=order.person,
                subject_organization=(
                    (order.subject_organization or order.agency)
                    if order.subject_kind == SubjectKind.ORGANIZATION
                    else order.subject_organization
                ),
                device=order.device,
                not_before=result.not_before,
                not_after=result.not_after,
                status=CertStatus.VALID,
                der=result.der,
                issuer=result.authority,
                key=result.key,
                origin=order.origin,
            )
            apply_subject(certificate, request.subject, result.subject_dn)
            certificates.append(certificate)
        # Through COPY: a batch's INSERT would carry every DER in its SQL text (§12.3).
        create_objects(Certificate, certificates)
        insert_objects(
            CertificateEvent, [new_event(c, CertEventKind.ISSUED, by, at=now) for c in certificates]
        )
        webhook_events_record_many(
            events=[
                certificate_webhook(EventType.CERTIFICATE_ISSUED, c, "issued") for c in certificates
            ]
        )
        if audit_into is not None:
            for entries, certificate in zip(audit_into, certificates, strict=True):
                entries.append(
                    AuditEntry(
                        "certificate.issue", certificate, after=certificate_snapshot(certificate)
                    )
                )
        elif len(certificates) == 1:
            audit_record(
                actor=by,
                action="certificate.issue",
                obj=certificates[0],
                after=certificate_snapshot(certificates[0]),
            )
        else:
            # One event for the batch, naming every certificate: an audit event costs three
            # queries and serialises writers (portal.audit), which would cut the CA's
            # issuance rate by half; each certificate also has its own history row above.
            audit_record(
                actor=by,
                action="certificate.issue_batch",
                after={
                    "count": len(certificates),
                    "certificates": [
                        {
                            "id": c.pk,
                            "serial": c.serial,
                            "subject": c.subject_dn,
                            "not_after": day(c.not_after),
                        }
                        for c in certificates
                    ],
                    "issuer": certificates[0].issuer.name,
                },
            )
    return certificates


def certificate_issue(
    *,
    subject_kind: str,
    agency: Organization,
    by: User | None,
    person: Person | None = None,
    subject_organization: Organization | None = None,
    common_name: str = "",
    email: str = "",
    unit: Organization | None = None,
    device: Device | None = None,
    device_key: DeviceKey | None = None,
    key_algorithm: str | None = None,
    not_after: datetime | None = None,
    origin: str = "",
) -> Certificate:
    """Issue one certificate (see `certificate_issue_batch`)."""
    order = IssueOrder(
        subject_kind=subject_kind,
        agency=agency,
        person=person,
        subject_organization=subject_organization,
        common_name=common_name,
        email=email,
        unit=unit,
        device=device,
        device_key=device_key,
        key_algorithm=key_algorithm,
        not_after=not_after,
        origin=origin,
    )
    return certificate_issue_batch(orders=[order], by=by)[0]
