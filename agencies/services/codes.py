"""Writes of the official electronic identifiers (mã định danh, Quyết định 20/2020/QĐ-TTg;
docs/exchange.md, "Agency codes"): one organisation's code set or changed, and the official
list imported, every row checked before anything is written.

Rules every write keeps: the structure of the decision (`validate_agency_code`); one
organisation per code (the `org_code_unique` constraint); a code that an organisation held
before is never given to another (FormerCode), so an old code always leads to one
organisation and, through `superseded_by`, to its successor; a child's code lies under the
code of its nearest ancestor that has one (`check_code_under_parent`), and a parent's code
does not change away from its coded units' (`_stranded`). Changing a code keeps the old one
in FormerCode. A writer that loses a race for a code to another (both passed the check) is
refused with the constraint's message (a DomainError), inside a savepoint.
"""

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.choices import OrgKind
from agencies.codes import normalize_code, parse_code
from agencies.models import FormerCode, Organization
from agencies.validators import check_code_under_parent, nfc, validate_agency_code
from portal.audit import audit_record
from portal.audit_batch import AuditEntry, audit_record_many
from portal.errors import DomainError
from portal.imports import ImportResultChanged
from portal.lib.bulk import update_rows

# The official list of a whole country fits; a larger file is refused by the reader.
MAX_CODE_ROWS = 25_000


def _messages(exc: ValidationError) -> list[str]:
    return [str(m) for m in exc.messages]


def _taken(codes: Sequence[str], exclude: Sequence[int]) -> DomainError:
    """The refusal of a write that another one beat to a code (the `org_code_unique` or
    `former_code_unique` constraint): the check passed, but a concurrent writer committed the
    same code first. The constraint's message, naming the code(s) now held by another."""
    held = sorted(
        Organization.objects.filter(code__in=codes)
        .exclude(pk__in=exclude)
        .values_list("code", flat=True)
    ) or sorted(
        FormerCode.objects.filter(code__in=codes)
        .exclude(organization_id__in=exclude)
        .values_list("code", flat=True)
    )
    return DomainError(
        _("Mã định danh %(code)s: mã định danh điện tử này đã là mã của cơ quan khác.")
        % {"code": ", ".join(held or [code for code in codes if code])},
        code="agency_code_taken",
    )


def _ids(path: str) -> list[int]:
    return [int(pk) for pk in (path or "").strip("/").split("/") if pk]


def _ancestor_codes(org: Organization, parent: Organization | None) -> list[tuple[int, str, str]]:
    """(pk, code, name) of the ancestors that have a code, nearest first: of `org` when it is
    in the tree, else of the organisation about to be created under `parent`."""
    if org.pk is not None and org.path:
        ids = _ids(org.path)[:-1]
    else:
        ids = _ids(parent.path) if parent is not None else []
    rows = Organization.objects.filter(pk__in=ids, code__isnull=False).values_list(
        "pk", "code", "name"
    )
    order = {pk: index for index, pk in enumerate(reversed(ids))}
    return sorted(rows, key=lambda row: order[row[0]])


def organization_code_problems(
    *, organization: Organization, code: str, parent: Organization | None = None
) -> list[str]:
    """Why `organization` (or a new one under `parent`) cannot take `code` (normalised), in
    Vietnamese; [] when it can. Reads only; `organization_code_set` decides again under the
    row lock."""
    if not code:
        return []
    try:
        validate_agency_code(code)
    except ValidationError as exc:
        return _messages(exc)
    problems = []
    holder = Organization.objects.filter(code=code).exclude(pk=organization.pk).first()
    if holder is not None:
        problems.append(
            _("Mã định danh %(code)s đang là mã của %(org)s.") % {"code": code, "org": holder}
        )
    former = (
        FormerCode.objects.filter(code=code)
        .exclude(organization_id=organization.pk)
        .select_related("organization")
        .first()
    )
    if former is not None:
        problems.append(
            _("Mã định danh %(code)s là mã cũ của %(org)s: mã đã dùng không cấp cho cơ quan khác.")
            % {"code": code, "org": former.organization}
        )
    above = _ancestor_codes(organization, parent)
    if above:
        _pk, parent_code, parent_name = above[0]
        try:
            check_code_under_parent(code, parent_code, parent_name)
        except ValidationError as exc:
            problems.extend(_messages(exc))
    if organization.pk is not None and organization.path:
        problems.extend(_stranded_units(organization, code))
    return problems


