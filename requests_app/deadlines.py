"""The deadline sweep of letters (docs/processing.md §4.9), set-based, a few statements each:

- a letter waiting at the Sở KH&CN or the CA has a deadline row (its `due_on`, set in working
  days when received and again when forwarded); it is closed once the letter moves on;
- "Văn bản chờ ký" notifications close by themselves once the letter left `awaiting_head`;
- a renewal still pending when its certificate falls under PORTAL_RENEW_MIN_DAYS_LEFT is told
  to the agency once: file a new issue instead (docs/domain.md §5.9);
- then devices' return deadlines are synced and every deadline escalated (agencies).

The INSERT … SELECT statements are PostgreSQL's, as tuned at scale; on SQLite (`make run`) the
same rows are built in Python from ORM reads. The UPDATEs that close are one statement on both
databases (`portal.lib.dialect`) (docs/processing.md §4.9).
"""

from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from agencies.choices import Role
from agencies.deadlines import deadlines_escalate
from agencies.models import Membership
from devices.deadlines import return_deadlines_sync
from portal.lib.dialect import now_param, subject_id
from portal.models import Deadline
from portal.notifications import notifications_close_where, notify_rows, notify_select
from portal.texts import text
from portal.workdays import working_days_between
from requests_app.choices import FormKind, Outcome, Status
from requests_app.models import CertRequest, RequestRow

_PK = "987654321"
# A letter whose processing failed still waits on its processor (the retry button).
WAITING = (
    Status.PROVINCE_REVIEW,
    Status.FORWARDED,
    Status.IN_PROCESS,
    Status.PROCESSING_FAILED,
)
# The placeholders of WAITING in the SQL below (its length is the tuple's).
_WAITING_IN = ", ".join(["%s"] * len(WAITING))
LETTER_KINDS = (Deadline.Kind.PROVINCE_REVIEW, Deadline.Kind.CA_PROCESSING, Deadline.Kind.RECOVERY)


def _slots(template: str, *names: str) -> str:
    """A gettext message with %(name)s placeholders → PostgreSQL format() slots, in order."""
    text = template.replace("%", "%%")
    for i, name in enumerate(names, start=1):
        text = text.replace(f"%%({name})s", f"%{i}$s")
    return text


def _letter_label() -> str:
    return _("Văn bản số %(number)s của %(agency)s")


def letter_deadlines_sync() -> dict[str, int]:
    """Open the deadline of each waiting letter, close those of letters that moved on."""
    url = reverse("requests_app:detail", args=[int(_PK)])
    if connection.vendor == "postgresql":
        opened = _letters_open_on_postgresql(url)
    else:  # pragma: no mutate block (SQLite: testing.md §3)
        opened = _letters_open_elsewhere(url)
    with connection.cursor() as cursor:
        # Closed: the letter left the waiting statuses, or waits under another due date or
        # at another step (forwarded to the CA with the same due date as the province had).
        cursor.execute(
            "UPDATE portal_deadline AS dl SET state = %s, closed_at = %s"  # noqa: S608 - dialect
            " WHERE dl.kind IN (%s, %s, %s) AND dl.closed_at IS NULL AND NOT EXISTS ("
            "   SELECT 1 FROM requests_app_certrequest r"
            f"   WHERE r.id = {subject_id('dl.subject')}"
            f"   AND r.status IN ({_WAITING_IN}) AND r.due_on = dl.due_on"
            "   AND dl.kind = CASE WHEN r.form = %s THEN %s"
            "     WHEN r.status = %s OR r.forwarded_at IS NULL THEN %s ELSE %s END)",
            [
                Deadline.State.MET,
                now_param(),
                *LETTER_KINDS,
                *WAITING,
                FormKind.RECOVER_DEVICE,
                Deadline.Kind.RECOVERY,
                Status.PROVINCE_REVIEW,
                Deadline.Kind.PROVINCE_REVIEW,
                Deadline.Kind.CA_PROCESSING,
            ],
        )
        closed = cursor.rowcount
    return {"opened": opened, "closed": closed}


def _letters_open_on_postgresql(url: str) -> int:
    label = _slots(_letter_label(), "number", "agency")
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO portal_deadline (kind, subject, label, url, due_on, state, actor,"  # noqa: S608 - placeholders only
            " agency_id, level, opened_at)"
            " SELECT CASE WHEN r.form = %s THEN %s"
            "   WHEN r.status = %s OR r.forwarded_at IS NULL THEN %s ELSE %s END,"
            " 'letter:' || r.id, format(%s, r.number, a.name),"
            " replace(%s, %s, r.id::text), r.due_on, %s,"
            " CASE WHEN r.status = %s OR r.forwarded_at IS NULL THEN %s ELSE %s END,"
            " r.agency_id, 0, now()"
            " FROM requests_app_certrequest r JOIN agencies_organization a ON a.id = r.agency_id"
            f" WHERE r.status IN ({_WAITING_IN}) AND r.due_on IS NOT NULL"
            " ON CONFLICT (kind, subject, due_on) DO NOTHING",
            [
                FormKind.RECOVER_DEVICE,
                Deadline.Kind.RECOVERY,
                Status.PROVINCE_REVIEW,
                Deadline.Kind.PROVINCE_REVIEW,
                Deadline.Kind.CA_PROCESSING,
                label,
                url,
                _PK,
                Deadline.State.OPEN,
                Status.PROVINCE_REVIEW,
                Role.PROVINCIAL_OFFICER,
                Role.CA_OPERATOR,
                *WAITING,
            ],
        )
        return cursor.rowcount


