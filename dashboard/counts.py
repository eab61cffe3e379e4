"""What each role's dashboard counts, always within `visible_to(user)` (docs/architecture.md §5).

Every function is one aggregate query over a scoped queryset, so a dashboard costs the same
handful of queries whether the user sees five certificates or five million. Those queries read
every row of the scope, though: half a second for the CA's million certificates. So the counts
of a wide scope (the country, a province) are computed at most once per WIDE_SCOPE_SECONDS and
shown with the time they were counted; an agency's, which a clerk watches change as they work,
are always counted live (docs/scale.md §12.7).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import CharField, Count, Q, QuerySet, Value
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agencies.access import Scope, scope_for
from agencies.choices import OrgKind, Role
from agencies.models import Organization, Person
from certificates.choices import CertStatus
from certificates.models import Certificate
from devices.choices import DeviceStatus
from devices.models import Device, HandoverNotice, LossReport, ReturnMinutes
from devices.querysets import overdue_return_count
from privacy.models import Incident
from requests_app.choices import Status
from requests_app.models import CertRequest

# Below 30 days a certificate can no longer be renewed (docs/domain.md §5): the number the agency
# must act on before it is too late.
EXPIRING_WITHIN_DAYS = 30

# When a user holds several roles, the dashboard is that of the widest one.
ROLE_PRECEDENCE = (
    Role.ADMINISTRATOR,
    Role.CA_OPERATOR,
    Role.PROVINCIAL_OFFICER,
    Role.AGENCY_HEAD,
    Role.AGENCY_CLERK,
    Role.DATA_PROTECTION_OFFICER,
    Role.SUBSCRIBER,
)

HEADINGS = {
    Role.ADMINISTRATOR: _("Bảng điều khiển quản trị hệ thống"),
    Role.CA_OPERATOR: _("Bảng điều khiển của Cục Chứng thực số và Bảo mật thông tin"),
    Role.PROVINCIAL_OFFICER: _("Bảng điều khiển của Sở Khoa học và Công nghệ"),
    Role.AGENCY_HEAD: _("Bảng điều khiển của lãnh đạo cơ quan"),
    Role.AGENCY_CLERK: _("Bảng điều khiển của cán bộ đầu mối"),
    Role.DATA_PROTECTION_OFFICER: _("Bảng điều khiển bảo vệ dữ liệu cá nhân"),
    Role.SUBSCRIBER: _("Bảng điều khiển của thuê bao"),
    None: _("Tài khoản chưa được phân vai trò"),
}


@dataclass(frozen=True)
class CertificateCounts:
    total: int
    valid: int
    expiring: int
    expired: int
    revoked: int
    issued_this_month: int


@dataclass(frozen=True)
class DeviceCounts:
    total: int
    by_status: list[tuple[str, str, int]]  # (status, label, count), in workflow order


@dataclass(frozen=True)
class OwnCertificate:
    common_name: str
    serial: str
    status: str
    status_label: str
    not_after: datetime
    device: str
    expiring_soon: bool


def primary_role(scope: Scope) -> str | None:
    """The role whose dashboard the user sees; None for an account without any role."""
    if scope.is_admin:
        return Role.ADMINISTRATOR
    for role in ROLE_PRECEDENCE:
        if role in scope.roles:
            return role
    if scope.person_id is not None:
        return Role.SUBSCRIBER
    return None


def month_start(now: datetime) -> datetime:
    """Midnight of the first day of `now`'s month, in the portal's time zone."""
    local = timezone.localtime(now)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def certificate_counts(certificates: QuerySet, *, now: datetime | None = None) -> CertificateCounts:
    """Counts by state in one query. `valid` and `expiring` match `.valid()` and
    `.expiring_within()`: a certificate past its end date is expired even before a task flips
    its status."""
    now = now or timezone.now()
    valid = Q(status=CertStatus.VALID, not_after__gt=now)
    expiring_limit = now + timedelta(days=EXPIRING_WITHIN_DAYS)
    counts = certificates.order_by().aggregate(
        total=Count("pk"),
        valid=Count("pk", filter=valid),
        expiring=Count("pk", filter=valid & Q(not_after__lte=expiring_limit)),
        expired=Count(
            "pk",
            filter=Q(status=CertStatus.EXPIRED) | Q(status=CertStatus.VALID, not_after__lte=now),
        ),
        revoked=Count("pk", filter=Q(status=CertStatus.REVOKED)),
        issued_this_month=Count("pk", filter=Q(not_before__gte=month_start(now))),
    )
    return CertificateCounts(**counts)


def device_counts(devices: QuerySet) -> DeviceCounts:
    """Devices per status in one grouped query; statuses with no device are left out."""
    rows = dict(devices.order_by().values_list("status").annotate(n=Count("pk")))
    by_status = [
        (status.value, str(status.label), rows[status.value])
        for status in DeviceStatus
        if rows.get(status.value)
    ]
    return DeviceCounts(total=sum(rows.values()), by_status=by_status)


@dataclass(frozen=True)
class LetterCounts:
    drafts: int
    awaiting_head: int
    in_province: int
    with_ca: int
    overdue: int
    done_this_month: int


def letter_counts(letters: QuerySet, *, now: datetime | None = None) -> LetterCounts:
    """Letters by where they wait, in one query. Overdue: past the working-day deadline and
    still waiting on someone other than the drafting clerk."""
    now = now or timezone.now()
    waiting = [
        Status.PROVINCE_REVIEW,
        Status.FORWARDED,
        Status.IN_PROCESS,
        Status.PROCESSING_FAILED,
    ]
    counts = letters.order_by().aggregate(
        drafts=Count("pk", filter=Q(status=Status.DRAFT)),
        awaiting_head=Count("pk", filter=Q(status=Status.AWAITING_HEAD)),
        in_province=Count("pk", filter=Q(status=Status.PROVINCE_REVIEW)),
        with_ca=Count("pk", filter=Q(status__in=waiting[1:])),
        overdue=Count("pk", filter=Q(status__in=waiting, due_on__lt=timezone.localdate(now))),
        done_this_month=Count("pk", filter=Q(status=Status.DONE, done_at__gte=month_start(now))),
    )
    return LetterCounts(**counts)


def agency_count(user) -> int:
    """Active direct-managing agencies the user can see (a provincial officer: their province)."""
    return (
        Organization.objects.visible_to(user)
        .active()
        .filter(kind__in=[OrgKind.AGENCY, OrgKind.MINISTRY])
        .count()
    )


AWAITING_SIGNATURE_SHOWN = 20

# How long the counts of a country- or province-wide scope are reused.
WIDE_SCOPE_SECONDS = 60


def wide_scope(scope: Scope) -> bool:
    """Whether the user's counts cover a province or the whole country."""
    return scope.sees_everything or Role.PROVINCIAL_OFFICER in scope.roles


