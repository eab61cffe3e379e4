"""`full_name`: a user as pages name them (`agencies.names.account_name`, their person's name
first); `actor`: who took a step of a log, named the same way, or "hệ thống" for a step no
person took (a log's empty `by`, written by beat or a worker). A template's `default:` cannot
stand in for this: its argument `x.by.username` is resolved even when `x.by` is None, and
raises there. One rule for both, so an account has one name on every page."""

from django import template
from django.utils.translation import gettext as _

from agencies.names import account_name

register = template.Library()


@register.filter
def full_name(user) -> str:
    return account_name(user)


@register.filter
def actor(user) -> str:
    if user is None:
        return _("hệ thống")
    return account_name(user)
