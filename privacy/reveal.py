"""A masked value shown in full on a page: the deliberate, recorded reveal (docs/privacy.md §masking).

Pages show ID numbers, birth and ID issue dates and phone numbers masked (`privacy.masking`).
Beside a masked value the user may see in full (`may_unmask`: a role the inventory names for
the field, or the person the value is about), a small "Hiện" control asks for a reason; the
server fetches the record again within the user's scope, decides the right again, records the
access (`privacy.access`, channel REVEAL, that one field of that one subject) and answers the
value, never cached (`privacy.views.reveal`).

`privacy` sits below the apps whose records hold these values and imports none of them: each
app registers its models in its AppConfig.ready() (`reveal_register`), with how a user's
scope reads them (`visible_to`) and whose data a record holds; the one view reads this table.

One exception to the masks, decided here only (`author_sees_in_full`): the author of a draft
sees its values in full while it is their draft, to proofread what they typed; nothing is
logged, as they typed it. Whose draft a record is says the owning app (`draft_author`).
"""

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from agencies.access import scope_for
from privacy.access import Subject
from privacy.masking import is_masked, masked, may_unmask


@dataclass(frozen=True)
class Target:
    """A model whose masked values may be revealed: `visible(user)` is the queryset of its
    records the user may see (out of it: 404); `subject(obj)` whose data a record holds."""

    label: str
    visible: Callable
    subject: Callable[[object], Subject]
    # the path of the organisation the record belongs to (`may_unmask`'s `org_path`)
    org_path: Callable[[object], str | None]
    # the id of the user whose draft the record is, None once it is no draft
    draft_author: Callable[[object], int | None] = lambda obj: None


_TARGETS: dict[str, Target] = {}


def reveal_register(
    model,
    *,
    org_path: Callable,
    visible: Callable | None = None,
    subject=Subject.of,
    draft_author: Callable | None = None,
) -> None:
    """Let pages reveal the masked fields of `model` (called from the owning app's
    AppConfig.ready()); `visible` defaults to `model.objects.visible_to`; `org_path(obj)` is
    the path of the organisation the record belongs to; `draft_author(obj)` the id of the
    user whose draft it is, None when it is no draft (`author_sees_in_full`)."""
    label = model._meta.label
    target = Target(label, visible or model.objects.visible_to, subject, org_path)
    if draft_author is not None:
        target = Target(label, target.visible, subject, org_path, draft_author)
    _TARGETS[label] = target


def author_sees_in_full(user, obj) -> bool:
    """The masking policy's one exception (docs/privacy.md §6): the author of a draft sees
    its values unmasked while it is their draft (its status draft and they its drafter), to
    proofread what they typed. Everybody else, and the author once it is submitted, sees the
    masks (and may reveal as any reader)."""
    target = _TARGETS.get(obj._meta.label) if obj is not None else None
    if target is None or not getattr(user, "is_authenticated", False):
        return False
    author = target.draft_author(obj)
    return author is not None and author == user.pk


def reveal_target(label: str) -> Target | None:
    return _TARGETS.get(label)


def reveal_fetch(target: Target, user, pk: int):
    """The record `pk` as the user's scope reads it: 404 outside it."""
    return get_object_or_404(target.visible(user), pk=pk)


def shown_in_full(value) -> str:
    """The value as the reveal shows it: a date dd/mm/yyyy, anything else as text."""
    if hasattr(value, "strftime"):
        return value.strftime("%d/%m/%Y")
    return str(value or "")


def masked_html(key: str, text: str, url: str = "", back: str = "", labels=None) -> SafeString:
    """A masked value on a page, with its reveal control when `url` is given: a link to the
    reason form (`back`: the page to return to without JavaScript, or its query already
    encoded, "?next=…") that htmx opens in place."""
    if not url:
        return format_html('<span class="masked" data-masked="{}">{}</span>', key, text)
    show, title = labels or reveal_labels()
    if back and not back.startswith("?"):
        back = back_query(back)
    href = f"{url}{back}"
    return format_html(
        '<span class="masked" data-masked="{key}">{text} <a class="reveal" href="{href}"'
        ' hx-get="{url}" hx-target="closest .masked" hx-swap="outerHTML" rel="nofollow"'
        ' title="{title}">{show}<span class="visually-hidden"> – {title}</span></a></span>',
        key=key,
        text=text,
        href=href,
        url=url,
        title=title,
        show=show,
    )


def back_query(back: str) -> str:
    return f"?{urlencode({'next': back})}" if back else ""


def reveal_labels() -> tuple[str, str]:
    return _("Hiện"), _("xem giá trị đầy đủ: cần nêu lý do, được ghi vào nhật ký truy cập")


class Revealer:
    """A page's masked values for one user. Who may reveal a field is decided once per field
    (and whether the value is the user's own), each field's reveal address reversed once: a
    letter's table of a thousand rows pays a dictionary lookup per cell."""

    MARK = "987654321"

    def __init__(self, user, *, back: str = ""):
        self.user = user
        self.back = back_query(back)  # encoded once for the page
        self.scope = scope_for(user)
        self.labels = reveal_labels()
        self._may: dict[tuple[str, bool], bool] = {}
        self._urls: dict[str, str] = {}

    def may_reveal(self, key: str, subject_person_id: int | None = None) -> bool:
        own = subject_person_id is not None and subject_person_id == self.scope.person_id
        decided = self._may.get((key, own))
        if decided is None:
            decided = key.rpartition(".")[0] in _TARGETS and may_unmask(
                self.user, key, subject_person_id=self.scope.person_id if own else None
            )
            self._may[(key, own)] = decided
        return decided

    def in_full(self, obj) -> bool:
        """Whether the record's masked values are shown unmasked (`author_sees_in_full`)."""
        return author_sees_in_full(self.user, obj)

    def url(self, key: str, pk: int) -> str:
        template = self._urls.get(key)
        if template is None:
            label, _dot, field = key.rpartition(".")
            template = reverse("privacy:reveal", args=[label, self.MARK, field])
            self._urls[key] = template
        return template.replace(self.MARK, str(pk))

    def html(self, key: str, value, *, pk=None, subject_person_id=None) -> SafeString | str:
        """`value` of the field `key` masked, with the reveal control when the record is saved
        (`pk`) and the user may see it in full; "" for no value."""
        if value in (None, ""):
            return ""
        url = ""
        if pk is not None and self.may_reveal(key, subject_person_id):
            url = self.url(key, pk)
        return masked_html(key, masked(key, value), url, self.back, self.labels)

    def of(self, obj, field: str) -> SafeString | str:
        """The masked field of a record, its subject read as the reveal will read it."""
        key = f"{obj._meta.label}.{field}"
        value = getattr(obj, field)
        if not is_masked(key):
            return value
        if self.in_full(obj):
            return shown_in_full(value)
        target = _TARGETS.get(obj._meta.label)
        person_id = target.subject(obj).person_id if target else None
        return self.html(key, value, pk=obj.pk, subject_person_id=person_id)


def revealer_for(request) -> Revealer:
    """The request's revealer, made once: a GET page returns to itself without JavaScript."""
    revealer = getattr(request, "_privacy_revealer", None)
    if revealer is None:
        back = request.get_full_path() if request.method == "GET" else ""
        revealer = request._privacy_revealer = Revealer(request.user, back=back)
    return revealer
