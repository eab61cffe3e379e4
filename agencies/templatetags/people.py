"""How pages name a user in history and audit displays: the person's full name (a user's
name lives on their `Person`, docs/domain.md), then the account's own name, and the username
only as a last resort."""

from django import template
from django.core.exceptions import ObjectDoesNotExist

register = template.Library()


@register.filter
def full_name(user) -> str:
    if user is None:
        return ""
    try:
        person = user.person
    except (ObjectDoesNotExist, AttributeError):
        person = None
    if person is not None and person.full_name:
        return person.full_name
    return user.get_full_name() or user.username
