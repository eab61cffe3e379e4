"""The statistics page's figures (docs/statistics.md §10): per agency, province and
nationwide, always within `visible_to(user)`, each figure one grouped query in the database
whatever the number of certificates, so the page costs the same dozen queries for one agency
or the whole country.

A figure is a `Table`: a title, its headers and rows, and the chart drawn from it. The page
shows both; the Excel export writes the table. The figures of one scope are cached for
CACHE_SECONDS (the key names the scope, so nobody is shown another's figures, and the
language, since titles, headers and labels are rendered into the tables).
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.cache import cache
from django.db.models import (
    Count,
    F,
    OuterRef,
    Q,
    Subquery,
)
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from agencies.access import scope_for
from agencies.choices import OrgKind, Role
from agencies.models import Organization
from certificates.choices import CertEventKind, CertStatus, SubjectKind
from certificates.models import Certificate, CertificateEvent
from dashboard.event_months import events_per_month, nationwide_per_month, trend_months
from devices.choices import DeviceKind, DeviceStatus
from devices.models import Device, ReturnObligation
from orgmerge.choices import PlanStatus
from orgmerge.models import MergerPlan
from portal.lib.charts import Series, bar_chart, month_chart
from portal.models import Deadline
from requests_app.choices import Status
from requests_app.models import CertRequest

CACHE_SECONDS = 300
# Roles that have statistics: everyone who works on letters.
STATISTICS_ROLES = (
    Role.AGENCY_CLERK,
    Role.AGENCY_HEAD,
    Role.PROVINCIAL_OFFICER,
    Role.CA_OPERATOR,
)


@dataclass
class Table:
    key: str
    title: str
    headers: list[str]
    rows: list[list] = field(default_factory=list)
    chart: str = ""


@dataclass(frozen=True)
class Narrowing:
    """What the page is narrowed to within the user's scope: a province (the CA), an agency
    (a province), or nothing (everything the user may see)."""

    choices: list[tuple[int, str]]
    label: str
    chosen: Organization | None


def may_see_statistics(user) -> bool:
    scope = scope_for(user)
    return scope.is_admin or scope.has_role(*STATISTICS_ROLES)


def narrowing(user, chosen_id: str | None) -> Narrowing:
    """The CA narrows by province, a provincial officer by agency; an agency's own people
    see their agencies. An id outside the choices is ignored (the page shows the whole scope)."""
    scope = scope_for(user)
    if scope.sees_everything:
        orgs, label = Organization.objects.filter(kind=OrgKind.PROVINCE), _("Tỉnh, thành phố")
    elif scope.province_ids:
        orgs = Organization.objects.visible_to(user).filter(
            kind__in=[OrgKind.AGENCY, OrgKind.MINISTRY]
        )
        label = _("Cơ quan")
    else:
        return Narrowing([], "", None)
    choices = list(orgs.active().order_by("name").values_list("pk", "name"))
    chosen = None
    if chosen_id and chosen_id.isdigit() and int(chosen_id) in dict(choices):
        chosen = Organization.objects.get(pk=int(chosen_id))
    return Narrowing(choices, label, chosen)


def _scoped(queryset, user, chosen: Organization | None):
    queryset = queryset.visible_to(user)
    return queryset.within(chosen.path) if chosen is not None else queryset


def _registry_groups(certificates, now: datetime) -> list[tuple]:
    """The registry read once: per agency, subscriber kind and key storage, the valid,
    expired and revoked certificates (at most agencies × a few dozen groups). Every figure of
    the registry is added up from these rows."""
    valid = Q(status=CertStatus.VALID, not_after__gt=now)
    expired = Q(status=CertStatus.EXPIRED) | Q(status=CertStatus.VALID, not_after__lte=now)
    return list(
        certificates.order_by()
        .values_list("agency_id", "subject_kind", "device__kind")
        .annotate(
            valid=Count("pk", filter=valid),
            expired=Count("pk", filter=expired),
            revoked=Count("pk", filter=Q(status=CertStatus.REVOKED)),
        )
    )


def _certificate_tables(groups: list[tuple]) -> list[Table]:
    """By status, by subscriber kind and by key storage."""
    kinds: dict[str, int] = {}
    storages: dict[str | None, int] = {}
    totals = {"valid": 0, "expired": 0, "revoked": 0}
    for _agency, subject_kind, device_kind, n_valid, n_expired, n_revoked in groups:
        kinds[subject_kind] = kinds.get(subject_kind, 0) + n_valid
        storages[device_kind] = storages.get(device_kind, 0) + n_valid
        totals["valid"] += n_valid
        totals["expired"] += n_expired
        totals["revoked"] += n_revoked
    states = Table(
        "trang-thai",
        _("Chứng thư số theo trạng thái"),
        [_("Trạng thái"), _("Số chứng thư")],
        [
            [str(CertStatus.VALID.label), totals["valid"]],
            [str(CertStatus.EXPIRED.label), totals["expired"]],
            [str(CertStatus.REVOKED.label), totals["revoked"]],
        ],
    )
    by_kind = Table(
        "loai-thue-bao",
        _("Chứng thư còn hiệu lực theo loại thuê bao"),
        [_("Loại thuê bao"), _("Số chứng thư")],
        [[str(kind.label), kinds.get(kind.value, 0)] for kind in SubjectKind],
    )
    by_storage = Table(
        "thiet-bi-luu-khoa",
        _("Chứng thư còn hiệu lực theo thiết bị lưu khóa"),
        [_("Thiết bị lưu khóa"), _("Số chứng thư")],
        [[str(kind.label), storages.get(kind.value, 0)] for kind in DeviceKind]
        + [[_("Không gắn thiết bị"), storages.get(None, 0)]],
    )
    return [states, by_kind, by_storage]


def _breakdown(groups: list[tuple], *, by_province: bool) -> Table:
    """Certificates per province (the CA) or per agency (everyone else), from the registry's
    groups, then the agencies' names (and provinces) in one small query, so the registry is
    never joined to the organisation tree."""
    per_agency: dict[int, list[int]] = {}
    for agency_id, _kind, _storage, n_valid, n_expired, n_revoked in groups:
        line = per_agency.setdefault(agency_id, [0, 0, 0])
        line[0] += n_valid
        line[1] += n_revoked
        line[2] += n_valid + n_expired + n_revoked
    names = dict(
        Organization.objects.filter(pk__in=list(per_agency)).values_list(
            "pk", "province__name" if by_province else "name"
        )
    )
    lines: dict[str, list[int]] = {}
    for agency_id, (n_valid, n_revoked, n_total) in per_agency.items():
        line = lines.setdefault(names.get(agency_id) or "—", [0, 0, 0])
        line[0] += n_valid
        line[1] += n_revoked
        line[2] += n_total
    title = _("Chứng thư theo tỉnh, thành phố") if by_province else _("Chứng thư theo cơ quan")
    name = _("Tỉnh, thành phố") if by_province else _("Cơ quan")
    return Table(
        "theo-don-vi",
        title,
        [name, _("Còn hiệu lực"), _("Đã thu hồi"), _("Tổng số")],
        [[key, *line] for key, line in sorted(lines.items(), key=lambda kv: (-kv[1][0], kv[0]))],
    )


def _monthly(certificates, today: date, *, everything: bool) -> Table:
    months = trend_months(today)
    if everything:  # the whole registry: ended months from their tally
        found = nationwide_per_month(months, timezone.now())
    else:
        events = CertificateEvent.objects.filter(certificate__in=certificates.values("pk"))
        found = events_per_month(events.exclude(kind=CertEventKind.EXPIRED), months)
    kinds = [k for k in CertEventKind if k != CertEventKind.EXPIRED]
    rows = [[m.strftime("%m/%Y")] + [found.get((m, k.value), 0) for k in kinds] for m in months]
    table = Table(
        "theo-thang",
        _("Cấp mới, gia hạn, thay đổi thông tin và thu hồi theo tháng"),
        [_("Tháng")] + [str(k.label) for k in kinds],
        rows,
    )
    table.chart = month_chart(
        table.title,
        [m.strftime("%m/%y") for m in months],
        [Series(str(k.label), [row[i + 1] for row in rows]) for i, k in enumerate(kinds)],
    )
    return table


def _devices(devices, obligations) -> list[Table]:
    counts = dict(devices.order_by().values_list("status").annotate(n=Count("pk")))
    by_status = Table(
        "thiet-bi",
        _("Thiết bị theo trạng thái"),
        [_("Trạng thái"), _("Số thiết bị")],
        [[str(s.label), counts.get(s.value, 0)] for s in DeviceStatus if counts.get(s.value)],
    )
    overdue = Table(
        "ban-giao-qua-han",
        _("Thiết bị quá hạn bàn giao lại"),
        [_("Chỉ tiêu"), _("Số thiết bị")],
        [[_("Quá hạn bàn giao lại (5 ngày làm việc)"), obligations.overdue().count()]],
    )
    return [by_status, overdue]


def _letters(letters) -> Table:
    counts = dict(letters.order_by().values_list("status").annotate(n=Count("pk")))
    return Table(
        "van-ban",
        _("Văn bản đề nghị theo bước xử lý"),
        [_("Bước"), _("Số văn bản")],
        [[str(s.label), counts.get(s.value, 0)] for s in Status],
    )


def _sla(user, chosen: Organization | None) -> Table:
    """Deadlines per province and step: met in time, met late, overdue still open. A
    deadline names its agency as plain data (docs/processing.md §4.9); the agency's province
    is read by a subquery, so this stays one grouped query."""
    agencies = _scoped(Organization.objects, user, chosen).values("pk")
    province = Organization.objects.filter(pk=OuterRef("agency_id")).values("province__name")
    today = timezone.localdate()
    rows = (
        Deadline.objects.filter(agency_id__in=agencies)
        .annotate(province=Subquery(province[:1]))
        .order_by()
        .values("province", "kind")
        .annotate(
            in_time=Count(
                "pk", filter=Q(closed_at__isnull=False, closed_at__date__lte=F("due_on"))
            ),
            late=Count("pk", filter=Q(closed_at__isnull=False, closed_at__date__gt=F("due_on"))),
            overdue=Count("pk", filter=Q(closed_at__isnull=True, due_on__lt=today)),
            total=Count("pk"),
        )
        .order_by("province", "kind")
    )
    labels = dict(Deadline.Kind.choices)
    lines = []
    for r in rows:
        closed = r["in_time"] + r["late"]
        rate = f"{100 * r['in_time'] / closed:.1f}".replace(".", ",") + " %" if closed else "—"
        lines.append(
            [
                r["province"] or "—",
                str(labels.get(r["kind"], r["kind"])),
                r["in_time"],
                r["late"],
                r["overdue"],
                rate,
            ]
        )
    return Table(
        "dung-han",
        _("Tỷ lệ xử lý đúng hạn theo tỉnh và bước"),
        [
            _("Tỉnh, thành phố"),
            _("Bước"),
            _("Đúng hạn"),
            _("Trễ hạn"),
            _("Đang quá hạn"),
            _("Tỷ lệ đúng hạn"),
        ],
        lines,
    )


def _mergers(user, chosen: Organization | None) -> Table:
    plans = MergerPlan.objects.visible_to(user)
    if chosen is not None:
        plans = plans.filter(Q(province=chosen) | Q(target__path__startswith=chosen.path))
    counts = dict(plans.order_by().values_list("status").annotate(n=Count("pk")))
    return Table(
        "sap-nhap",
        _("Tiến độ sáp nhập"),
        [_("Trạng thái phương án"), _("Số phương án")],
        [[str(s.label), counts.get(s.value, 0)] for s in PlanStatus],
    )


def figures(user, chosen: Organization | None = None) -> list[Table]:
    """Every figure of the page for `user`, narrowed to `chosen`, cached per scope and
    language (an English page after a Vietnamese one must not show the Vietnamese labels)."""
    language = translation.get_language()
    key = f"stats:v2:{scope_for(user).cache_key}:{chosen.pk if chosen else '-'}:{language}"
    tables = cache.get(key)
    if tables is None:
        tables = compute(user, chosen)
        cache.set(key, tables, CACHE_SECONDS)
    return tables


def compute(
    user, chosen: Organization | None = None, *, trend_until: date | None = None
) -> list[Table]:
    """Every figure, computed now from the database (not cached): the page through `figures`,
    and a province's monthly report (dashboard/reports.py), whose twelve-month trend ends with
    the report's month (`trend_until`, default this month)."""
    now = timezone.now()
    scope = scope_for(user)
    certificates = _scoped(Certificate.objects, user, chosen)
    groups = _registry_groups(certificates, now)
    tables = _certificate_tables(groups)
    tables.append(_breakdown(groups, by_province=scope.sees_everything and not chosen))
    everything = scope.sees_everything and chosen is None
    trend_end = trend_until or timezone.localdate(now)
    tables.append(_monthly(certificates, trend_end, everything=everything))
    tables += _devices(
        _scoped(Device.objects, user, chosen), _scoped(ReturnObligation.objects, user, chosen)
    )
    tables.append(_letters(_scoped(CertRequest.objects, user, chosen)))
    tables.append(_sla(user, chosen))
    tables.append(_mergers(user, chosen))
    for table in tables:
        if not table.chart and len(table.rows) > 1 and isinstance(table.rows[0][1], int):
            table.chart = bar_chart(table.title, [(row[0], row[1]) for row in table.rows])
    return tables
