"""Writes of the certificates app: every certificate operation of the portal goes through here.

Keyword-only, typed, `<entity>_<verb>`; each refuses what the rules forbid with a
`CertificateError` (Vietnamese message), writes the certificate's history and an audit event,
and leaves X.509 to the CA backend (settings.CA_BACKEND). Rules: DOMAIN §5, Decree 68.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.choices import OrgKind
from agencies.models import Organization, Person
from certificates.backends import get_backend
from certificates.backends.base import IssueRequest, OcspStatus, RevokedEntry, SigningMaterial
from certificates.backends.simulated import add_years
from certificates.choices import (
    REASONS_BY_SUBJECT_KIND,
    SUBSCRIBER_KEY_ALGORITHMS,
    AuthorityKind,
    CertEventKind,
    CertStatus,
    RevocationReason,
    SubjectKind,
)
from certificates.exceptions import CertificateError
from certificates.models import (
    Certificate,
    CertificateAuthority,
    CertificateEvent,
    DeviceKey,
    RevocationList,
)
from certificates.pem import der_to_pem
from certificates.signals import certificate_expired, certificate_revoked, certificate_superseded
from certificates.subjects import SubjectInfo, load_ancestries, subject_for
from devices.models import Device
from portal.audit import audit_record

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser as User

CRLS_KEPT = 3  # published CRLs kept per CA (the newest is served)


# --- helpers -------------------------------------------------------------------------------
def _day(value: datetime | None) -> str:
    return value.isoformat() if value else ""


def _snapshot(certificate: Certificate) -> dict:
    return {
        "serial": certificate.serial,
        "status": certificate.status,
        "subject": certificate.subject_dn,
        "not_before": _day(certificate.not_before),
        "not_after": _day(certificate.not_after),
        "renewal_count": certificate.renewal_count,
        "revoked_at": _day(certificate.revoked_at),
        "revocation_reason": certificate.revocation_reason,
        "issuer": certificate.issuer.name if certificate.issuer_id else "",
    }


def _event(certificate: Certificate, kind: str, by, *, at: datetime, related=None, note=""):
    return CertificateEvent(
        certificate=certificate,
        kind=kind,
        at=at,
        actor=by if by is not None and by.is_authenticated else None,
        related=related,
        note=note[:255],
    )


def _publish_crl_after_commit(authority_ids: Iterable[int]) -> None:
    """Regenerate the CRLs in a worker once the revocations are committed."""
    for authority_id in sorted(set(authority_ids)):

        def enqueue(authority_id=authority_id):
            from certificates.tasks import crl_publish_task

            crl_publish_task.delay(authority_id)

        transaction.on_commit(enqueue)


def _locked(certificate: Certificate) -> Certificate:
    return (
        Certificate.objects.select_for_update(of=("self",))
        .select_related("issuer", "key")
        .get(pk=certificate.pk)
    )


def _days_left(certificate: Certificate, now: datetime) -> timedelta:
    return certificate.not_after - now


def _require_valid(certificate: Certificate, now: datetime) -> None:
    if certificate.status == CertStatus.REVOKED:
        raise CertificateError(
            _("Chứng thư %(serial)s đã bị thu hồi.") % {"serial": certificate.serial},
            code="revoked",
        )
    if certificate.status == CertStatus.EXPIRED or certificate.not_after <= now:
        raise CertificateError(
            _("Chứng thư %(serial)s đã hết hạn.") % {"serial": certificate.serial},
            code="expired",
        )
    if not certificate.der or certificate.issuer_id is None:
        raise CertificateError(
            _("Chứng thư %(serial)s không do CA của hệ thống phát hành.")
            % {"serial": certificate.serial},
            code="foreign",
        )


def _registry_subject(certificate: Certificate) -> SubjectInfo:
    return SubjectInfo(
        common_name=certificate.common_name,
        email=certificate.email,
        organization=certificate.organization_name,
        units=tuple(u for u in certificate.organizational_units.split(" / ") if u),
        locality=certificate.locality,
    )


def _apply_subject(certificate: Certificate, subject: SubjectInfo, subject_dn: str) -> None:
    certificate.common_name = subject.common_name
    certificate.email = subject.email
    certificate.organization_name = subject.organization
    certificate.organizational_units = subject.organizational_units
    certificate.locality = subject.locality
    certificate.subject_dn = subject_dn


def _require_under(node: Organization, agency: Organization, what: str) -> None:
    if not node.path.startswith(agency.path):
        raise CertificateError(
            _("%(what)s không thuộc cơ quan %(agency)s.") % {"what": what, "agency": agency},
            code="not_in_agency",
        )


def _require_managing_agency(agency: Organization) -> None:
    if agency.kind not in (OrgKind.AGENCY, OrgKind.MINISTRY):
        raise CertificateError(
            _("%(org)s không phải cơ quan, tổ chức quản lý trực tiếp.") % {"org": agency},
            code="not_agency",
        )


# --- the key ceremony ----------------------------------------------------------------------
def ca_initialize(*, by: User | None = None, rotate: bool = False) -> list[CertificateAuthority]:
    """Create the root and issuing CA if missing; with `rotate`, a new issuing CA.

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
                    "not_after": _day(authority.not_after),
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
                    after={"is_active": False, "retired_at": _day(previous.retired_at)},
                    reason=_("Thay khóa CA phát hành"),
                )
        for authority in created:
            crl_publish(authority=authority, force=True)
    return created