STRANDED_SHOWN = 3


def _stranded(units: list[tuple[str, str]], old: str, new: str) -> list[tuple[str, str]]:
    """The (name, code) of `units` whose code lies under `old` (or any, without one) but
    would not lie under `new`."""
    was, now = parse_code(old) if old else None, parse_code(new)
    found = []
    for name, code in units:
        parsed = parse_code(code)
        if parsed is None or now is None:
            continue
        if (was is None or parsed.is_below(was)) and not parsed.is_below(now):
            found.append((name, code))
    return found


def _stranded_message(org, new: str, stranded: list[tuple[str, str]]) -> str:
    shown = ", ".join(f"{name} ({code})" for name, code in stranded[:STRANDED_SHOWN])
    more = len(stranded) - STRANDED_SHOWN
    if more > 0:
        shown += _(" và %(n)d đơn vị khác") % {"n": more}
    return _(
        "Không đổi được mã của %(org)s thành %(code)s: mã của các đơn vị trực thuộc sẽ không "
        "còn nằm dưới mã mới: %(units)s. Hãy đổi mã các đơn vị đó trước (hoặc nhập danh sách "
        "chính thức có cả mã mới của chúng)."
    ) % {"org": org, "code": new, "units": shown}


def _stranded_units(organization: Organization, code: str) -> list[str]:
    """A parent's code cannot change so that its coded units (active, in its subtree) no
    longer lie under it: the problem naming a few of them, or []."""
    old = (
        Organization.objects.filter(pk=organization.pk).values_list("code", flat=True).first() or ""
    )
    units = list(
        Organization.objects.active()
        .with_code()
        .filter(path__startswith=organization.path)
        .exclude(pk=organization.pk)
        .order_by("path")
        .values_list("name", "code")
    )
    stranded = _stranded(units, old, code)
    return [_stranded_message(organization, code, stranded)] if stranded else []


def _retire(organization: Organization, old: str, new: str, by, now) -> None:
    """Keep `old` as a former code of `organization`; a code coming back is current again."""
    FormerCode.objects.filter(organization=organization, code=new).delete()
    FormerCode.objects.update_or_create(
        code=old,
        defaults={
            "organization": organization,
            "replaced_by": new,
            "retired_at": now,
            "retired_by": by if getattr(by, "pk", None) else None,
        },
    )


def organization_code_set(*, organization: Organization, code: str, by) -> Organization:
    """Give `organization` its official code, or change or clear it (blank), audited. The old
    code is kept in FormerCode. DomainError (code "agency_code") with the reasons when the
    code cannot be given; the same code again changes nothing."""
    code = normalize_code(code)
    with transaction.atomic():
        locked = Organization.objects.select_for_update().get(pk=organization.pk)
        old = locked.code or ""
        if old == code:
            organization.code = locked.code
            return organization
        problems = organization_code_problems(organization=locked, code=code)
        if problems:
            raise DomainError(" ".join(problems), code="agency_code")
        try:
            with transaction.atomic():  # a savepoint: a lost race leaves the caller's work
                if old:
                    _retire(locked, old, code, by, timezone.now())
                else:
                    FormerCode.objects.filter(organization=locked, code=code).delete()
                locked.code = code or None
                locked.save(update_fields=["code"])
        except IntegrityError:
            raise _taken([code, old], [locked.pk]) from None
        audit_record(
            actor=by,
            action="organization.code_set",
            obj=locked,
            before={"code": old},
            after={"code": code},
        )
    organization.code = locked.code
    return organization


# --- the official list --------------------------------------------------------------------
@dataclass
class CodeRow:
    """One line of the official list as read: its Excel line, the code, the name and the
    parent's code when the file gives it (else derived from the code)."""

    line: int
    code: str
    name: str
    parent_code: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class CodePlan:
    """One organisation whose code the import gives or changes."""

    line: int
    organization_id: int
    old: str
    new: str


