"""Who may see what: one scope per user, read by the one scoped queryset base that gives every
model its `visible_to(user)` (`agencies.querysets.ScopedQuerySet`, docs/architecture.md §5).

A clerk or agency head sees their agency and its units; a provincial officer everything of
agencies in their province; a CA operator what reaches the CA; a subscriber their own
certificates and devices; an administrator everything. Out of scope means 404, not 403.
"""

from dataclasses import dataclass, field

from django.apps import apps  # this app's models, looked up: the models module imports this one
from django.db.models import Subquery

from agencies.choices import Role
from portal.lib.folding import fold


@dataclass(frozen=True)
class Scope:
    is_authenticated: bool = False
    is_admin: bool = False
    is_ca: bool = False
    roles: frozenset[str] = frozenset()
    # organisations whose subtree the user sees: a clerk's or head's agency, an officer's province
    org_paths: tuple[str, ...] = ()
    # only the agencies the user works for as clerk or head
    agency_paths: tuple[str, ...] = ()
    agency_ids: frozenset[int] = frozenset()
    province_ids: frozenset[int] = frozenset()
    person_id: int | None = None
    # role -> organisation paths where the user holds it (a province's path for officers)
    role_paths: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # names of the agencies and provinces above, for a page's subtitle (read with the roles)
    organization_names: tuple[str, ...] = ()

    @property
    def sees_everything(self) -> bool:
        return self.is_admin or self.is_ca

    def has_role(self, *roles: str) -> bool:
        return self.is_admin or bool(self.roles.intersection(roles))

    def holds(self, role: str, path: str) -> bool:
        """Whether the user holds `role` for the organisation at `path` (or above it)."""
        return any(path.startswith(p) for p in self.role_paths.get(role, ()))

    @property
    def cache_key(self) -> str:
        """Everything `visible_to` reads of the scope, as text: two users whose figures are
        kept under the same key see the same rows."""
        if self.sees_everything:
            return "all"
        return "|".join(
            [",".join(sorted(self.org_paths)), ",".join(sorted(self.agency_paths)),
             str(self.person_id)]
        )  # fmt: skip


ANONYMOUS = Scope()


def scope_for(user) -> Scope:
    """The user's scope, computed once per user object: one query, two for a user with no
    membership."""
    if user is None or not user.is_authenticated:
        return ANONYMOUS
    cached = getattr(user, "_portal_scope", None)
    if cached is not None:
        return cached

    Membership = apps.get_model("agencies", "Membership")
    Person = apps.get_model("agencies", "Person")

    # The user's person comes with each membership (one query for staff); a user with no
    # membership (a subscriber) reads it on its own.
    own_person = Person.objects.filter(user=user).order_by("full_name").values("pk")[:1]
    memberships = list(
        Membership.objects.filter(user=user)
        .select_related("organization__province")
        .annotate(own_person_id=Subquery(own_person))
    )
    person_id = (
        memberships[0].own_person_id
        if memberships
        else Person.objects.filter(user=user).values_list("pk", flat=True).first()
    )
    scope = _scope_of(user, memberships, person_id)
    user._portal_scope = scope
    return scope


def scopes_for(users) -> None:
    """Compute the scope of each of `users` at once and keep it on the user object, as
    `scope_for` keeps it (which then reads nothing): two queries whatever the number of
    users, for a list of the people who may act on something (an approval's approvers)."""
    pending = [
        user
        for user in users
        if user is not None
        and user.is_authenticated
        and getattr(user, "_portal_scope", None) is None
    ]
    if not pending:
        return
    Membership = apps.get_model("agencies", "Membership")
    Person = apps.get_model("agencies", "Person")
    pks = {user.pk for user in pending}
    memberships: dict[int, list] = {pk: [] for pk in pks}
    for membership in (
        Membership.objects.filter(user_id__in=pks)
        .select_related("organization__province")
        .order_by("pk")
    ):
        memberships[membership.user_id].append(membership)
    people: dict[int, int] = {}
    for user_id, person_id in (
        Person.objects.filter(user_id__in=pks)
        .order_by("full_name", "pk")
        .values_list("user_id", "pk")
    ):
        people.setdefault(user_id, person_id)
    for user in pending:
        user._portal_scope = _scope_of(user, memberships[user.pk], people.get(user.pk))


def _scope_of(user, memberships, person_id: int | None) -> Scope:
    """The scope of `user` from their memberships (organisation and province read with them)
    and their person's id."""
    roles = frozenset(m.role for m in memberships)
    paths: list[str] = []
    agency_paths: list[str] = []
    agency_ids: set[int] = set()
    province_ids: set[int] = set()
    role_paths: dict[str, list[str]] = {}
    names: dict[int, str] = {}
    for membership in memberships:
        org = membership.organization
        if org is None:
            continue
        if membership.role in (Role.AGENCY_CLERK, Role.AGENCY_HEAD):
            paths.append(org.path)
            agency_paths.append(org.path)
            agency_ids.add(org.pk)
            names[org.pk] = org.name
            role_paths.setdefault(membership.role, []).append(org.path)
        elif membership.role == Role.PROVINCIAL_OFFICER and org.province is not None:
            paths.append(org.province.path)
            province_ids.add(org.province_id)
            names[org.province_id] = org.province.name
            role_paths.setdefault(membership.role, []).append(org.province.path)
    return Scope(
        is_authenticated=True,
        is_admin=user.is_superuser or Role.ADMINISTRATOR in roles,
        is_ca=Role.CA_OPERATOR in roles,
        roles=roles,
        org_paths=tuple(sorted(set(paths))),
        agency_paths=tuple(sorted(set(agency_paths))),
        agency_ids=frozenset(agency_ids),
        province_ids=frozenset(province_ids),
        person_id=person_id,
        role_paths={role: tuple(p) for role, p in role_paths.items()},
        organization_names=tuple(sorted(names.values(), key=fold)),
    )