# --- the simulated device key store --------------------------------------------------------
def _key_algorithm(value: str | None) -> str:
    algorithm = value or settings.CA_SUBSCRIBER_KEY_ALGORITHM
    if algorithm not in SUBSCRIBER_KEY_ALGORITHMS:
        raise CertificateError(
            _("Thuật toán khóa %(alg)s không được hỗ trợ cho thuê bao.") % {"alg": algorithm},
            code="key_algorithm",
        )
    return algorithm


def device_key_generate(
    *, device: Device | None, by: User | None, algorithm: str | None = None
) -> DeviceKey:
    """Have a device generate its key pair ahead of a request (a token initialised in stock)."""
    algorithm = _key_algorithm(algorithm)
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


# --- issue ---------------------------------------------------------------------------------
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


def _subject_of_order(order: IssueOrder, nodes) -> SubjectInfo:
    _require_managing_agency(order.agency)
    if order.subject_kind == SubjectKind.PERSON:
        if order.person is None:
            raise CertificateError(_("Chứng thư cá nhân phải gắn với một cá nhân."), code="subject")
        node = order.unit or order.person.organization
        _require_under(node, order.agency, str(order.person))
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
        _require_under(org, order.agency, str(org))
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
        _require_under(node, order.agency, str(node))
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


def certificate_issue_batch(*, orders: Sequence[IssueOrder], by: User | None) -> list[Certificate]:
    """Issue the certificates of several accepted rows at once (all or none).

    Each subscriber gets a new key pair generated on its (simulated) device unless the row
    brings one (`device_key`); validity at most PORTAL_MAX_VALIDITY_YEARS (Decree 68 Art. 9).
    """
    if not orders:
        return []
    now = timezone.now()
    longest = add_years(now, settings.PORTAL_MAX_VALIDITY_YEARS)
    nodes = load_ancestries(node for order in orders for node in _order_nodes(order))
    _check_keys(orders)
    requests = []
    for order in orders:
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
        requests.append(
            IssueRequest(
                subject=subject,
                not_before=now,
                not_after=not_after,
                device=order.device,
                key=order.device_key,
                key_algorithm=_key_algorithm(order.key_algorithm),
            )
        )

    with transaction.atomic():
        issued = get_backend().issue(requests=requests)
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
            )
            _apply_subject(certificate, request.subject, result.subject_dn)
            certificates.append(certificate)
        Certificate.objects.bulk_create(certificates)
        CertificateEvent.objects.bulk_create(
            [_event(c, CertEventKind.ISSUED, by, at=now) for c in certificates]
        )
        for certificate in certificates:
            audit_record(
                actor=by,
                action="certificate.issue",
                obj=certificate,
                after=_snapshot(certificate),
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
    )
    return certificate_issue_batch(orders=[order], by=by)[0]


