"""In-app notifications plus e-mail through Django's backend, for every step of a workflow.

Four ways in: `notify` for one event and its users, `notify_each` for many messages each to
its own users in one bulk insert, `notify_select` for a sweep that notifies a whole set in one
INSERT … SELECT on PostgreSQL, `notify_rows` for the same sweep's rows built in Python (its
variant on SQLite). `notify`, `notify_select` and `notify_rows` take a `key` (subject, kind,
threshold): the unique constraint (user, key) keeps a repeated or concurrent sweep from telling
anyone twice, and only the rows actually inserted are e-mailed (docs/processing.md §4.9).
`notify_each` has no key: its callers tell once what happens once (a return obligation opened,
marked told).

A message is a `portal.texts.Text` (a code and its parameters, docs/DESIGN.md §2.17): stored
as data (`message_data`), shown in the reader's language; the `message` column holds its text
in the default language, which the e-mail carries. A plain string is stored as it is.
"""

import json
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from psycopg.types.json import Jsonb

from portal.lib.bulk import create_rows
from portal.lib.dialect import now_param
from portal.models import Notification, NotificationPreference
from portal.texts import data_of, default_text

# The partial unique constraint `notification_unique_user_key` as an ON CONFLICT target: the
# condition spelled as the index has it (SQLite matches the text; PostgreSQL proves it).
_ON_KEY = "ON CONFLICT (user_id, key) WHERE NOT (key = '') DO NOTHING"


def _json(data: dict, *, raw: bool = True):
    """`message_data` as a value of a raw statement (`raw`) or a model's attribute: PostgreSQL's
    driver (statements and COPY alike) takes a `Jsonb`, SQLite's statements the text."""
    if connection.vendor == "postgresql":
        return Jsonb(data)
    return json.dumps(data) if raw else data


def notify(
    *, users: Iterable, message: str, url: str = "", subject: str = "", kind: str = "", key=""
) -> int:
    """Tell each user: a Notification row now, an e-mail once the transaction commits.

    With a `key`, a user who already has a notification of that key is skipped. Returns the
    number of users notified. The e-mail is best-effort (the in-app notification is the
    record); a mail server outage never undoes the state change that caused it.
    """
    users = {u.pk: u for u in users if u is not None}
    if not users:
        return 0
    data = data_of(message)
    message = default_text(message)[:500]
    rows = [
        Notification(
            user_id=pk,
            message=message,
            message_data=data,
            url=url,
            subject=subject,
            kind=kind,
            key=key,
        )
        for pk in users
    ]
    if key and connection.vendor != "postgresql":
        # SQLite (`make run`, a developer's tests): the same insert, rows written out.
        inserted = _insert_keyed([(pk, message, url, subject, kind, key, data) for pk in users])
    elif key:
        # ON CONFLICT DO NOTHING RETURNING: the users whose row this call actually inserted.
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO portal_notification"
                " (user_id, message, message_data, url, subject, kind, key, created_at)"
                " SELECT u, %s, %s, %s, %s, %s, %s, now() FROM unnest(%s::bigint[]) AS u"
                " ON CONFLICT (user_id, key) WHERE key <> '' DO NOTHING RETURNING id",
                [message, _json(data), url, subject, kind, key, list(users)],
            )
            inserted = [row[0] for row in cursor.fetchall()]
    else:
        Notification.objects.bulk_create(rows)
        inserted = [row.pk for row in rows]
    _mail_later(inserted)
    return len(inserted)


def notify_each(
    notices: Iterable[tuple[Iterable[int], str]],
    *,
    url: str = "",
    subject: str = "",
    kind: str = "",
) -> int:
    """Many messages at once, each to its own users (ids): the rows one `notify` call per
    message would insert (no key), written in one bulk insert whatever their number, and
    e-mailed after the commit. For sweeps telling thousands of agencies one thing each
    (docs/scale.md §12.4). Returns the number of notifications inserted."""
    now = timezone.now()
    ids = create_rows(
        Notification,
        ["user_id", "message", "message_data", "url", "subject", "kind", "key", "created_at"],
        (
            (
                user_id,
                default_text(message)[:500],
                _json(data_of(message), raw=False),
                url,
                subject,
                kind,
                "",
                now,
            )
            for user_ids, message in notices
            for user_id in dict.fromkeys(user_ids)
        ),
    )
    _mail_later(ids)
    return len(ids)


