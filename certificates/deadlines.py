"""The renewal ladder (docs/domain.md §5.9): set-based, idempotent by the notification key.

At each threshold of PORTAL_RENEWAL_NOTICE_DAYS (60, 45, 31 days left) the agency's clerks and
head and the subscriber are told that renewal or change is still possible; under
PORTAL_RENEW_MIN_DAYS_LEFT (30) that it no longer is and a new issue is needed. One INSERT …
SELECT covers every certificate and every threshold: a certificate gets the message of the band
its days left fall in, keyed "certificate:<id>:renewal:<threshold>", so a repeated or
concurrent sweep tells nobody twice and a missed run is caught up by the next one.

On PostgreSQL that statement, as tuned at a million certificates; on SQLite (`make run`) the
same rows read through the ORM and built in Python (`_ladder_rows`), inserted by
`notify_rows` under the same keys (docs/processing.md §4.9).
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from agencies.choices import Role
from agencies.models import Membership
from certificates.choices import CertStatus
from certificates.models import Certificate
from portal.lib.isotime import iso_utc
from portal.notifications import notify_rows, notify_select
from portal.texts import text
from webhooks.choices import EventType
from webhooks.services import (
    NewEvent,
    webhook_events_record_many,
    webhook_events_record_select,
)

_SERIAL = "__serial__"


# The rungs' messages, stored as data (portal/texts.py) and shown in the reader's language.
RENEWABLE = gettext_noop(
    "Chứng thư số %(name)s (số hiệu %(serial)s) hết hạn ngày %(date)s, còn không quá "
    "%(days)s ngày: vẫn có thể gia hạn hoặc thay đổi thông tin (Mẫu 04) khi còn ít nhất "
    "%(min)s ngày."
)
TOO_LATE = gettext_noop(
    "Chứng thư số %(name)s (số hiệu %(serial)s) hết hạn ngày %(date)s, còn dưới %(min)s "
    "ngày: không thể gia hạn hay thay đổi thông tin nữa, cần lập văn bản đề nghị cấp mới."
)


def _format(template: str) -> str:
    """A message with %(name)s, %(serial)s, %(date)s → PostgreSQL format() slots."""
    return (
        template.replace("%", "%%")
        .replace("%%(name)s", "%1$s")
        .replace("%%(serial)s", "%2$s")
        .replace("%%(date)s", "%3$s")
    )


def ladder_bands() -> list[tuple[int, int, str]]:
    """(threshold, lower bound, code) per rung, the highest first: a certificate with d days
    left is in the rung whose threshold ≥ d > lower bound. The code's parameters: name,
    serial, date, days (the threshold) and min (PORTAL_RENEW_MIN_DAYS_LEFT)."""
    floor = settings.PORTAL_RENEW_MIN_DAYS_LEFT
    rungs = [d for d in settings.PORTAL_RENEWAL_NOTICE_DAYS if d > floor]
    bands = []
    for i, threshold in enumerate(rungs):
        lower = rungs[i + 1] if i + 1 < len(rungs) else floor
        bands.append((threshold, lower, RENEWABLE))
    bands.append((floor, 0, TOO_LATE))
    return bands


def _rung_template(code: str, threshold: int) -> str:
    """The rung's text in the default language, its days and floor filled in, for format()."""
    with translation.override(settings.LANGUAGE_CODE):
        return _format(
            _(code)
            .replace("%(days)s", str(threshold))
            .replace("%(min)s", str(settings.PORTAL_RENEW_MIN_DAYS_LEFT))
        )


@transaction.atomic
def renewal_ladder_sweep(*, now: datetime | None = None) -> int:
    """Notify every certificate's agency and subscriber of the rung it has reached; one SQL
    statement for all certificates (plus one to read the e-mail addresses of the new rows).
    Returns the number of notifications inserted.

    Each certificate reaching a rung is also told to other systems once, as the signed
    webhook `certificate.expiring` keyed by its rung (docs/webhooks.md), in the same
    transaction."""
    now = now or timezone.now()
    if connection.vendor != "postgresql":
        webhook_events_record_many(events=_expiring_events(now))
        return notify_rows(_ladder_rows(now))
    _expiring_events_on_postgresql(now)
    bands = [
        (threshold, lower, _rung_template(code, threshold), code)
        for threshold, lower, code in ladder_bands()
    ]
    values = ", ".join("(%s, %s, %s, %s)" for _band in bands)
    url = reverse("certificates:detail", args=[_SERIAL])
    # Only "%s" slots are formatted into the text; every value is a parameter.
    select = (
        "SELECT r.user_id,"  # noqa: S608
        " format(b.template, c.common_name, c.serial,"
        "   to_char(c.not_after AT TIME ZONE %s, 'DD/MM/YYYY')) AS message,"
        " jsonb_build_object('code', b.code, 'params', jsonb_build_object("
        "   'name', c.common_name, 'serial', c.serial,"
        "   'date', to_char(c.not_after AT TIME ZONE %s, 'DD/MM/YYYY'),"
        "   'days', b.threshold, 'min', %s::int)) AS message_data,"
        " replace(%s, %s, c.serial) AS url,"
        " 'certificate:' || c.id AS subject, 'renewal' AS kind,"
        " 'certificate:' || c.id || ':renewal:' || b.threshold AS key"
        f" FROM (VALUES {values}) AS b(threshold, lower_days, template, code)"
        " JOIN certificates_certificate c"
        "   ON c.not_after <= %s + b.threshold * interval '1 day'"
        "  AND c.not_after > %s + b.lower_days * interval '1 day'"
        " CROSS JOIN LATERAL ("
        "   SELECT m.user_id FROM agencies_membership m"
        "   WHERE m.organization_id = c.agency_id AND m.role IN (%s, %s)"
        "   UNION SELECT p.user_id FROM agencies_person p"
        "   WHERE p.id = c.person_id AND p.user_id IS NOT NULL"
        " ) AS r"
        " JOIN auth_user u ON u.id = r.user_id AND u.is_active"
        " WHERE c.status = %s AND c.superseded_by_id IS NULL"
    )
    params = [
        settings.TIME_ZONE,
        settings.TIME_ZONE,
        settings.PORTAL_RENEW_MIN_DAYS_LEFT,
        url,
        _SERIAL,
        *(p for band in bands for p in band),
        now,
        now,
        Role.AGENCY_CLERK,
        Role.AGENCY_HEAD,
        CertStatus.VALID,
    ]
    return notify_select(select, params)


