"""Reads of the organisation tree, and the one scoped queryset base that gives every model of
every app its `visible_to(user)` and `within(path)` (docs/architecture.md §5)."""

from functools import reduce
from operator import or_

from django.apps import apps  # this app's models, looked up: the models module imports this one
from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import BooleanField, Exists, Expression, F, OuterRef, Q, Subquery

from agencies.access import scope_for
from agencies.choices import OrgKind
from agencies.codes import looks_like_code_part, normalize_code
from agencies.validators import nfc
from portal.field_crypto import blind_index

NOTHING = Q(pk__in=[])


class AnyOf(Expression):
    """`column IN (subquery)`, in a form an index on `column` can serve even inside an OR.

    PostgreSQL evaluates an `IN (subquery)` that sits inside an OR row by row, which forces a
    sequential scan; written `column = ANY(ARRAY(subquery))` the subquery runs once and the
    column's index serves the test (a BitmapOr with the other branches). Only for subqueries
    that return few values (the organisations of a scope, a person's organisation).
    """

    conditional = True

    def __init__(self, column: str, subquery):
        super().__init__(output_field=BooleanField())
        self.lookup, self.values = column, subquery
        self.column = F(column)
        # Ordering inside `IN` is wasted work (a model's default ordering would sort it).
        self.subquery = Subquery(subquery if subquery.query.is_sliced else subquery.order_by())

    def get_source_expressions(self):
        return [self.column, self.subquery]

    def set_source_expressions(self, exprs):
        self.column, self.subquery = exprs

    def as_sql(self, compiler, connection, template="%s IN %s"):
        column_sql, column_params = compiler.compile(self.column)
        subquery_sql, subquery_params = compiler.compile(self.subquery)
        return template % (column_sql, subquery_sql), (*column_params, *subquery_params)

    def as_postgresql(self, compiler, connection):
        return self.as_sql(compiler, connection, template="%s = ANY(ARRAY%s)")


def _under(paths) -> Q:
    """Organisations at or below any of `paths`: a materialised-path prefix match, which on
    PostgreSQL the `varchar_pattern_ops` index Django adds beside `path`'s db_index serves."""
    return reduce(or_, (Q(path__startswith=path) for path in paths), NOTHING)