@dataclass
class CodesCheck:
    """What the import would do: the plans (codes given or changed), the lines already
    right, the lines whose organisation is not in the portal (skipped, not an error: the
    official list names every agency of the country), and the problems by line."""

    plans: list[CodePlan] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    problems: dict[int, list[str]] = field(default_factory=dict)
    matched: dict[int, int] = field(default_factory=dict)  # line → organisation
    # Lines without any higher code (level 1) matched by name among the whole tree's
    # provinces and ministries: shown apart in the preview, to be looked at.
    anywhere: list[int] = field(default_factory=list)

    def refuse(self, line: int, message: str) -> None:
        self.problems.setdefault(line, []).append(message)


TOP_KINDS = (OrgKind.PROVINCE, OrgKind.MINISTRY)


def _name_key(name: str) -> str:
    return " ".join(nfc(name or "").split()).casefold()


def _name_index() -> dict[str, list[Organization]]:
    """Every active organisation by its name (composed, blanks collapsed, case folded): one
    query whatever the number of lines (20,000 agencies at national scale: a few MB), the
    same folding for Vietnamese on PostgreSQL and SQLite."""
    index: dict[str, list[Organization]] = {}
    for org in Organization.objects.active().only("pk", "name", "kind", "path", "code"):
        index.setdefault(_name_key(org.name), []).append(org)
    return index


def _candidates(index, name: str, within: Organization | None, coded: set[int]) -> list:
    """The active organisations a line's name may mean: the units of `within` (the nearest
    organisation holding one of the line's higher codes) that no other coded organisation
    stands between (`coded`: their codes would not lie under the line's parent), or, for a
    line without any higher code (level 1), the provinces and ministries of the whole tree."""
    found = index.get(_name_key(name), [])
    if within is None:
        return [o for o in found if o.kind in TOP_KINDS]
    depth = len(_ids(within.path))
    return [
        o
        for o in found
        if o.pk != within.pk
        and o.path.startswith(within.path)
        and not coded.intersection(_ids(o.path)[depth:-1])
    ]


def _higher_codes(row: "CodeRow", parsed) -> list[str]:
    """The codes above a line's, nearest first: its parent's (the file's, else the code's
    own higher groups), then that one's parent, and so on up to level 1."""
    explicit = parse_code(row.parent_code) if row.parent_code else None
    above = explicit or parsed.parent()
    found = []
    while above is not None:
        found.append(str(above))
        above = above.parent()
    return found