def _ladder_rows(now: datetime):
    """The rows of `renewal_ladder_sweep`'s SELECT, read through the ORM (two queries a rung):
    SQLite's variant."""
    url = reverse("certificates:detail", args=[_SERIAL])
    zone = ZoneInfo(settings.TIME_ZONE)  # the date as PostgreSQL's `AT TIME ZONE` gives it
    for threshold, lower, code in ladder_bands():
        on_rung = Certificate.objects.filter(
            status=CertStatus.VALID,
            superseded_by__isnull=True,
            not_after__lte=now + timedelta(days=threshold),
            not_after__gt=now + timedelta(days=lower),
        )
        staff: dict[int, set[int]] = {}
        for agency_id, user_id in Membership.objects.filter(
            organization_id__in=on_rung.values("agency_id"),
            role__in=[Role.AGENCY_CLERK, Role.AGENCY_HEAD],
            user__is_active=True,
        ).values_list("organization_id", "user_id"):
            staff.setdefault(agency_id, set()).add(user_id)
        for pk, name, serial, not_after, agency_id, subscriber, active in on_rung.values_list(
            "pk", "common_name", "serial", "not_after", "agency_id", "person__user_id",
            "person__user__is_active",
        ):  # fmt: skip
            message = text(
                code,
                name=name,
                serial=serial,
                date=not_after.astimezone(zone).strftime("%d/%m/%Y"),
                days=threshold,
                min=settings.PORTAL_RENEW_MIN_DAYS_LEFT,
            )
            users = staff.get(agency_id, set()) | ({subscriber} if active else set())
            for user_id in users:
                yield (
                    user_id,
                    message,
                    url.replace(_SERIAL, serial),
                    f"certificate:{pk}",
                    "renewal",
                    f"certificate:{pk}:renewal:{threshold}",
                )


def _expiring_data(pk, serial, agency_id, subject_kind, not_after, threshold) -> dict:
    return {
        "certificate_id": pk,
        "serial": serial,
        "status": CertStatus.VALID.value,
        "subject_kind": subject_kind,
        "agency_id": agency_id,
        "not_after": iso_utc(not_after),
        "days_left_at_most": threshold,
        "renewable": threshold > settings.PORTAL_RENEW_MIN_DAYS_LEFT,
    }


def _expiring_events_on_postgresql(now: datetime) -> int:
    """The `certificate.expiring` events of every rung in one INSERT … SELECT."""
    bands = [(threshold, lower) for threshold, lower, _message in ladder_bands()]
    values = ", ".join("(%s, %s)" for _band in bands)
    select = (
        "SELECT %s AS type,"  # noqa: S608 - only "%s" slots are formatted in
        " 'certificate:' || c.id || ':expiring:' || b.threshold AS key,"
        " c.agency_id AS organization_id,"
        " jsonb_build_object('certificate_id', c.id, 'serial', c.serial, 'status', c.status,"
        "   'subject_kind', c.subject_kind, 'agency_id', c.agency_id,"
        "   'not_after', to_char(c.not_after AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
        "   'days_left_at_most', b.threshold, 'renewable', b.threshold > %s) AS data"
        f" FROM (VALUES {values}) AS b(threshold, lower_days)"
        " JOIN certificates_certificate c"
        "   ON c.not_after <= %s + b.threshold * interval '1 day'"
        "  AND c.not_after > %s + b.lower_days * interval '1 day'"
        " WHERE c.status = %s AND c.superseded_by_id IS NULL"
    )
    params = [
        EventType.CERTIFICATE_EXPIRING.value,
        settings.PORTAL_RENEW_MIN_DAYS_LEFT,
        *(p for band in bands for p in band),
        now,
        now,
        CertStatus.VALID,
    ]
    return webhook_events_record_select(select=select, params=params)


def _expiring_events(now: datetime):
    """The same events through the ORM: SQLite's variant."""
    for threshold, lower, _message in ladder_bands():
        on_rung = Certificate.objects.filter(
            status=CertStatus.VALID,
            superseded_by__isnull=True,
            not_after__lte=now + timedelta(days=threshold),
            not_after__gt=now + timedelta(days=lower),
        )
        for pk, serial, agency_id, subject_kind, not_after in on_rung.values_list(
            "pk", "serial", "agency_id", "subject_kind", "not_after"
        ):
            yield NewEvent(
                type=EventType.CERTIFICATE_EXPIRING,
                key=f"certificate:{pk}:expiring:{threshold}",
                organization_id=agency_id,
                data=_expiring_data(pk, serial, agency_id, subject_kind, not_after, threshold),
            )