# --- renew and change of information ------------------------------------------------------
def _supersede(
    old: Certificate, issued, *, now: datetime, renewal_count: int
) -> tuple[Certificate, dict]:
    """Revoke `old` as superseded (it goes on the CRL) and return its unsaved successor.

    The old row is revoked before the new one is saved: one valid certificate per key.
    """
    before = _snapshot(old)
    old.status = CertStatus.REVOKED
    old.revoked_at = now
    old.revocation_reason = RevocationReason.SUPERSEDED
    old.save(update_fields=["status", "revoked_at", "revocation_reason"])
    get_backend().revoke(certificate=old, reason=RevocationReason.SUPERSEDED, revoked_at=now)

    new = Certificate(
        serial=issued.serial,
        subject_kind=old.subject_kind,
        agency=old.agency,
        person=old.person,
        subject_organization=old.subject_organization,
        device=old.device,
        common_name=old.common_name,
        email=old.email,
        organization_name=old.organization_name,
        organizational_units=old.organizational_units,
        locality=old.locality,
        subject_dn=issued.subject_dn,
        not_before=issued.not_before,
        not_after=issued.not_after,
        status=CertStatus.VALID,
        renewal_count=renewal_count,
        der=issued.der,
        issuer=issued.authority,
        key=issued.key,
        original_id=old.original_id or old.pk,
    )
    return new, before


def _finish_supersession(old: Certificate, new: Certificate, by, before: dict) -> None:
    old.superseded_by = new
    old.save(update_fields=["superseded_by"])
    audit_record(
        actor=by,
        action="certificate.supersede",
        obj=old,
        before=before,
        after=_snapshot(old) | {"superseded_by": new.serial},
    )
    certificate_superseded.send(sender=Certificate, certificate=old, successor=new, by=by)
    _publish_crl_after_commit([old.issuer_id])


def certificate_renew(
    *, certificate: Certificate, by: User | None, not_after: datetime | None = None
) -> Certificate:
    """Renew: same key, new certificate, expiry pushed back by at most 3 years, once.

    Refused with fewer than PORTAL_RENEW_MIN_DAYS_LEFT days left or after
    PORTAL_MAX_RENEWALS renewals. The old certificate is revoked as superseded.
    """
    with transaction.atomic():
        old = _locked(certificate)
        now = timezone.now()
        _require_valid(old, now)
        if old.renewal_count >= settings.PORTAL_MAX_RENEWALS:
            raise CertificateError(
                _("Chứng thư %(serial)s đã gia hạn %(count)s lần, mức tối đa là %(max)s lần.")
                % {
                    "serial": old.serial,
                    "count": old.renewal_count,
                    "max": settings.PORTAL_MAX_RENEWALS,
                },
                code="renewed_already",
            )
        if _days_left(old, now) < timedelta(days=settings.PORTAL_RENEW_MIN_DAYS_LEFT):
            raise CertificateError(
                _(
                    "Chứng thư %(serial)s chỉ còn dưới %(days)s ngày hiệu lực nên không gia hạn "
                    "được; cơ quan cần đề nghị cấp mới."
                )
                % {"serial": old.serial, "days": settings.PORTAL_RENEW_MIN_DAYS_LEFT},
                code="too_late",
            )
        limit = add_years(old.not_after, settings.PORTAL_RENEWAL_MAX_YEARS)
        not_after = not_after or limit
        if not_after > limit:
            raise CertificateError(
                _("Mỗi lần gia hạn không quá %(years)s năm.")
                % {"years": settings.PORTAL_RENEWAL_MAX_YEARS},
                code="validity",
            )
        if not_after <= old.not_after:
            raise CertificateError(_("Hạn mới phải sau hạn hiện tại."), code="validity")
        issued = get_backend().renew(previous=old, not_after=not_after)
        new, before = _supersede(old, issued, now=now, renewal_count=old.renewal_count + 1)
        new.save()
        _event(new, CertEventKind.RENEWED, by, at=now, related=old).save()
        audit_record(
            actor=by,
            action="certificate.renew",
            obj=new,
            before=before,
            after=_snapshot(new),
        )
        _finish_supersession(old, new, by, before)
    return new


