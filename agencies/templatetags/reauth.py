"""`{% reauth_fields "name" %}`: the confirmation fields of an action that asks for the password
again (agencies/accounts/reauth.py), drawn inside that action's form."""

from django import template

from agencies.accounts.reauth import needs_code

register = template.Library()


@register.inclusion_tag("agencies/partials/_reauth_fields.html", takes_context=True)
def reauth_fields(context, name: str) -> dict:
    request = context["request"]
    # asked once per page, however many actions draw the fields
    if not hasattr(request, "_portal_needs_code"):
        request._portal_needs_code = needs_code(request.user)
    return {"name": name, "needs_code": request._portal_needs_code}
