"""Reads of the signing-activity monitor (letter 86/BCY-CTSBMTT point 3; docs/architecture.md
§13): the page "Giám sát hoạt động ký số" and the monthly report's section on signing.

Every figure starts from `visible_to(user)` (a clerk or head: their agency; a Sở KH&CN: its
province; the CA: the country), then `within(path)` of the chosen organisation, and reads only
what the worker wrote (`dashboard.monitor_rollups`): the monthly rollups, the idle list and the
alerts, so the page costs the same dozen queries at twenty million events as at twenty.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.access import scope_for
from agencies.models import Organization
from certificates.choices import IssuerKind
from dashboard.event_months import trend_months
from dashboard.models import (
    IdleCertificate,
    IdleCertificateCount,
    SigningAgencyMonth,
    SigningAlert,
    SigningCertificateMonth,
    SigningMonthTally,
)
from dashboard.monitor_rollups import IDLE_DAYS
from dashboard.months import Month
from dashboard.statistics import Table
from portal.lib.charts import Series, bar_chart, month_chart

LIST_LIMIT = 25  # lines of each list on the page (the biggest first)
ALERT_DAYS = 30  # the alerts of the last month


@dataclass
class Monitor:
    """Everything the page shows for one scope and month."""

    month: Month
    chosen: Organization | None
    by_agency: Table
    trend: Table
    certificates: list
    bad: list
    public: list
    idle: list
    idle_count: int
    alerts: list


def parse_month(value: str | None, today: date) -> Month:
    """ "2026-11" → that month if it is one of the last twelve; otherwise this month."""
    months = trend_months(today)
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        first = date(year, month, 1)
    except ValueError:
        return Month.of(today)
    return Month.of(first) if first in months else Month.of(today)


def month_choices(today: date) -> list[tuple[str, str]]:
    return [(f"{m:%Y-%m}", f"{m:%m/%Y}") for m in reversed(trend_months(today))]


def scoped(queryset, user, chosen: Organization | None):
    queryset = queryset.visible_to(user)
    return queryset.within(chosen.path) if chosen is not None else queryset


def _by_agency(user, chosen, month: Month, *, by_province: bool) -> Table:
    """Documents signed, signatures, night, public CA, revoked or expired: per agency (per
    province for the CA's whole country)."""
    rows = list(
        scoped(SigningAgencyMonth.objects, user, chosen)
        .filter(month=month.first_day)
        .values_list("agency_id", "documents", "signatures", "night", "public", "bad")
    )
    names = dict(
        Organization.objects.filter(pk__in=[r[0] for r in rows]).values_list(
            "pk", "province__name" if by_province else "name"
        )
    )
    lines: dict[str, list[int]] = {}
    for agency_id, *figures in rows:
        line = lines.setdefault(names.get(agency_id) or "—", [0] * 5)
        for i, n in enumerate(figures):
            line[i] += n
    table = Table(
        "theo-co-quan",
        _("Văn bản ký số theo tỉnh, thành phố") if by_province else _("Văn bản ký số theo cơ quan"),
        [
            _("Tỉnh, thành phố") if by_province else _("Cơ quan"),
            _("Văn bản đã ký"),
            _("Chữ ký"),
            _("Ký ban đêm"),
            _("Chứng thư công cộng"),
            _("Chứng thư đã thu hồi, hết hạn"),
        ],
        [[k, *v] for k, v in sorted(lines.items(), key=lambda kv: (-kv[1][0], kv[0]))],
    )
    if len(table.rows) > 1:
        table.chart = bar_chart(table.title, [(r[0], r[1]) for r in table.rows[:LIST_LIMIT]])
    return table


def _trend(user, chosen, month: Month) -> Table:
    months = trend_months(month.first_day)
    found = {
        m: (docs or 0, sigs or 0)
        for m, docs, sigs in scoped(SigningAgencyMonth.objects, user, chosen)
        .filter(month__in=months)
        .order_by()
        .values_list("month")
        .annotate(docs=Sum("documents"), sigs=Sum("signatures"))
        .values_list("month", "docs", "sigs")
    }
    rows = [[f"{m:%m/%Y}", *found.get(m, (0, 0))] for m in months]
    table = Table(
        "theo-thang",
        _("Văn bản ký số theo tháng"),
        [_("Tháng"), _("Văn bản đã ký"), _("Chữ ký")],
        rows,
    )
    table.chart = month_chart(
        table.title,
        [f"{m:%m/%y}" for m in months],
        [Series(str(_("Văn bản đã ký")), [r[1] for r in rows])],
    )
    return table


@dataclass(frozen=True)
class CertificateLine:
    """One line of the page's certificate lists: plain values read in one query, since a
    page of model instances with their related rows cost more than the query itself."""

    serial: str
    certificate_serial: str | None  # None: a public CA's certificate the portal never issued
    common_name: str
    agency: str
    public: bool
    signatures: int
    night: int
    bad: int
    verified: int
    ocsp: int
    last_signed_at: object


CERTIFICATE_LINE = (
    "serial",
    "certificate__serial",
    "certificate__common_name",
    "agency__name",
    "issuer_kind",
    "signatures",
    "night",
    "bad",
    "verified",
    "ocsp",
    "last_signed_at",
)


def _certificate_lines(queryset) -> list[CertificateLine]:
    return [
        CertificateLine(
            serial,
            certificate_serial,
            common_name or "",
            agency,
            issuer_kind == IssuerKind.PUBLIC,
            *figures,
        )
        for serial, certificate_serial, common_name, agency, issuer_kind, *figures in (
            queryset.values_list(*CERTIFICATE_LINE)[:LIST_LIMIT]
        )
    ]


@dataclass(frozen=True)
class IdleLine:
    certificate_serial: str
    common_name: str
    agency: str
    last_signed_at: object
    device_id: int | None
    device_serial: str | None


IDLE_LINE = (
    "certificate__serial",
    "certificate__common_name",
    "agency__name",
    "last_signed_at",
    "certificate__device_id",
    "certificate__device__serial",
)


def _idle_lines(rows, count: int) -> list[IdleLine]:
    """The scope's longest idle certificates, walking the table's order index: the scope's
    first 25 come after about 25 × (all idle ÷ the scope's idle) rows, cheap for the country
    or a province with its share. A scope with none would walk the whole index to learn it,
    so its count, already known, answers first (docs/architecture.md §13)."""
    if count == 0:
        return []
    return [
        IdleLine(*line)
        for line in rows.order_by("last_signed_at", "certificate_id").values_list(*IDLE_LINE)[
            :LIST_LIMIT
        ]
    ]


def _idle_count(user, chosen) -> int:
    counted = scoped(IdleCertificateCount.objects, user, chosen).aggregate(n=Sum("n"))["n"]
    return counted or 0


def build(user, chosen: Organization | None, month: Month) -> Monitor:
    """The page's figures for `user`'s scope narrowed to `chosen`, in `month`."""
    scope = scope_for(user)
    rows = scoped(SigningCertificateMonth.objects, user, chosen).filter(month=month.first_day)
    idle_count = _idle_count(user, chosen)
    since = timezone.localdate() - timedelta(days=ALERT_DAYS)
    return Monitor(
        month=month,
        chosen=chosen,
        by_agency=_by_agency(
            user, chosen, month, by_province=scope.sees_everything and chosen is None
        ),
        trend=_trend(user, chosen, month),
        certificates=_certificate_lines(rows.filter(signatures__gt=0).order_by("-signatures")),
        bad=_certificate_lines(rows.filter(bad__gt=0).order_by("-bad")),
        public=_certificate_lines(
            rows.filter(issuer_kind=IssuerKind.PUBLIC).order_by("-signatures")
        ),
        idle=_idle_lines(scoped(IdleCertificate.objects, user, chosen), idle_count),
        idle_count=idle_count,
        alerts=list(
            scoped(SigningAlert.objects, user, chosen)
            .filter(day__gte=since)
            .select_related("agency", "certificate")[:LIST_LIMIT]
        ),
    )


@dataclass(frozen=True)
class Stamps:
    """When the worker last wrote what the page of `month` shows: the month's rollup, the
    idle list and the alerts. Figures built before a change of any of them are stale."""

    computed_at: object  # the month's rollup, None if never rolled up
    idle_at: object
    last_alert: int | None


def stamps(month: Month) -> Stamps:
    return Stamps(
        SigningMonthTally.objects.filter(month=month.first_day)
        .values_list("computed_at", flat=True)
        .first(),
        IdleCertificateCount.objects.aggregate(at=Max("computed_at"))["at"],
        SigningAlert.objects.aggregate(last=Max("pk"))["last"],
    )


# --- the monthly report's section ----------------------------------------------------------
def report_tables(user, province: Organization, month: Month) -> list[Table]:
    """The province's signing in `month` for its monthly report: per agency, and the month's
    totals with the alerts and the certificates idle now."""
    by_agency = _by_agency(user, province, month, by_province=False)
    start, end = month.first_day, month.next_first_day
    totals = (
        scoped(SigningAgencyMonth.objects, user, province)
        .filter(month=month.first_day)
        .aggregate(
            documents=Sum("documents"),
            signatures=Sum("signatures"),
            night=Sum("night"),
            public=Sum("public"),
            bad=Sum("bad"),
        )
    )
    alerts = (
        scoped(SigningAlert.objects, user, province).filter(day__gte=start, day__lt=end).count()
    )
    idle = _idle_count(user, province)
    summary = Table(
        "thang-ky-so",
        "Hoạt động ký số trong tháng",
        ["Nội dung", "Số lượng"],
        [
            ["Văn bản đã ký số", totals["documents"] or 0],
            ["Chữ ký số", totals["signatures"] or 0],
            ["Chữ ký ban đêm (22:00–06:00)", totals["night"] or 0],
            ["Chữ ký bằng chứng thư số công cộng", totals["public"] or 0],
            ["Chữ ký bằng chứng thư số đã thu hồi hoặc hết hạn", totals["bad"] or 0],
            ["Cảnh báo ký số bất thường", alerts],
            [f"Chứng thư số không sử dụng từ {IDLE_DAYS} ngày (hiện tại)", idle],
        ],
    )
    return [summary, by_agency]
