"""`full_name`: a user as pages name them (`agencies.names.display_name`, their person's name
first); `actor`: who took a step of a log, by the account alone (no query for a person: a log
lists many), its full name or username, or "hệ thống" for a step no person took (a log's
empty `by`, written by beat or a worker). A template's `default:` cannot stand in for this:
its argument `x.by.username` is resolved even when `x.by` is None, and raises there."""

from django import template
from django.core.exceptions import ObjectDoesNotExist
from django.utils.translation import gettext as _

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


@register.filter
def actor(user) -> str:
    if user is None:
        return _("hệ thống")
    return user.get_full_name() or user.get_username()