def _changed_subject(
    old: Certificate,
    *,
    agency: Organization,
    common_name: str | None,
    email: str | None,
    unit: Organization | None,
) -> SubjectInfo:
    _require_managing_agency(agency)
    if old.subject_kind == SubjectKind.PERSON:
        person = old.person
        node = unit or person.organization
        _require_under(node, agency, str(person))
        return subject_for(
            node=node,
            common_name=common_name or person.full_name,
            email=email or person.official_email,
        )
    if old.subject_kind == SubjectKind.ORGANIZATION:
        org = old.subject_organization or agency
        org.refresh_from_db()
        return subject_for(
            node=org,
            common_name=common_name or org.name,
            email=email or org.official_email or old.email,
            include_node=False,
        )
    node = unit or agency
    _require_under(node, agency, str(node))
    return subject_for(
        node=node,
        common_name=common_name or old.common_name,
        email=email or old.email,
    )


def _describe_changes(before: SubjectInfo, after: SubjectInfo) -> str:
    labels = (
        ("CN", "common_name"),
        ("E", "email"),
        ("O", "organization"),
        ("OU", "organizational_units"),
        ("L", "locality"),
    )
    parts = [
        f"{label}: {getattr(before, attr)} → {getattr(after, attr)}"
        for label, attr in labels
        if getattr(before, attr) != getattr(after, attr)
    ]
    return "; ".join(parts)


def certificate_change_info(
    *,
    certificate: Certificate,
    by: User | None,
    common_name: str | None = None,
    email: str | None = None,
    unit: Organization | None = None,
    agency: Organization | None = None,
) -> Certificate:
    """Change of information: new certificate, new subject, the SAME expiry and key.

    The subject is rebuilt from the current data of the person or organisation (after their
    change was recorded), with `common_name`, `email`, `unit` and `agency` (the receiving
    agency of a person who moved) overriding it. The old certificate is revoked as superseded.
    """
    with transaction.atomic():
        old = _locked(certificate)
        now = timezone.now()
        _require_valid(old, now)
        if _days_left(old, now) < timedelta(days=settings.PORTAL_CHANGE_MIN_DAYS_LEFT):
            raise CertificateError(
                _(
                    "Chứng thư %(serial)s chỉ còn dưới %(days)s ngày hiệu lực nên không thay đổi "
                    "thông tin được."
                )
                % {"serial": old.serial, "days": settings.PORTAL_CHANGE_MIN_DAYS_LEFT},
                code="too_late",
            )
        new_agency = agency or old.agency
        current = _registry_subject(old)
        subject = _changed_subject(
            old, agency=new_agency, common_name=common_name, email=email, unit=unit
        )
        if subject == current and new_agency.pk == old.agency_id:
            raise CertificateError(_("Không có thông tin nào thay đổi."), code="unchanged")
        issued = get_backend().change_info(previous=old, subject=subject)
        new, before = _supersede(old, issued, now=now, renewal_count=old.renewal_count)
        _apply_subject(new, subject, issued.subject_dn)
        new.agency = new_agency
        new.save()
        _event(
            new,
            CertEventKind.INFO_CHANGED,
            by,
            at=now,
            related=old,
            note=_describe_changes(current, subject),
        ).save()
        audit_record(
            actor=by,
            action="certificate.change_info",
            obj=new,
            before=before,
            after=_snapshot(new),
        )
        _finish_supersession(old, new, by, before)
    return new