def notify_select(select_sql: str, params: list | tuple = ()) -> int:
    """Insert the notifications a query selects, set-based; e-mail those actually inserted.
    PostgreSQL's SQL (the sweeps' statements tuned at scale); on SQLite a sweep builds its
    rows in Python and calls `notify_rows`.

    `select_sql` yields the columns (user_id, message, message_data, url, subject, kind,
    key), key not empty, message_data the message as data (jsonb, portal/texts.py). One INSERT … SELECT … ON CONFLICT DO NOTHING, whatever the number of rows: a
    repeated or concurrent sweep inserts nothing it inserted before. Returns the count.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            # The callers' SQL text; every value goes in as a parameter.
            "INSERT INTO portal_notification"  # noqa: S608
            " (user_id, message, message_data, url, subject, kind, key, created_at)"
            " SELECT s.user_id, left(s.message, 500), s.message_data, s.url, s.subject, s.kind,"
            " s.key, now()"
            f" FROM ({select_sql}) AS s"
            " ON CONFLICT (user_id, key) WHERE key <> '' DO NOTHING RETURNING id",
            params,
        )
        inserted = [row[0] for row in cursor.fetchall()]
    _mail_later(inserted)
    return len(inserted)


def notify_rows(rows: Iterable[tuple[int, str, str, str, str, str]]) -> int:
    """`notify_select` for rows built in Python: (user_id, message, url, subject, kind, key),
    key not empty, the message a `Text` or a plain string. The sweeps' variant on SQLite, whose SQL has no `format()`, LATERAL join or
    `generate_series` (docs/processing.md §4.9): the same INSERT … ON CONFLICT DO NOTHING
    RETURNING, with VALUES, a batch at a time. Returns the number inserted, e-mailed as
    `notify_select`'s are."""
    rows = list({(row[0], row[5]): row for row in rows}.values())  # once per user and key
    inserted = _insert_keyed(
        [
            (user_id, default_text(m), url, subject, kind, key, data_of(m))
            for user_id, m, url, subject, kind, key in rows
        ]
    )
    _mail_later(inserted)
    return len(inserted)


def _insert_keyed(rows: list[tuple]) -> list[int]:
    """Insert (user_id, message, url, subject, kind, key, message_data) rows, skipping those
    whose (user, key) exists; the ids of the rows inserted. Portable SQL (PostgreSQL, SQLite
    ≥ 3.35)."""
    inserted: list[int] = []
    created_at = now_param()
    per_batch = 100  # 8 parameters a row, under SQLite's 999
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_batch):
            batch = rows[start : start + per_batch]
            cursor.execute(
                "INSERT INTO portal_notification"  # noqa: S608 - placeholders only
                " (user_id, message, message_data, url, subject, kind, key, created_at) VALUES "
                + ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s)"] * len(batch))
                + f" {_ON_KEY} RETURNING id",
                [
                    value
                    for user_id, message, url, subject, kind, key, data in batch
                    for value in (
                        user_id,
                        message[:500],
                        _json(data),
                        url,
                        subject,
                        kind,
                        key,
                        created_at,
                    )
                ],
            )
            inserted += [row[0] for row in cursor.fetchall()]
    return inserted


