"""How pages name a user in history and audit displays: the person's full name (a user's
name lives on their `Person`, docs/domain.md), then the account's own name, and the username
only as a last resort."""

from django import template
from django.core.exceptions import ObjectDoesNotExist

register = template.Library()


def display_name(person_name: str | None, first_name: str, last_name: str, username: str) -> str:
    """The rule above, from the names themselves (read with something else, as JSON)."""
    return person_name or f"{first_name or ''} {last_name or ''}".strip() or username or ""


@register.filter
def full_name(user) -> str:
    if user is None:
        return ""
    try:
        person = user.person
    except (ObjectDoesNotExist, AttributeError):
        person = None
    return display_name(
        person.full_name if person is not None else None,
        user.first_name,
        user.last_name,
        user.username,
    )
