"""The pages of the access log (docs/privacy.md §access log): the data protection officer's
search and the detail of one access (the officer and administrators only, 403 for anyone
else), and each signed-in person's list of the accesses to their own data.

Reading these pages is no access to personal data in full: a subject's ID number is shown
masked, so nothing here is itself recorded in the log."""

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from agencies.models import Membership, Person
from agencies.names import display_name
from portal.lib.paging import keyset_paginate
from privacy.choices import ACCESS_OBJECT_TYPES
from privacy.filters import AccessFilterSet
from privacy.inventory import declared, field_label
from privacy.masking import mask_id
from privacy.models import Access, AccessSubject
from privacy.permissions import require_privacy

_OBJECT_TYPES = dict(ACCESS_OBJECT_TYPES)
# Fields in the inventory's order (the ID number before the birth date), not the keys' order.
_FIELD_ORDER = {key: i for i, key in enumerate(declared())}


@dataclass
class Actor:
    """Who an access's account is now: the name of its person record (else of the account)
    and each role it holds, with the organisation it holds it for."""

    name: str = ""
    roles: list[str] = field(default_factory=list)


def actors_now(ids) -> dict[int, Actor]:
    """The accounts `ids` as they are now, in three queries whatever their number; an
    account that no longer exists is absent."""
    ids = {pk for pk in ids if pk is not None}
    if not ids:
        return {}
    users = get_user_model().objects.filter(pk__in=ids).only("first_name", "last_name", "username")
    actors = {
        user.pk: Actor(name=display_name(None, user.first_name, user.last_name, user.username))
        for user in users
    }
    for user_id, name in Person.objects.filter(user_id__in=actors).values_list(
        "user_id", "full_name"
    ):
        actors[user_id].name = name
    memberships = (
        Membership.objects.filter(user_id__in=actors)
        .select_related("organization")
        .order_by("role", "organization__name")
    )
    for membership in memberships:
        role = membership.get_role_display()
        org = membership.organization
        actors[membership.user_id].roles.append(f"{role}, {org.name}" if org else str(role))
    return actors


def _lines(accesses) -> list[Access]:
    """The page's accesses with what their line shows: the fields in words, the actor as
    they are now, the object's type in words."""
    accesses = list(accesses)
    actors = actors_now(access.actor_id for access in accesses)
    for access in accesses:
        keys = sorted(access.fields, key=lambda key: _FIELD_ORDER.get(key, len(_FIELD_ORDER)))
        access.field_labels = [field_label(key) for key in keys]
        access.actor_now = actors.get(access.actor_id)
        access.object_label = _OBJECT_TYPES.get(access.object_type, access.object_type)
    return accesses


@login_required
@require_GET
def access_list(request):
    require_privacy(request.user)
    base = Access.objects.visible_to(request.user)
    filterset = AccessFilterSet(request.GET or None, queryset=base, request=request)
    # A filter that does not parse lists nothing rather than being dropped; the form says why.
    rows = filterset.qs if not filterset.is_bound or filterset.is_valid() else base.none()
    # Newest first, walked by a cursor on (at, id): an index serves each filter however deep
    # the page (docs/privacy.md §access log).
    paging = keyset_paginate(request, rows.order_by("-at", "-pk"))
    context = {"filter": filterset, "accesses": _lines(paging["page"].object_list), **paging}
    if request.htmx:
        return render(request, "privacy/partials/_access_table.html", context)
    return render(request, "privacy/accesses.html", context)


@dataclass(frozen=True)
class SubjectLine:
    name: str
    masked_id: str
    note: str = ""


@login_required
@require_GET
def access_detail(request, pk: int):
    require_privacy(request.user)
    access = get_object_or_404(Access.objects.visible_to(request.user), pk=pk)
    subjects = AccessSubject.objects.filter(access=access).select_related("person")
    paging = keyset_paginate(request, subjects.order_by("pk"))
    rows = list(paging["page"].object_list)
    # A subject named by ID number only: the person holding that number now, if any.
    wanted = {s.id_index for s in rows if s.person is None and s.id_index}
    holders = (
        {p.national_id_index: p for p in Person.objects.filter(national_id_index__in=wanted)}
        if wanted
        else {}
    )
    lines = []
    for subject in rows:
        person = subject.person or holders.get(subject.id_index)
        if person is None:
            lines.append(SubjectLine("", "", "index_only"))
        else:
            note = "" if subject.person else "by_index"
            lines.append(SubjectLine(person.full_name, mask_id(person.national_id), note))
    return render(
        request,
        "privacy/access_detail.html",
        {"access": _lines([access])[0], "subjects": lines, **paging},
    )


@login_required
@require_GET
def my_accesses(request):
    """The accesses to the signed-in person's own data, whoever they are (an officer's own
    page lists theirs only, not the whole log)."""
    person = getattr(request.user, "person", None)
    context = {"person": person}
    if person is not None:
        paging = keyset_paginate(request, Access.objects.about(person).order_by("-at", "-pk"))
        context |= {"accesses": _lines(paging["page"].object_list), **paging}
    return render(request, "privacy/my_accesses.html", context)