def _letters_open_elsewhere(url: str) -> int:  # pragma: no mutate block (SQLite: testing.md §3)
    """The same rows through the ORM (SQLite), each letter's kind and actor by `letter_step`;
    counted by the rows of those kinds it added."""
    now = timezone.now()
    label = _letter_label()
    rows = []
    waiting = (
        CertRequest.objects.filter(status__in=WAITING, due_on__isnull=False)
        .select_related("agency")
        .only("form", "status", "forwarded_at", "number", "due_on", "agency_id", "agency__name")
    )
    for cert_request in waiting:
        kind, actor = letter_step(cert_request)
        rows.append(
            Deadline(
                kind=kind,
                subject=f"letter:{cert_request.pk}",
                label=label % {"number": cert_request.number, "agency": cert_request.agency.name},
                url=url.replace(_PK, str(cert_request.pk)),
                due_on=cert_request.due_on,
                state=Deadline.State.OPEN,
                actor=actor,
                agency_id=cert_request.agency_id,
                level=0,
                opened_at=now,
            )
        )
    of_letters = Deadline.objects.filter(kind__in=LETTER_KINDS)
    before = of_letters.count()
    Deadline.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    return of_letters.count() - before


def letter_step(cert_request) -> tuple[str, str] | None:
    """The deadline a waiting letter runs against and who must act, or None: the same
    choice as the CASE of `letter_deadlines_sync`'s INSERT, for one letter in Python."""
    if cert_request.status not in WAITING or cert_request.due_on is None:
        return None
    at_province = cert_request.status == Status.PROVINCE_REVIEW or not cert_request.forwarded_at
    if cert_request.form == FormKind.RECOVER_DEVICE:
        kind = Deadline.Kind.RECOVERY
    else:
        kind = Deadline.Kind.PROVINCE_REVIEW if at_province else Deadline.Kind.CA_PROCESSING
    return kind, Deadline.Actor.PROVINCE if at_province else Deadline.Actor.CA


def letter_clock(cert_request, *, today: date) -> dict:
    """The clock on a letter's page (docs/processing.md §4.9): the step it waits on, who
    must act, the due date and the working days left (negative: overdue), how far it was
    escalated; and the deadlines it met before. One query."""
    deadlines = list(Deadline.objects.of_subject(f"letter:{cert_request.pk}", LETTER_KINDS))
    step = letter_step(cert_request)
    current = None
    if step is not None:
        kind, actor = step
        running = next(
            (d for d in deadlines if d.closed_at is None and d.due_on == cert_request.due_on),
            None,
        )
        left = working_days_between(today, cert_request.due_on)
        current = {
            "kind": Deadline.Kind(kind).label,
            "actor": Deadline.Actor(actor).label,
            "due_on": cert_request.due_on,
            "left": left,
            "overdue": max(-left, 0),
            "level": running.level if running else 0,
        }
    return {"current": current, "past": [d for d in deadlines if d.closed_at is not None]}


def letter_notifications_close() -> int:
    """Close what no longer needs anyone: "Văn bản chờ ký" once the letter left
    `awaiting_head`, deadline messages once the deadline closed, renewal rungs once the
    certificate was renewed, revoked or expired."""
    closed = notifications_close_where(
        "awaiting_head",
        "SELECT 1 FROM requests_app_certrequest r"  # noqa: S608 - the dialect's fragment
        f" WHERE r.id = {subject_id('n.subject')} AND r.status = %s",
        [Status.AWAITING_HEAD],
    )
    closed += notifications_close_where(
        "deadline",
        "SELECT 1 FROM portal_deadline d"  # noqa: S608 - the dialect's fragment
        f" WHERE d.id = {subject_id('n.subject')} AND d.closed_at IS NULL",
    )
    closed += notifications_close_where(
        "renewal",
        "SELECT 1 FROM certificates_certificate c"  # noqa: S608 - the dialect's fragment
        f" WHERE c.id = {subject_id('n.subject')} AND c.status = 'valid'"
        " AND c.superseded_by_id IS NULL AND c.not_after > %s",
        [now_param()],
    )
    return closed


