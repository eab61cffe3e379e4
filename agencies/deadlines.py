"""SLA watch and escalation over the deadline rows (docs/processing.md §4.9).

Every app opens and closes the deadlines of its own subjects (requests_app: letters; devices:
return obligations); this sweep, on the floor that knows roles and memberships, marks them
overdue and climbs the ladder clerk → agency head → provincial officer → CA, one working day
per step, one message per level (key "deadline:<id>:level:<n>"). Two SQL statements whatever
the number of rows: an UPDATE of the levels, an INSERT … SELECT of the messages. The UPDATE is
portable SQL; the INSERT … SELECT is PostgreSQL's, and SQLite (`make run`) builds the same rows
in Python from three reads (`_level_rows`) for `notify_rows` (docs/processing.md §4.9).
"""

from datetime import date

from django.conf import settings
from django.db import connection
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from agencies.access import scope_for
from agencies.choices import Role
from agencies.models import Membership, Organization
from portal.models import Deadline
from portal.notifications import notify_rows, notify_select
from portal.texts import text
from portal.workdays import working_days_back

# The ladder, lowest first; a deadline starts at the rung of whoever must act.
LADDER = (Role.AGENCY_CLERK, Role.AGENCY_HEAD, Role.PROVINCIAL_OFFICER, Role.CA_OPERATOR)
TOP = len(LADDER)

# A device's first overdue day is told by devices' own notice (return_obligation_notify_overdue):
# its escalation messages start at level 2.
FIRST_LEVEL = {Deadline.Kind.DEVICE_RETURN: 2}


def deadlines_escalate(*, today: date | None = None) -> dict[str, int]:
    """Raise each open deadline to its overdue level and tell each level once."""
    today = today or timezone.localdate()
    cutoffs = [working_days_back(today, k) for k in range(1, TOP + 1)]
    level = " ".join(f"WHEN due_on < %s THEN {k}" for k in range(TOP, 0, -1))
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE portal_deadline SET"  # noqa: S608 - only the CASE slots are formatted
            f" level = CASE {level} ELSE 0 END,"
            f" state = CASE WHEN due_on < %s THEN 'escalated' ELSE 'overdue' END"
            " WHERE closed_at IS NULL AND due_on < %s"
            f" AND level < CASE {level} ELSE 0 END",
            [*reversed(cutoffs), cutoffs[1], cutoffs[0], *reversed(cutoffs)],
        )
        raised = cursor.rowcount
    return {"raised": raised, "notified": _notify_levels()}


# The levels' messages, stored as data (portal/texts.py) and shown in the reader's language;
# the deadline's label is the deadline's own stored text.
OVERDUE = gettext_noop("Đã quá hạn: %(label)s (hạn %(date)s). Đề nghị xử lý ngay.")  # level 1
ESCALATED = gettext_noop(
    "Quá hạn %(level)s ngày làm việc, báo cấp trên: %(label)s (hạn %(date)s). "
    "Đề nghị đôn đốc xử lý ngay."
)


def _in_default_language(code: str) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return _(code)


def _notify_levels() -> int:
    """One message per deadline and level reached, to the rung that level names."""
    if connection.vendor != "postgresql":
        return notify_rows(_level_rows())
    first_actor = " ".join(f"WHEN '{role}' THEN {i}" for i, role in enumerate(LADDER))
    first_level = " ".join(f"WHEN '{kind}' THEN {n}" for kind, n in FIRST_LEVEL.items())
    overdue = _format(_in_default_language(OVERDUE))
    escalated = _format(_in_default_language(ESCALATED))
    select = (
        "SELECT m.user_id,"  # noqa: S608 - only constants of this module are formatted in
        " format(CASE WHEN l.n = 1 THEN %s ELSE %s END, d.label,"
        "   to_char(d.due_on, 'DD/MM/YYYY'), l.n) AS message,"
        " jsonb_build_object('code', CASE WHEN l.n = 1 THEN %s ELSE %s END,"
        "   'params', jsonb_build_object('label', d.label,"
        "   'date', to_char(d.due_on, 'DD/MM/YYYY'), 'level', l.n)) AS message_data,"
        " d.url, 'deadline:' || d.id AS subject, 'deadline' AS kind,"
        " 'deadline:' || d.id || ':level:' || l.n AS key"
        " FROM portal_deadline d"
        f" CROSS JOIN LATERAL (SELECT CASE d.actor {first_actor} END AS start) AS s"
        " CROSS JOIN LATERAL generate_series("
        f"   CASE d.kind {first_level or 'WHEN NULL THEN 1'} ELSE 1 END,"
        f"   LEAST(d.level, {TOP} - s.start)) AS l(n)"
        " CROSS JOIN LATERAL (SELECT (ARRAY[%s, %s, %s, %s])[s.start + l.n] AS role) AS rung"
        " JOIN agencies_organization a ON a.id = d.agency_id"
        " JOIN agencies_membership m ON m.role = rung.role AND ("
        "   (rung.role IN (%s, %s) AND m.organization_id = d.agency_id)"
        "   OR (rung.role = %s AND m.organization_id IN ("
        "     SELECT o.id FROM agencies_organization o WHERE o.province_id = a.province_id))"
        "   OR rung.role = %s)"
        " JOIN auth_user u ON u.id = m.user_id AND u.is_active"
        " WHERE d.closed_at IS NULL AND d.level > 0"
    )
    params = [
        overdue,
        escalated,
        OVERDUE,
        ESCALATED,
        *LADDER,
        Role.AGENCY_CLERK,
        Role.AGENCY_HEAD,
        Role.PROVINCIAL_OFFICER,
        Role.CA_OPERATOR,
    ]
    return notify_select(select, params)


