"""Template filters of the official documents' layout (portal.lib.textfit; docs/domain.md §9)."""

from django import template

from portal.lib.textfit import email_size_class

register = template.Library()


@register.filter
def email_fit(email: str, cell: str) -> str:
    """The size class that prints `email` whole in a cell, given as "width in mm/the
    table's font size in pt": `<td class="email {{ r.email|email_fit:"36/10" }}">`."""
    if not email:
        return ""
    width, _, base = str(cell).partition("/")
    return email_size_class(str(email), float(width), float(base or 10))
