"""Writes of the signing-activity monitor (docs/architecture.md §13), run by the worker only:
the monthly rollups of `certificates.SigningEvent`, the list of idle certificates, and the
burst rule with its alert to the Sở KH&CN. The monitor's pages and the monthly report read what
these write (a GET never writes, §2.3).

Each is idempotent by a unique constraint on what it writes: a rollup row per (month, agency)
and per (month, agency, serial), upserted with the same figures when run again; the idle list
replaced whole in one transaction; an alert per (certificate serial, day), and its
notification keyed by the same pair.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from statistics import median

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import CharField, Count, Max, Q, Value
from django.db.models.functions import Cast, Coalesce, Concat, TruncDate
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from agencies.choices import Role
from agencies.models import Organization
from certificates.choices import (
    BAD_CERTIFICATE_OUTCOMES,
    SIGNATURE_KINDS,
    CertStatus,
    IssuerKind,
    SigningEventKind,
)
from certificates.models import SigningEvent
from dashboard.event_months import has_settled, trend_months
from dashboard.models import (
    IdleCertificate,
    IdleCertificateCount,
    SigningAgencyMonth,
    SigningAlert,
    SigningCertificateMonth,
    SigningMonthTally,
)
from dashboard.months import Month
from portal.notifications import notify
from portal.texts import text

# A certificate that signed nothing for this many days is idle (letter 86: revoke it, or
# recover its device).
IDLE_DAYS = 90
# The burst rule: a certificate signing today more than max(BURST_FLOOR, BURST_FACTOR × the
# median of its daily signatures over the BURST_DAYS days before today, zeros included).
BURST_FLOOR = 20
BURST_FACTOR = 5
BURST_DAYS = 30

_SIGNATURE = Q(kind__in=SIGNATURE_KINDS)
_BAD = Q(kind__in=[*SIGNATURE_KINDS, SigningEventKind.VERIFIED]) & Q(
    outcome__in=BAD_CERTIFICATE_OUTCOMES
)


def _document_key():
    """What names a document among the events: its kind and key (or number, for a file
    uploaded before it had a key)."""
    return Concat(
        "document_kind",
        Value(":"),
        Coalesce(Cast("document_id", CharField()), "document_number"),
        output_field=CharField(),
    )


def _upsert(model, month: date, rows, columns: list[str], unique: list[str]) -> int:
    """INSERT … SELECT … ON CONFLICT DO UPDATE of `rows` (a grouped queryset whose selected
    columns are `columns` in order) as `model`'s rows of `month`: one statement in the
    database whatever the number of rows, on PostgreSQL and SQLite alike (`WHERE true` lets
    SQLite tell the SELECT's end from the ON CONFLICT clause)."""
    table = model._meta.db_table
    quote = connection.ops.quote_name
    select, params = rows.query.sql_with_params()
    names = ", ".join(quote(c) for c in ["month", *columns])
    updates = ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in columns if c not in unique)
    sql = (
        f"INSERT INTO {quote(table)} ({names}) SELECT %s, q.* FROM ({select}) q WHERE true"  # noqa: S608
        f" ON CONFLICT ({', '.join(quote(c) for c in ['month', *unique])}) DO UPDATE SET {updates}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [connection.ops.adapt_datefield_value(month), *params])
        return cursor.rowcount


def signing_month_roll_up(month: Month) -> tuple[int, int]:
    """Roll up one month's events: per agency and per (agency, certificate serial), upserted
    set-based in the database. Returns (agency rows, certificate rows) written."""
    start, end = month.bounds()
    events = SigningEvent.objects.between(start, end).filter(agency__isnull=False).order_by()
    agencies = events.values("agency_id").annotate(
        documents=Count(_document_key(), distinct=True, filter=_SIGNATURE),
        signatures=Count("pk", filter=_SIGNATURE),
        night_n=Count("pk", filter=_SIGNATURE & Q(night=True)),
        public_n=Count("pk", filter=_SIGNATURE & Q(issuer_kind=IssuerKind.PUBLIC)),
        bad_n=Count("pk", filter=_BAD),
    )
    certificates = (
        events.exclude(serial="")
        .values("agency_id", "serial")
        .annotate(
            cert=Max("certificate_id"),
            issuer=Max("issuer_kind"),
            signatures=Count("pk", filter=_SIGNATURE),
            night_n=Count("pk", filter=_SIGNATURE & Q(night=True)),
            bad_n=Count("pk", filter=_BAD),
            verified=Count("pk", filter=Q(kind=SigningEventKind.VERIFIED)),
            ocsp=Count("pk", filter=Q(kind=SigningEventKind.OCSP)),
            last=Max("at", filter=_SIGNATURE),
        )
    )
    with transaction.atomic():
        n_agencies = _upsert(
            SigningAgencyMonth,
            month.first_day,
            agencies,
            ["agency_id", "documents", "signatures", "night", "public", "bad"],
            ["agency_id"],
        )
        n_certificates = _upsert(
            SigningCertificateMonth,
            month.first_day,
            certificates,
            [
                "agency_id",
                "serial",
                "certificate_id",
                "issuer_kind",
                "signatures",
                "night",
                "bad",
                "verified",
                "ocsp",
                "last_signed_at",
            ],
            ["agency_id", "serial"],
        )
    return n_agencies, n_certificates


def signing_months_roll_up(*, now: datetime | None = None) -> list[date]:
    """Beat (hourly): roll up every month of the last twelve not settled yet (this month, and
    the last one until the second day of this one, `dashboard.event_months.has_settled`);
    a settled month is rolled up once more and then never again. Returns the months rolled."""
    now = now or timezone.now()
    months = trend_months(timezone.localdate(now))
    settled = set(
        SigningMonthTally.objects.filter(month__in=months, settled=True).values_list(
            "month", flat=True
        )
    )
    rolled = []
    for first in months:
        if first in settled:
            continue
        signing_month_roll_up(Month.of(first))
        SigningMonthTally.objects.update_or_create(
            month=first, defaults={"settled": has_settled(first, now), "computed_at": now}
        )
        rolled.append(first)
    return rolled


_IDLE_SQL = """
INSERT INTO dashboard_idlecertificate (certificate_id, agency_id, last_signed_at, computed_at)
SELECT c.id, c.agency_id, u.last_at, %s
FROM certificates_certificate c
LEFT JOIN (
    SELECT certificate_id, MAX(last_signed_at) AS last_at
    FROM dashboard_signingcertificatemonth
    WHERE certificate_id IS NOT NULL AND last_signed_at IS NOT NULL
    GROUP BY certificate_id
) u ON u.certificate_id = c.id
WHERE c.status = %s AND c.not_after > %s AND c.not_before <= %s
  AND (u.last_at IS NULL OR u.last_at <= %s)
ON CONFLICT (certificate_id) DO NOTHING
"""


_IDLE_COUNT_SQL = """
INSERT INTO dashboard_idlecertificatecount (agency_id, n, computed_at)
SELECT agency_id, COUNT(*), %s FROM dashboard_idlecertificate GROUP BY agency_id
ON CONFLICT (agency_id) DO NOTHING
"""


def idle_certificates_refresh(*, now: datetime | None = None) -> int:
    """Beat (daily, after the rollups): rewrite the list of valid certificates, issued at
    least IDLE_DAYS ago, whose last signature (from the rollups) is IDLE_DAYS old or more, or
    that never signed. Replaced whole in one transaction: a rerun writes the same rows, and two
    runs at once keep one row per certificate (the one-to-one key). Returns the count."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=IDLE_DAYS)
    with transaction.atomic(), connection.cursor() as cursor:
        IdleCertificate.objects.all().delete()
        IdleCertificateCount.objects.all().delete()
        # Raw SQL: the moments as the backend stores them (SQLite compares text).
        at, until = (connection.ops.adapt_datetimefield_value(v) for v in (now, cutoff))
        cursor.execute(_IDLE_SQL, [at, CertStatus.VALID, at, until, until])
        written = cursor.rowcount
        cursor.execute(_IDLE_COUNT_SQL, [at])
        return written


# --- bursts ---------------------------------------------------------------------------------
def _day_start(day: date) -> datetime:
    """Local midnight at the start of `day`."""
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def burst_threshold(daily_counts: list[int]) -> int:
    """max(BURST_FLOOR, BURST_FACTOR × median) of BURST_DAYS daily counts (missing days are
    zeros), rounded down: for a whole count n, n > ⌊t⌋ exactly when n > t."""
    counts = list(daily_counts) + [0] * (BURST_DAYS - len(daily_counts))
    return max(BURST_FLOOR, math.floor(BURST_FACTOR * median(counts)))


def _history(candidates: dict[str, dict], day: date) -> dict[str, list[int]]:
    """{serial: [signatures per local day]} over the BURST_DAYS days before `day`, for the
    candidates: read through (certificate, at) for registry certificates, by time otherwise."""
    start = _day_start(day - timedelta(days=BURST_DAYS))
    end = _day_start(day)
    known = [c["cert"] for c in candidates.values() if c["cert"]]
    unknown = [s for s, c in candidates.items() if not c["cert"]]
    conditions = []
    if known:
        conditions.append(Q(certificate_id__in=known))
    if unknown:
        conditions.append(Q(serial__in=unknown, certificate=None))
    found: dict[str, dict[date, int]] = {}
    for condition in conditions:
        per_day = (
            SigningEvent.objects.signatures()
            .between(start, end)
            .filter(condition)
            .annotate(day=TruncDate("at", tzinfo=timezone.get_current_timezone()))
            .order_by()
            .values_list("serial", "day")
            .annotate(n=Count("pk"))
        )
        for serial, when, n in per_day:
            found.setdefault(serial, {})[when] = n
    return {serial: list(days.values()) for serial, days in found.items()}


def _officers_of(agency_id: int):
    agency = Organization.objects.select_related("province").get(pk=agency_id)
    if agency.province_id:
        who = Q(
            memberships__role=Role.PROVINCIAL_OFFICER,
            memberships__organization__province_id=agency.province_id,
        )
    else:  # a ministry: no Sở KH&CN above it, the CA watches it
        who = Q(memberships__role=Role.CA_OPERATOR)
    return agency, get_user_model().objects.filter(who, is_active=True).distinct()


def _alert(candidate: dict, *, serial: str, day: date, reason: str, threshold: int) -> None:
    # A run racing this one for the same (serial, day) meets the constraint
    # dashboard_signing_alert_one_per_day; get_or_create then reads the row the other run
    # wrote (its insert is in a savepoint of its own), so both go on with the one alert.
    alert, _created = SigningAlert.objects.get_or_create(
        serial=serial,
        day=day,
        defaults={
            "certificate_id": candidate["cert"],
            "agency_id": candidate["agency_ref"],
            "reason": reason,
            "signatures": candidate["n"],
            "threshold": threshold,
        },
    )
    agency, officers = _officers_of(alert.agency_id)
    if alert.reason == SigningAlert.Reason.NIGHT:
        message = gettext_noop(
            "Chứng thư số %(serial)s của %(agency)s đã ký số ban đêm (22:00–06:00) ngày %(day)s."
        )
    else:
        message = gettext_noop(
            "Chứng thư số %(serial)s của %(agency)s đã ký %(n)s chữ ký ngày %(day)s, vượt "
            "ngưỡng thường lệ %(threshold)s."
        )
    notify(
        users=officers,
        message=text(
            message,
            serial=serial,
            agency=agency.name,
            day=f"{day:%d/%m/%Y}",
            n=alert.signatures,
            threshold=alert.threshold,
        ),
        url=f"{reverse('signing_monitor')}?don_vi={agency.pk}",
        subject=f"certificate-serial:{serial}",
        kind="signing_alert",
        key=f"signing-alert:{serial}:{day.isoformat()}",
    )


def signing_bursts_check(*, now: datetime | None = None) -> int:
    """Beat (every few minutes): today's signatures (local day) per certificate; one that
    signed more than its threshold (`burst_threshold`), or at night, gets one alert for the day
    and its province's Sở KH&CN one notification. Returns how many certificates are alerted
    today (by this run or an earlier one: a rerun tells nobody twice)."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    start = _day_start(day)
    today = (
        SigningEvent.objects.signatures()
        .filter(at__gte=start, at__lte=now, agency__isnull=False)
        .exclude(serial="")
        .order_by()
        .values("serial")
        .annotate(
            n=Count("pk"),
            night_n=Count("pk", filter=Q(night=True)),
            cert=Max("certificate_id"),
            agency_ref=Max("agency_id"),
        )
    )
    today = {r["serial"]: r for r in today}
    heavy = {s: c for s, c in today.items() if c["n"] > BURST_FLOOR}
    history = _history(heavy, day) if heavy else {}
    alerted = 0
    for serial, candidate in today.items():
        threshold = burst_threshold(history.get(serial, []))
        if candidate["n"] > threshold:
            reason = SigningAlert.Reason.RATE
        elif candidate["night_n"]:
            reason, threshold = SigningAlert.Reason.NIGHT, 0
        else:
            continue
        _alert(candidate, serial=serial, day=day, reason=reason, threshold=threshold)
        alerted += 1
    return alerted