def scope_counts(user, scope: Scope) -> dict:
    """The certificates, devices, letters and overdue returns of the user's scope, and the
    time they were counted: cached for a wide scope, live otherwise."""

    def count() -> dict:
        return {
            "certificates": certificate_counts(Certificate.objects.visible_to(user)),
            "devices": device_counts(Device.objects.visible_to(user)),
            "letters": letter_counts(CertRequest.objects.visible_to(user)),
            "overdue_returns": overdue_return_count(user),
        }

    if not wide_scope(scope):
        return {**count(), "counted_at": None}
    key = f"dashboard:v1:{scope.cache_key}"
    counts = cache.get(key)
    if counts is None:
        counts = {**count(), "counted_at": timezone.now()}
        cache.set(key, counts, WIDE_SCOPE_SECONDS)
    return counts


def awaiting_signature(user) -> list[CertRequest]:
    """The letters of the head's agencies waiting for their signature, oldest first (one
    query; the dashboard shows the first AWAITING_SIGNATURE_SHOWN, the tile counts them all)."""
    return list(
        CertRequest.objects.visible_to(user)
        .filter(
            status=Status.AWAITING_HEAD,
            agency__memberships__user=user,
            agency__memberships__role=Role.AGENCY_HEAD,
        )
        .select_related("agency")
        .distinct()
        .order_by("updated_at", "pk")[:AWAITING_SIGNATURE_SHOWN]
    )


@dataclass(frozen=True)
class WaitingDocument:
    """A device document (Mẫu 07–09) waiting for the head's signature, as the dashboard lists it."""

    form: str
    title: str
    agency: str
    created_at: datetime
    url_name: str
    pk: int