class ScopedQuerySet(models.QuerySet):
    """`visible_to(user)` for every model, from the user's scope (`agencies.access`).

    A clerk or head sees the rows of their agency and its units, a provincial officer those
    of their province, a subscriber the rows about them, the CA operator and administrators
    everything; out of scope is 404. A model's queryset declares only what differs:

    - `scope_path`: the lookup of the organisation path a row is scoped by ("agency__path",
      "organization__path"; "path" for the tree itself; None when rows have no organisation);
    - `scope_people`: the person fields through which a subscriber sees rows about them;
    - `scope_user`: the user field through which a user sees their own rows;
    - `scope_through`: a relation whose `visible_to` decides instead (a letter's rows);
    - `ca_sees()`: what the CA operator sees (None: everything);
    - `province_sees()`: what a provincial officer sees of their province's agencies (None:
      everything; else only these, and the province's path no longer counts).

    Each rule is one condition on the row's own columns (`agency_id = ANY(...)` rather than a
    join), so an index serves every branch of the OR.
    """

    scope_path: str | None = "agency__path"
    scope_people: tuple[str, ...] = ()
    scope_user: str | None = None
    scope_through: str | None = None

    def ca_sees(self) -> Q | None:
        return None

    def province_sees(self) -> Q | None:
        return None

    def within(self, *paths: str):
        """Rows of the organisations at `paths` and all their units ("this agency and
        everything under it"; a province's path: everything in the province)."""
        return self.filter(self._of_organizations(_under(paths)))

    def visible_to(self, user):
        scope = scope_for(user)
        if not scope.is_authenticated:
            return self.none()
        if scope.is_admin:
            return self
        if self.scope_through:
            parent = self.model._meta.get_field(self.scope_through).related_model
            return self.filter(**{f"{self.scope_through}__in": parent.objects.visible_to(user)})
        rules = []
        if scope.is_ca:
            seen_by_ca = self.ca_sees()
            if seen_by_ca is None:
                return self
            rules.append(seen_by_ca)
        province_rule = self.province_sees()
        if self.scope_path:
            paths = scope.org_paths if province_rule is None else scope.agency_paths
            if paths:
                rules.append(self._of_organizations(_under(paths)))
            if province_rule is not None and scope.province_ids:
                in_province = Q(province_id__in=scope.province_ids)
                rules.append(Q(self._of_organizations(in_province)) & province_rule)
        if scope.person_id is not None:
            rules.extend(self._about(name, scope.person_id) for name in self.scope_people)
        if self.scope_user:
            rules.append(Q(**{self.scope_user: user}))
        if not rules:
            return self.none()
        if len(rules) == 1:
            return self._alone(rules[0])
        return self.filter(reduce(or_, (Q(rule) for rule in rules)))

    def _alone(self, rule):
        """A scope of one rule (no OR to serve), its organisations as a plain `IN (subquery)`:
        PostgreSQL plans it as a semi-join and knows how many rows the organisations bring (a
        province: 3 % of the certificates), so a list walks its ordering index and stops at
        the LIMIT; `= ANY(ARRAY(…))` hides that count and made it fetch and sort the whole
        province first — 1.2 s against 30 ms at a million certificates (docs/scale.md §12.2),
        and 26 ms against 2 ms for an officer's page of letters (a province's organisations
        AND the letter issued)."""
        if isinstance(rule, AnyOf):
            return self.filter(**{f"{rule.lookup}__in": rule.values.order_by()})
        if isinstance(rule, Q) and rule.connector == Q.AND and not rule.negated:
            organizations = [child for child in rule.children if isinstance(child, AnyOf)]
            if organizations:
                rest = [child for child in rule.children if not isinstance(child, AnyOf)]
                narrowed = self.filter(*([Q(*rest)] if rest else []))
                for child in organizations:
                    narrowed = narrowed._alone(child)
                return narrowed
        return self.filter(rule)

    def _of_organizations(self, organizations: Q):
        """Rows whose organisation matches `organizations` (a condition on Organization)."""
        relation = self.scope_path.removesuffix("path").removesuffix("__")
        if not relation:
            return organizations
        Organization = apps.get_model("agencies", "Organization")

        return AnyOf(relation, Organization.objects.filter(organizations).values("pk"))

    def _about(self, name: str, person_id: int):
        """Rows whose person field `name` is the subscriber; a reverse relation is tested
        through the row's key, so rows never repeat."""
        if self.model._meta.get_field(name).concrete:
            return Q(**{name: person_id})
        return AnyOf("pk", self.model.objects.filter(**{name: person_id}).values("pk"))


class OrganizationQuerySet(ScopedQuerySet):
    scope_path = "path"
    scope_people = ("people",)  # a subscriber sees the organisation they work for

    def active(self):
        return self.filter(valid_to__isnull=True, superseded_by__isnull=True)

    def with_code(self):
        """Organisations that carry their official electronic identifier."""
        return self.filter(code__isnull=False)

    def code_matches(self, text: str):
        """Organisations whose code matches a search text (`code_q`); none when the text does
        not read as a code."""
        return self.filter(code_q(text) or NOTHING)

    def by_code(self, code: str):
        """The organisation that answers to `code` today (None when none): the holder of the
        code, or the one that held it before a new code (FormerCode), followed through
        `superseded_by` to the organisation a merger made its successor. What a message
        addressed by code is delivered to (the edXML exchange reads it)."""
        code = normalize_code(code)
        if not code:
            return None
        org = self.filter(code=code).first()
        if org is None:
            org = self.filter(former_codes__code=code).first()
        return org.successor() if org is not None else None

    def provincial_office_of(self, province):
        """The province's current Sở KH&CN (the oldest, should there be two), or None."""
        if province is None:
            return None

        return (
            self.active()
            .filter(kind=OrgKind.PROVINCIAL_OFFICE, parent=province)
            .order_by("pk")
            .first()
        )


