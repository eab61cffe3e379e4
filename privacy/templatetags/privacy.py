"""Masked personal data on pages (docs/privacy.md §masking): `{% load privacy %}`, then

- `{{ value|masked:"requests_app.RequestRow.national_id" }}`: the value masked, nothing else
  (a value the page has not saved yet, a search result);
- `{% reveal cert_request "contact_national_id" %}`: a record's field masked, with the "Hiện"
  control when the user may see it in full (`privacy.reveal`); "" for no value, so
  `{% reveal obj "field" as shown %}{{ shown|default:"—" }}`;
- `{% shown cert_request "contact_mobile" %}`: a record's field masked without a control (a
  summary line), in full for whom the policy shows it (`author_sees_in_full`);
- `{% full_values_allowed "devices.Device.phone" as can_full %}`: whether the user may ask
  for an export with these fields in full (the link to it is drawn only then).
"""

from django import template

from privacy import masking
from privacy.reveal import revealer_for, shown_in_full

register = template.Library()


@register.filter
def masked(value, key: str) -> str:
    return masking.masked(key, value) if value not in (None, "") else ""


@register.simple_tag(takes_context=True)
def reveal(context, obj, field: str):
    return revealer_for(context["request"]).of(obj, field)


@register.simple_tag(takes_context=True)
def shown(context, obj, field: str) -> str:
    value = getattr(obj, field)
    if value in (None, ""):
        return ""
    if revealer_for(context["request"]).in_full(obj):
        return shown_in_full(value)
    return masking.masked(f"{obj._meta.label}.{field}", value)


@register.simple_tag(takes_context=True)
def full_values_allowed(context, *keys: str) -> bool:
    return all(masking.may_unmask(context["request"].user, key) for key in keys)