# Stored as data (portal/texts.py), shown in the reader's language.
OVERTAKEN = gettext_noop(
    "Yêu cầu gia hạn chứng thư số %(serial)s trong văn bản số %(number)s không thể "
    "thực hiện vì chứng thư còn dưới %(min)s ngày: đề nghị lập văn bản đề nghị cấp mới."
)


def _overtaken_message() -> str:
    """OVERTAKEN in the default language, its floor filled in."""
    with translation.override(settings.LANGUAGE_CODE):
        return _(OVERTAKEN).replace("%(min)s", str(settings.PORTAL_RENEW_MIN_DAYS_LEFT))


# The letters whose pending renewals are told once overtaken.
_OVERTAKEN_STATUSES = (Status.AWAITING_HEAD, Status.ISSUED, *WAITING)


def renewals_overtaken_notify(*, now: datetime | None = None) -> int:
    """Tell the agency, once per row, that a pending renewal can no longer be done."""
    now = now or timezone.now()
    limit = now + timedelta(days=settings.PORTAL_RENEW_MIN_DAYS_LEFT)
    url = reverse("requests_app:detail", args=[int(_PK)])
    if connection.vendor != "postgresql":
        # pragma: no mutate block (SQLite: testing.md §3)
        return notify_rows(_overtaken_rows(limit, url))
    message = _slots(_overtaken_message(), "serial", "number")
    select = (
        "SELECT m.user_id, format(%s, c.serial, r.number) AS message,"  # noqa: S608 - placeholders only
        " jsonb_build_object('code', %s::text, 'params', jsonb_build_object("
        "   'serial', c.serial, 'number', r.number, 'min', %s::int)) AS message_data,"
        " replace(%s, %s, r.id::text) AS url, 'letter:' || r.id AS subject,"
        " 'renewal_overtaken' AS kind, 'row:' || w.id || ':renewal_overtaken' AS key"
        " FROM requests_app_requestrow w"
        " JOIN requests_app_certrequest r ON r.id = w.cert_request_id"
        " JOIN certificates_certificate c ON c.id = w.certificate_id"
        " JOIN agencies_membership m ON m.organization_id = r.agency_id AND m.role IN (%s, %s)"
        " JOIN auth_user u ON u.id = m.user_id AND u.is_active"
        " WHERE w.renew AND w.outcome IN (%s, %s) AND c.not_after < %s"
        f" AND r.status IN (%s, %s, {_WAITING_IN})"
    )
    params = [
        message,
        OVERTAKEN,
        settings.PORTAL_RENEW_MIN_DAYS_LEFT,
        url,
        _PK,
        Role.AGENCY_CLERK,
        Role.AGENCY_HEAD,
        Outcome.PENDING,
        Outcome.ACCEPTED,
        limit,
        *_OVERTAKEN_STATUSES,
    ]
    return notify_select(select, params)


def _overtaken_rows(limit: datetime, url: str):  # pragma: no mutate block (SQLite: testing.md §3)
    """The rows of `renewals_overtaken_notify`'s SELECT through the ORM (two queries): SQLite's
    variant."""
    overtaken = RequestRow.objects.filter(
        renew=True,
        outcome__in=[Outcome.PENDING, Outcome.ACCEPTED],
        certificate__not_after__lt=limit,
        cert_request__status__in=_OVERTAKEN_STATUSES,
    )
    staff: dict[int, set[int]] = {}
    for agency_id, user_id in Membership.objects.filter(
        organization_id__in=overtaken.values("cert_request__agency_id"),
        role__in=[Role.AGENCY_CLERK, Role.AGENCY_HEAD],
        user__is_active=True,
    ).values_list("organization_id", "user_id"):
        staff.setdefault(agency_id, set()).add(user_id)
    for pk, serial, letter_id, number, agency_id in overtaken.values_list(
        "pk", "certificate__serial", "cert_request_id", "cert_request__number",
        "cert_request__agency_id",
    ):  # fmt: skip
        message = text(
            OVERTAKEN, serial=serial, number=number, min=settings.PORTAL_RENEW_MIN_DAYS_LEFT
        )
        for user_id in staff.get(agency_id, ()):
            yield (
                user_id,
                message,
                url.replace(_PK, str(letter_id)),
                f"letter:{letter_id}",
                "renewal_overtaken",
                f"row:{pk}:renewal_overtaken",
            )


def deadlines_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """The whole SLA watch, each step its own transaction (a crash keeps what is done; the
    next run redoes the rest, inserting nothing twice)."""
    now = now or timezone.now()
    result: dict[str, int] = {}
    with transaction.atomic():
        for name, count in letter_deadlines_sync().items():
            result[f"letters_{name}"] = count
    with transaction.atomic():
        for name, count in return_deadlines_sync().items():
            result[f"devices_{name}"] = count
    with transaction.atomic():
        result.update(deadlines_escalate(today=timezone.localdate(now)))
    with transaction.atomic():
        result["overtaken"] = renewals_overtaken_notify(now=now)
    with transaction.atomic():
        result["closed"] = letter_notifications_close()
    return result