class PersonQuerySet(ScopedQuerySet):
    scope_path = "organization__path"
    scope_people = ("id",)

    def ca_sees(self):
        # The people whose certificates the CA holds, read through the reverse relation the
        # certificate registry declares (the organisation layer never imports it).
        return Exists(self.model.objects.filter(pk=OuterRef("pk"), certificates__isnull=False))

    def identified(self):
        """The people whose personal fields are still their own (not minimised)."""
        return self.filter(deidentified_at__isnull=True)

    def idle_since(self, cutoff):
        """Still identified, recorded before `cutoff` (or before the date was kept) and without
        a sign-in nor a new account since: what the retention sweep may minimise once nothing
        of theirs in the apps above is younger (docs/retention.md)."""
        account = get_user_model().objects.filter(pk=OuterRef("user_id"))
        recent = account.filter(Q(last_login__gte=cutoff) | Q(date_joined__gte=cutoff))
        return (
            self.identified()
            .filter(Q(created_at__isnull=True) | Q(created_at__lt=cutoff))
            .exclude(Exists(recent))
        )

    def with_national_id(self, national_id: str):
        """The person with this ID number, found by its blind index (the number is encrypted:
        docs/privacy-at-rest.md)."""
        return self.filter(national_id_index=blind_index(national_id))

    def with_national_ids(self, national_ids):
        return self.filter(national_id_index__in=[blind_index(value) for value in national_ids])


class MembershipQuerySet(ScopedQuerySet):
    """Everyone sees their own roles; only administrators see others'."""

    scope_path = None
    scope_user = "user"

    def ca_sees(self):
        return NOTHING


def code_q(text: str, relation: str = "") -> Q | None:
    """The condition "the organisation at `relation` has a code matching `text`", or None when
    the text does not read as a code, so that a search adds nothing for ordinary words.

    A whole code matches exactly. The decision writes the higher levels on the right, so a
    tail ("H29", "05.H29") finds that unit and everything under it (the codes ending with
    it), and the start of a code as written ("000.00.0") finds the codes beginning with it.
    """
    text = normalize_code(text)
    how = looks_like_code_part(text)
    field = f"{relation}code"
    if how == "exact":
        return Q(**{field: text})
    if how == "tail":
        return Q(**{field: text}) | Q(**{f"{field}__endswith": "." + text})
    if how == "head":
        return Q(**{f"{field}__startswith": text})
    return None


def agency_code_q(text: str, field: str = "agency") -> Q | None:
    """The condition "the row's organisation `field` has a code matching `text`" (`code_q`)
    as a semi-join on the organisations' small table (`field_id IN (SELECT id …)`), so that a
    list of a million rows is read through its index on `field`, not joined and scanned; None
    when the text does not read as a code."""
    if code_q(text) is None:
        return None
    Organization = apps.get_model("agencies", "Organization")
    return Q(**{f"{field}_id__in": Organization.objects.code_matches(text).values("pk")})


def is_whole_code(text: str) -> bool:
    """Whether a search text is a whole code: it cannot also be a name, a serial or a
    number, so a search needs no other condition."""
    return looks_like_code_part(text) == "exact"


def find_unit(agency, name: str):
    """The organisation named `name` (case-insensitive, NFC) in `agency`'s subtree, or None."""
    Organization = apps.get_model("agencies", "Organization")

    return (
        Organization.objects.active()
        .within(agency.path)
        .filter(name__iexact=nfc(name))
        .order_by("path")
        .first()
    )