def _level_rows():
    """The rows of `_notify_levels`'s SELECT, read through the ORM: SQLite's variant. Level n
    of a deadline whose actor stands at rung `start` of the ladder goes to rung start + n - 1,
    up to the CA; a deadline of an agency that no longer exists tells nobody."""
    deadlines = list(
        Deadline.objects.filter(closed_at__isnull=True, level__gt=0).values_list(
            "pk", "kind", "actor", "agency_id", "level", "label", "url", "due_on"
        )
    )
    if not deadlines:
        return
    agency_ids = {row[3] for row in deadlines}
    province_of = dict(
        Organization.objects.filter(pk__in=agency_ids).values_list("pk", "province_id")
    )
    at_agency: dict[tuple[str, int], set[int]] = {}
    in_province: dict[int, set[int]] = {}
    at_ca: set[int] = set()
    for role, organization_id, province_id, user_id in Membership.objects.filter(
        role__in=LADDER, user__is_active=True
    ).values_list("role", "organization_id", "organization__province_id", "user_id"):
        if role == Role.CA_OPERATOR:
            at_ca.add(user_id)
        elif role == Role.PROVINCIAL_OFFICER:
            if province_id is not None:
                in_province.setdefault(province_id, set()).add(user_id)
        elif organization_id in agency_ids:
            at_agency.setdefault((role, organization_id), set()).add(user_id)
    for pk, kind, actor, agency_id, level, label, url, due_on in deadlines:
        if agency_id not in province_of or actor not in LADDER:
            continue
        start = LADDER.index(actor)
        for n in range(FIRST_LEVEL.get(kind, 1), min(level, TOP - start) + 1):
            role = LADDER[start + n - 1]
            if role == Role.CA_OPERATOR:
                users = at_ca
            elif role == Role.PROVINCIAL_OFFICER:
                users = in_province.get(province_of[agency_id], set())
            else:
                users = at_agency.get((role, agency_id), set())
            message = text(
                OVERDUE if n == 1 else ESCALATED,
                label=label,
                date=due_on.strftime("%d/%m/%Y"),
                level=n,
            )
            for user_id in users:
                yield (
                    user_id,
                    message,
                    url,
                    f"deadline:{pk}",
                    "deadline",
                    f"deadline:{pk}:level:{n}",
                )


def _format(template: str) -> str:
    return (
        template.replace("%", "%%")
        .replace("%%(label)s", "%1$s")
        .replace("%%(date)s", "%2$s")
        .replace("%%(level)s", "%3$s")
    )


def deadlines_visible_to(user):
    """The open deadlines `user` may follow: those of the agencies in their scope (a clerk's
    or head's agency and its units, an officer's province), every one for the CA and the
    administrators, none for a subscriber. A deadline names its agency as plain data
    (`agency_id`), so the scope is the organisations' own (docs/processing.md §4.9, §5)."""
    scope = scope_for(user)
    open_ = Deadline.objects.filter(closed_at__isnull=True)
    if scope.sees_everything:
        return open_
    if not scope.org_paths:
        return open_.none()
    return open_.filter(agency_id__in=Organization.objects.within(*scope.org_paths).values("pk"))