def organization_codes_check(rows: Sequence[CodeRow]) -> CodesCheck:
    """Decide every line of the official list, writing nothing.

    A line whose code an organisation already holds is that organisation (a re-import
    changes nothing). Another line finds its organisation by name, among the units of the
    organisation holding the nearest of its higher codes (its parent's, else the
    grandparent's…, from the database or an earlier line of the file), so that every
    province's "Sở Tài chính" is told apart and a "Văn phòng" of an agency the portal does
    not have is not taken for another one's. A line none of whose higher codes the portal
    has is skipped (its agency is not in the portal); only a level-1 line, with no higher
    code, is looked for across the tree (among provinces and ministries, `anywhere`). A code
    that is malformed,
    twice in the file, formerly another organisation's, not under its parent's code, or a
    name that means several organisations, is a problem of its line."""
    check = CodesCheck()
    seen: dict[str, int] = {}
    valid: list[tuple[CodeRow, object]] = []
    for row in rows:
        code = normalize_code(row.code)
        if not code:
            check.refuse(row.line, _("Thiếu mã định danh."))
            continue
        if not nfc(row.name or ""):
            check.refuse(row.line, _("Thiếu tên cơ quan, tổ chức."))
        try:
            validate_agency_code(code)
        except ValidationError as exc:
            for message in _messages(exc):
                check.refuse(row.line, message)
            continue
        if row.parent_code and parse_code(row.parent_code) is None:
            check.refuse(
                row.line,
                _("Mã cấp trên “%(code)s” không đúng cấu trúc mã định danh.")
                % {"code": row.parent_code},
            )
            continue
        if code in seen:
            check.refuse(
                row.line,
                _("Mã định danh %(code)s đã có ở dòng %(line)d.")
                % {"code": code, "line": seen[code]},
            )
            continue
        seen[code] = row.line
        if row.line not in check.problems:
            valid.append((row, parse_code(code)))
    codes = [str(parsed) for _row, parsed in valid]
    parent_codes = {code for row, parsed in valid for code in _higher_codes(row, parsed)}
    holders = {
        org.code: org
        for org in Organization.objects.filter(code__in=set(codes) | parent_codes).order_by()
    }
    formers = {
        former.code: former
        for former in FormerCode.objects.filter(code__in=codes).select_related("organization")
    }
    by_code: dict[str, Organization] = dict(holders)  # after this file
    given: dict[int, CodePlan] = {}
    line_of: dict[int, int] = {}  # organisation → the line that matched it
    # The names are read only when some line's code has no holder yet (not on a re-import).
    index = _name_index() if any(str(p) not in holders for _r, p in valid) else {}
    coded = {o.pk for orgs in index.values() for o in orgs if o.code}  # grows with the file
    # Parents before their units: a unit's parent may be named by a line of the same file.
    for row, parsed in sorted(valid, key=lambda item: (item[1].level, item[0].line)):
        code = str(parsed)
        org = holders.get(code)
        if org is None:
            higher = _higher_codes(row, parsed)
            # The nearest higher code the portal (or an earlier line) has: the name is
            # looked for among its units only, never across the tree, so that a "Văn phòng"
            # of an agency the portal does not have cannot take another one's code.
            within = next((by_code[c] for c in higher if c in by_code), None)
            if higher and within is None:
                check.skipped.append(row.line)  # no agency above it is in the portal
                continue
            found = _candidates(index, row.name, within, coded)
            if not found:
                check.skipped.append(row.line)
                continue
            if len(found) > 1:
                check.refuse(
                    row.line,
                    _(
                        "Có nhiều cơ quan tên “%(name)s” trong cổng: hãy ghi mã cấp trên "
                        "(hoặc nhập mã của cơ quan cấp trên trước)."
                    )
                    % {"name": row.name},
                )
                continue
            org = found[0]
            former = formers.get(code)
            if former is not None and former.organization_id != org.pk:
                check.refuse(
                    row.line,
                    _(
                        "Mã định danh %(code)s là mã cũ của %(org)s: mã đã dùng không cấp cho "
                        "cơ quan khác."
                    )
                    % {"code": code, "org": former.organization},
                )
                continue
        other = line_of.get(org.pk)
        if other is not None:
            check.refuse(
                row.line,
                _("Dòng %(other)d đã cho %(org)s một mã định danh khác.")
                % {"other": other, "org": org},
            )
            continue
        check.matched[row.line] = org.pk
        line_of[org.pk] = row.line
        if holders.get(code) is None and not _higher_codes(row, parsed):
            check.anywhere.append(row.line)
        by_code[code] = org
        coded.add(org.pk)
        if (org.code or "") == code:
            check.unchanged.append(row.line)
        else:
            given[org.pk] = CodePlan(row.line, org.pk, org.code or "", code)
    _check_under_parents(check, given, by_code)
    check.plans = sorted(given.values(), key=lambda plan: plan.line)
    return check


def _check_under_parents(check: CodesCheck, given: dict[int, CodePlan], by_code) -> None:
    """Each new code lies under the code its nearest coded ancestor has after the import."""
    if not given:
        return
    orgs = Organization.objects.in_bulk(list(given))
    ancestor_ids = {pk for org in orgs.values() for pk in _ids(org.path)[:-1]}
    ancestors = Organization.objects.in_bulk(list(ancestor_ids))
    for pk, plan in given.items():
        for ancestor_id in reversed(_ids(orgs[pk].path)[:-1]):
            ancestor = ancestors.get(ancestor_id)
            if ancestor is None:
                continue
            code = given[ancestor_id].new if ancestor_id in given else (ancestor.code or "")
            if not code:
                continue
            try:
                check_code_under_parent(plan.new, code, ancestor.name)
            except ValidationError as exc:
                for message in _messages(exc):
                    check.refuse(plan.line, message)
            break
    _check_units_below(check, given, orgs)
    for line in check.problems:
        given.pop(check.matched.get(line, 0), None)