def _mail_later(notification_ids: list[int]) -> None:
    """E-mail these notifications once the transaction commits, to users who want e-mail."""
    if not notification_ids:
        return

    rows = (
        Notification.objects.filter(pk__in_array=notification_ids, user__is_active=True)
        .exclude(user__email="")
        .exclude(user__notification_preference__email=False)
        .values_list("message", "url", "user__email")
    )
    mails = [
        (
            _("[Cổng chữ ký số] %(message)s") % {"message": message[:120]},
            f"{message}\n\n{settings.SITE_URL}{url}\n",
            settings.DEFAULT_FROM_EMAIL,
            [email],
        )
        for message, url, email in rows
    ]
    if mails:
        transaction.on_commit(lambda: send_mass_mail(mails, fail_silently=True))


def notifications_close_where(kind: str, still_due_sql: str, params=()) -> int:
    """Set-based close for a sweep: close the open notifications `n` of `kind` for which
    `still_due_sql`, a correlated subquery on `n.subject`, finds no row (written for both
    databases: `portal.lib.dialect`). Returns the count."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE portal_notification AS n SET closed_at = %s"  # noqa: S608
            " WHERE n.kind = %s AND n.closed_at IS NULL AND n.subject <> ''"
            f" AND NOT EXISTS ({still_due_sql})",
            [now_param(), kind, *params],
        )
        return cursor.rowcount


def notification_mark_read(*, user, notification_id: int | None = None) -> int:
    """Mark one of the user's notifications read, or all of them; returns how many changed.

    Reading is the user's own view state, not a change to the record, so it is not audited.
    """
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_id is not None:
        unread = unread.filter(pk=notification_id)
    return unread.update(read_at=timezone.now())


def notification_preference_set(*, user, email: bool, daily_digest: bool):
    """Save the user's own notification choices (their view state: not audited)."""
    preference, _created = NotificationPreference.objects.update_or_create(
        user=user, defaults={"email": email, "daily_digest": daily_digest}
    )
    return preference


def unread_of(user):
    """The user's unread and still open notifications: what the navigation counts next to
    "Thông báo" (`user` may be an `OuterRef`, portal/backends.py)."""
    return Notification.objects.filter(user=user, read_at__isnull=True, closed_at__isnull=True)


def unread_count(user) -> int:
    """How many of `unread_of(user)`, counted now."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return unread_of(user).count()


def daily_digest_send(*, day=None) -> int:
    """One e-mail per user who wants the digest, listing their unread open notifications.

    Idempotent per user and day through DigestSent's constraint: the rows this call inserted
    are the users it mails. Returns the number of digests sent.
    """
    day = day or timezone.localdate()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO portal_digestsent (user_id, day, sent_at)"
            " SELECT p.user_id, %s, %s FROM portal_notificationpreference p"
            " JOIN auth_user u ON u.id = p.user_id"
            " WHERE p.daily_digest AND u.is_active AND u.email <> ''"
            " AND EXISTS (SELECT 1 FROM portal_notification n WHERE n.user_id = p.user_id"
            "   AND n.read_at IS NULL AND n.closed_at IS NULL)"
            " ON CONFLICT (user_id, day) DO NOTHING RETURNING user_id",
            [day, now_param()],
        )
        user_ids = [row[0] for row in cursor.fetchall()]
        if not user_ids:
            return 0
        by_user: dict[int, list] = {}
        emails: dict[int, str] = {}
        for user_id, email, message, url in Notification.objects.filter(
            user_id__in=user_ids, read_at__isnull=True, closed_at__isnull=True
        ).values_list("user_id", "user__email", "message", "url"):
            emails[user_id] = email
            by_user.setdefault(user_id, []).append(f"- {message}\n  {settings.SITE_URL}{url}")
        mails = [
            (
                _("[Cổng chữ ký số] Tổng hợp thông báo ngày %(day)s")
                % {"day": day.strftime("%d/%m/%Y")},
                "\n".join(lines) + "\n",
                settings.DEFAULT_FROM_EMAIL,
                [emails[user_id]],
            )
            for user_id, lines in by_user.items()
        ]
        transaction.on_commit(lambda: send_mass_mail(mails, fail_silently=True))
    return len(mails)