# --- revoke and expire ---------------------------------------------------------------------
def _check_reason(certificate: Certificate, reason: str) -> None:
    if reason == RevocationReason.SUPERSEDED:
        raise CertificateError(
            _("Lý do “thay thế” chỉ dùng khi gia hạn hoặc thay đổi thông tin."), code="reason"
        )
    if reason not in REASONS_BY_SUBJECT_KIND.get(certificate.subject_kind, ()):
        raise CertificateError(
            _("Lý do thu hồi này không áp dụng cho thuê bao loại %(kind)s.")
            % {"kind": certificate.get_subject_kind_display()},
            code="reason",
        )


def certificate_revoke_batch(
    *, certificates: Sequence[Certificate], by: User | None, reason: str, note: str = ""
) -> list[Certificate]:
    """Revoke several certificates for one Art. 17 case (all or none); CRLs follow in a worker."""
    if reason not in RevocationReason.values:
        raise CertificateError(_("Lý do thu hồi không hợp lệ."), code="reason")
    revoked = []
    with transaction.atomic():
        now = timezone.now()
        backend = get_backend()
        for certificate in certificates:
            locked = _locked(certificate)
            _require_valid(locked, now)
            _check_reason(locked, reason)
            before = _snapshot(locked)
            locked.status = CertStatus.REVOKED
            locked.revoked_at = now
            locked.revocation_reason = reason
            locked.save(update_fields=["status", "revoked_at", "revocation_reason"])
            backend.revoke(certificate=locked, reason=reason, revoked_at=now)
            label = RevocationReason(reason).label
            _event(
                locked, CertEventKind.REVOKED, by, at=now, note=f"{label}. {note}".strip()
            ).save()
            audit_record(
                actor=by,
                action="certificate.revoke",
                obj=locked,
                before=before,
                after=_snapshot(locked),
                reason=note or str(label),
            )
            certificate_revoked.send(sender=Certificate, certificate=locked, reason=reason, by=by)
            revoked.append(locked)
        _publish_crl_after_commit(c.issuer_id for c in revoked)
    return revoked


def certificate_revoke(
    *, certificate: Certificate, by: User | None, reason: str, note: str = ""
) -> Certificate:
    """Revoke one certificate: status, time and the Art. 17 case (RFC 5280 reason on the CRL)."""
    return certificate_revoke_batch(certificates=[certificate], by=by, reason=reason, note=note)[0]


