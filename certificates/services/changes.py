"""Renewal and change of information: a new certificate replaces the old (superseded)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Organization
from certificates.backends import get_backend
from certificates.choices import CertEventKind, CertStatus, RevocationReason, SubjectKind
from certificates.exceptions import CertificateError
from certificates.models import Certificate, DeviceKey
from certificates.services.common import (
    apply_subject,
    certificate_snapshot,
    certificate_webhook,
    days_left,
    locked_for_update,
    new_event,
    publish_crl_after_commit,
    registry_subject,
    require_managing_agency,
    require_under,
    require_valid,
)
from certificates.signals import certificate_superseded
from certificates.subjects import SubjectInfo, subject_for
from certificates.validity import add_years
from devices.services import device_token_certificate_replace
from portal.audit import audit_record
from webhooks.choices import EventType
from webhooks.services import webhook_events_record_many

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser as User


def _supersede(
    old: Certificate, issued, *, now: datetime, renewal_count: int
) -> tuple[Certificate, dict]:
    """Revoke `old` as superseded (it goes on the CRL) and return its unsaved successor.

    The old row is revoked before the new one is saved: one valid certificate per key.
    """
    before = certificate_snapshot(old)
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
    if new.device_id is not None and new.key is not None and new.key.store == DeviceKey.Store.TOKEN:
        # The same key certified again: the new certificate replaces the old on the token.
        device_token_certificate_replace(device=new.device, der=bytes(new.der), by=by)
    audit_record(
        actor=by,
        action="certificate.supersede",
        obj=old,
        before=before,
        after=certificate_snapshot(old) | {"superseded_by": new.serial},
    )
    webhook_events_record_many(
        events=[
            certificate_webhook(
                EventType.CERTIFICATE_REVOKED, old, "revoked", superseded_by=new.pk
            ),
            certificate_webhook(EventType.CERTIFICATE_ISSUED, new, "issued", replaces=old.pk),
        ]
    )
    certificate_superseded.send(sender=Certificate, certificate=old, successor=new, by=by)
    publish_crl_after_commit([old.issuer_id])


def certificate_renew(
    *,
    certificate: Certificate,
    by: User | None,
    not_after: datetime | None = None,
    origin: str = "",
) -> Certificate:
    """Renew: same key, new certificate, expiry pushed back by at most 3 years, once.

    Refused with fewer than PORTAL_RENEW_MIN_DAYS_LEFT days left or after
    PORTAL_MAX_RENEWALS renewals. The old certificate is revoked as superseded.
    """
    with transaction.atomic():
        old = locked_for_update(certificate)
        now = timezone.now()
        require_valid(old, now)
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
        if days_left(old, now) < timedelta(days=settings.PORTAL_RENEW_MIN_DAYS_LEFT):
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
        new.origin = origin
        new.save()
        new_event(new, CertEventKind.RENEWED, by, at=now, related=old).save()
        audit_record(
            actor=by,
            action="certificate.renew",
            obj=new,
            before=before,
            after=certificate_snapshot(new),
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
    require_managing_agency(agency)
    if old.subject_kind == SubjectKind.PERSON:
        person = old.person
        node = unit or person.organization
        require_under(node, agency, str(person))
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
    require_under(node, agency, str(node))
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
    origin: str = "",
) -> Certificate:
    """Change of information: new certificate, new subject, the SAME expiry and key.

    The subject is rebuilt from the current data of the person or organisation (after their
    change was recorded), with `common_name`, `email`, `unit` and `agency` (the receiving
    agency of a person who moved) overriding it. The old certificate is revoked as superseded.
    """
    with transaction.atomic():
        old = locked_for_update(certificate)
        now = timezone.now()
        require_valid(old, now)
        if days_left(old, now) < timedelta(days=settings.PORTAL_CHANGE_MIN_DAYS_LEFT):
            raise CertificateError(
                _(
                    "Chứng thư %(serial)s chỉ còn dưới %(days)s ngày hiệu lực nên không thay đổi "
                    "thông tin được."
                )
                % {"serial": old.serial, "days": settings.PORTAL_CHANGE_MIN_DAYS_LEFT},
                code="too_late",
            )
        new_agency = agency or old.agency
        current = registry_subject(old)
        subject = _changed_subject(
            old, agency=new_agency, common_name=common_name, email=email, unit=unit
        )
        if subject == current and new_agency.pk == old.agency_id:
            raise CertificateError(_("Không có thông tin nào thay đổi."), code="unchanged")
        issued = get_backend().change_info(previous=old, subject=subject)
        new, before = _supersede(old, issued, now=now, renewal_count=old.renewal_count)
        apply_subject(new, subject, issued.subject_dn)
        new.agency = new_agency
        new.origin = origin
        new.save()
        new_event(
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
            after=certificate_snapshot(new),
        )
        _finish_supersession(old, new, by, before)
    return new