DEVICE_DOCUMENTS = (
    (HandoverNotice, "07", "devices:notice_detail"),
    (ReturnMinutes, "08", "devices:minutes_detail"),
    (LossReport, "09", "devices:loss_detail"),
)


def device_documents_awaiting_signature(user) -> list[WaitingDocument]:
    """The Mẫu 07–09 of the head's agencies not yet signed and sent, oldest first: one query
    (a UNION of the three forms); the dashboard shows the first AWAITING_SIGNATURE_SHOWN."""
    forms = {form: (model, url_name) for model, form, url_name in DEVICE_DOCUMENTS}
    parts = [
        model.objects.visible_to(user)
        .awaiting_head_of(user)
        .order_by()
        .annotate(form=Value(form, output_field=CharField()))
        .values_list("form", "pk", "number", "agency__name", "created_at")
        for model, form, _url_name in DEVICE_DOCUMENTS
    ]
    rows = parts[0].union(*parts[1:]).order_by("created_at", "pk")[:AWAITING_SIGNATURE_SHOWN]
    waiting = []
    for form, pk, number, agency, created_at in rows:
        model, url_name = forms[form]
        waiting.append(
            WaitingDocument(
                form=form,
                title=str(model(number=number)),  # "Biên bản Mẫu 08 số …", no query
                agency=agency,
                created_at=created_at,
                url_name=url_name,
                pk=pk,
            )
        )
    return waiting


def user_count() -> int:
    return get_user_model().objects.filter(is_active=True).count()


def own_certificates(user, person_id: int, *, now: datetime | None = None) -> list[OwnCertificate]:
    """The subscriber's own certificates, soonest expiry first, with the status a reader
    expects (a certificate past its end date reads "expired" even before the status flips)."""
    now = now or timezone.now()
    expiring_limit = now + timedelta(days=EXPIRING_WITHIN_DAYS)
    rows = (
        Certificate.objects.visible_to(user)
        .filter(person_id=person_id)
        .select_related("device")
        .order_by("not_after")
    )
    result = []
    for cert in rows:
        status = cert.status
        if status == CertStatus.VALID and cert.not_after <= now:
            status = CertStatus.EXPIRED
        result.append(
            OwnCertificate(
                common_name=cert.common_name,
                serial=cert.serial,
                status=status,
                status_label=str(CertStatus(status).label),
                not_after=cert.not_after,
                device=str(cert.device) if cert.device_id else "",
                expiring_soon=status == CertStatus.VALID and cert.not_after <= expiring_limit,
            )
        )
    return result


def own_devices(user, person_id: int) -> list[Device]:
    return list(
        Device.objects.visible_to(user).filter(holder_id=person_id).order_by("kind", "serial")
    )


def build(user) -> dict:
    """Everything the dashboard template needs for this user."""
    scope = scope_for(user)
    role = primary_role(scope)
    context: dict = {
        "role": role,
        "heading": HEADINGS[role],
        "expiring_days": EXPIRING_WITHIN_DAYS,
        "organization_names": scope.organization_names,
    }
    if role is None:
        return context
    if role == Role.DATA_PROTECTION_OFFICER:
        # The privacy pages only: no letter, certificate or device counts (docs/privacy.md).
        context["open_incidents"] = Incident.objects.visible_to(user).open().count()
    elif role != Role.SUBSCRIBER:
        context.update(scope_counts(user, scope))
    # "What needs me now" comes first on every dashboard: the unread notifications, and for a
    # head the letters waiting for their signature.
    if Role.AGENCY_HEAD in scope.roles:
        context["awaiting_signature"] = awaiting_signature(user)
        context["device_documents_awaiting"] = device_documents_awaiting_signature(user)
    if role == Role.PROVINCIAL_OFFICER:
        context["agency_count"] = agency_count(user)
    if role in (Role.CA_OPERATOR, Role.ADMINISTRATOR):
        context["show_issued_this_month"] = True
    if role == Role.ADMINISTRATOR:
        context["user_count"] = user_count()
        context["agency_count"] = agency_count(user)
    if role == Role.SUBSCRIBER:
        context["person"] = (
            Person.objects.select_related("organization").filter(pk=scope.person_id).first()
        )
    if scope.person_id is not None:
        context["own_certificates"] = own_certificates(user, scope.person_id)
        context["own_devices"] = own_devices(user, scope.person_id)
    return context