def _check_units_below(check: CodesCheck, given: dict[int, CodePlan], orgs) -> None:
    """A changed code keeps the coded units below it (those the import does not give a
    code) under it: one query, for the changed codes only (rare: a new code has none)."""
    changed = [plan for plan in given.values() if plan.old]
    if not changed:
        return
    paths = Q()
    for plan in changed:
        paths |= Q(path__startswith=orgs[plan.organization_id].path)
    units = (
        Organization.objects.active()
        .with_code()
        .filter(paths)
        .exclude(pk__in=list(given))
        .values_list("path", "name", "code")
    )
    by_path = sorted(units)
    for plan in changed:
        path = orgs[plan.organization_id].path
        below = [(name, code) for p, name, code in by_path if p.startswith(path) and p != path]
        stranded = _stranded(below, plan.old, plan.new)
        if stranded:
            check.refuse(
                plan.line, _stranded_message(orgs[plan.organization_id], plan.new, stranded)
            )


def organization_codes_apply(*, rows: Sequence[CodeRow], by) -> CodesCheck:
    """Import the official list: check every line again with the organisations locked, then
    give every code or none (DomainError "agency_codes_refused" when a line has a problem).
    Each change is audited and keeps the old code in FormerCode; a second import of the
    same file finds every code in place and writes nothing."""
    with transaction.atomic():
        check = organization_codes_check(rows)
        ids = sorted(plan.organization_id for plan in check.plans)
        # One lock order for every import: no deadlock between two.
        list(Organization.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
        check = organization_codes_check(rows)  # the locked rows decide
        if check.problems:
            raise DomainError(
                _("Tệp có %(n)d dòng lỗi: sửa tệp rồi tải lên lại, chưa mã định danh nào được ghi.")
                % {"n": len(check.problems)},
                code="agency_codes_refused",
            )
        if not {plan.organization_id for plan in check.plans} <= set(ids):
            # The tree changed between the two checks: a plan names a row never locked.
            raise CodesChanged(
                _(
                    "Từ lúc kiểm tra, cây cơ quan đã thay đổi: xem lại kết quả rồi xác nhận lại; "
                    "chưa mã định danh nào được ghi."
                ),
                result={},
                code="agency_codes_changed",
            )
        try:
            with transaction.atomic():  # a savepoint: a lost race is a message, not a 500
                _write_plans(check, by)
        except IntegrityError:
            raise _taken(
                [plan.new for plan in check.plans], [plan.organization_id for plan in check.plans]
            ) from None
    return check


class CodesChanged(ImportResultChanged):
    """The import's plans changed between the first check and the one under the locks: the
    user sees the new preview and confirms again (`result` is filled by the import job)."""


def _write_plans(check: CodesCheck, by) -> None:
    """Every plan's code written, the old ones kept, audited (the rows locked)."""
    now = timezone.now()
    orgs = Organization.objects.in_bulk([plan.organization_id for plan in check.plans])
    for plan in check.plans:
        if plan.old:
            _retire(orgs[plan.organization_id], plan.old, plan.new, by, now)
    # A code coming back to the organisation that held it (the check refused any other).
    FormerCode.objects.filter(
        code__in=[plan.new for plan in check.plans if not plan.old],
        organization_id__in=[plan.organization_id for plan in check.plans],
    ).delete()
    update_rows(Organization, ["code"], [(plan.organization_id, plan.new) for plan in check.plans])
    audit_record_many(
        actor=by,
        entries=[
            AuditEntry(
                "organization.code_set",
                orgs[plan.organization_id],
                before={"code": plan.old},
                after={"code": plan.new, "import_line": plan.line},
            )
            for plan in check.plans
        ],
    )
