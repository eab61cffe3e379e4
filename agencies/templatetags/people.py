"""`full_name`: a user as pages name them (`agencies.names.display_name`)."""

from django import template
from django.core.exceptions import ObjectDoesNotExist

from agencies.names import display_name

register = template.Library()


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