def certificate_expire_due(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """Mark certificates whose validity has ended as expired (idempotent; periodic task)."""
    now = now or timezone.now()
    total = 0
    while True:
        with transaction.atomic():
            due = list(
                Certificate.objects.due_to_expire(now)
                .select_for_update()
                .order_by("pk")[:batch_size]
            )
            if not due:
                return total
            for certificate in due:
                before = _snapshot(certificate)
                certificate.status = CertStatus.EXPIRED
                certificate.save(update_fields=["status"])
                audit_record(
                    actor=None,
                    action="certificate.expire",
                    obj=certificate,
                    before=before,
                    after=_snapshot(certificate),
                )
                certificate_expired.send(sender=Certificate, certificate=certificate)
            CertificateEvent.objects.bulk_create(
                [_event(c, CertEventKind.EXPIRED, None, at=c.not_after) for c in due]
            )
            total += len(due)


# --- publication ---------------------------------------------------------------------------
def _active_issuing() -> CertificateAuthority:
    authority = CertificateAuthority.objects.public().active_issuing().first()
    if authority is None:
        raise CertificateError(
            _("Chưa khởi tạo CA: chạy lệnh `manage.py ca_init` trước."), code="no_ca"
        )
    return authority


def crl_publish(
    *, authority: CertificateAuthority | None = None, force: bool = False
) -> RevocationList:
    """Build and store the CRL of `authority` (default: the active issuing CA).

    Idempotent: when the revoked set is the one of the newest CRL and that CRL is not past
    half its life, the newest CRL is returned unchanged (so a redelivered task does nothing).
    """
    authority = authority or _active_issuing()
    with transaction.atomic():
        locked = CertificateAuthority.objects.public().select_for_update().get(pk=authority.pk)
        now = timezone.now()
        rows = sorted(
            Certificate.objects.on_crl_of(locked, at=now)
            .order_by()
            .values_list("serial", "revoked_at", "revocation_reason")
        )
        digest = hashlib.sha256()
        for serial, revoked_at, reason in rows:
            digest.update(f"{serial}|{revoked_at.isoformat()}|{reason}\n".encode())
        fingerprint = digest.hexdigest()
        latest = RevocationList.objects.latest_for(locked)
        validity = timedelta(hours=settings.CA_CRL_NEXT_UPDATE_HOURS)
        if (
            latest is not None
            and not force
            and latest.fingerprint == fingerprint
            and latest.next_update - now > validity / 2
        ):
            return latest
        number = latest.number + 1 if latest is not None else 1
        next_update = min(now + validity, locked.not_after)
        der = get_backend().build_crl(
            authority=locked,
            entries=[RevokedEntry(serial=s, revoked_at=t, reason=r) for s, t, r in rows],
            number=number,
            this_update=now,
            next_update=next_update,
        )
        crl = RevocationList.objects.create(
            authority=locked,
            number=number,
            this_update=now.replace(microsecond=0),
            next_update=next_update.replace(microsecond=0),
            entry_count=len(rows),
            fingerprint=fingerprint,
            der=der,
        )
        stale = RevocationList.objects.filter(authority=locked).order_by("-number")[CRLS_KEPT:]
        RevocationList.objects.filter(pk__in=list(stale.values_list("pk", flat=True))).delete()
        audit_record(
            actor=None,
            action="crl.publish",
            obj=crl,
            after={"authority": locked.name, "number": number, "entries": len(rows)},
        )
    return crl


def crl_refresh_due() -> list[RevocationList]:
    """Republish every CRL that changed or is past half its life (periodic safety net)."""
    return [
        crl_publish(authority=authority)
        for authority in CertificateAuthority.objects.public().publishing_crls()
    ]


def crl_current(*, authority: CertificateAuthority | None = None) -> RevocationList:
    """The CRL to serve: the newest one, published first if there is none or it has lapsed."""
    authority = authority or _active_issuing()
    latest = RevocationList.objects.latest_for(authority)
    if latest is None or latest.next_update <= timezone.now():
        latest = crl_publish(authority=authority)
    return latest


def _ocsp_lookup(authority: CertificateAuthority, serial: str) -> OcspStatus | None:
    if authority.kind == AuthorityKind.ROOT:
        exists = CertificateAuthority.objects.filter(parent=authority, serial=serial).exists()
        return OcspStatus(revoked=False) if exists else None
    row = (
        Certificate.objects.filter(issuer=authority, serial=serial)
        .values_list("status", "revoked_at", "revocation_reason")
        .first()
    )
    if row is None:
        return None
    status, revoked_at, reason = row
    if status == CertStatus.REVOKED:
        return OcspStatus(revoked=True, revoked_at=revoked_at, reason=reason)
    return OcspStatus(revoked=False)


def ocsp_respond(*, request_der: bytes) -> bytes:
    """The DER OCSP response (RFC 6960) to a DER request; malformed input gets an error status."""
    return get_backend().ocsp_response(request_der=request_der, lookup=_ocsp_lookup)


def ca_chain_pem() -> str:
    """PEM bundle of the CA certificates still valid: issuing CAs (active first), then root."""
    authorities = (
        CertificateAuthority.objects.public()
        .publishing_crls()
        .order_by("kind", "-is_active", "-generation")
    )
    issuing = [a for a in authorities if a.kind == AuthorityKind.ISSUING]
    roots = [a for a in authorities if a.kind == AuthorityKind.ROOT]
    return "".join(der_to_pem(a.certificate_der) for a in [*issuing, *roots])


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
