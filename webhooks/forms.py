"""The administrator's subscription form (docs/webhooks.md)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from webhooks.choices import EventType
from webhooks.models import Subscription


class SubscriptionForm(forms.ModelForm):
    url = forms.URLField(
        label=_("địa chỉ nhận (URL)"),
        max_length=500,
        assume_scheme="https",
        help_text=_("Chỉ http:// hoặc https://; không theo chuyển hướng."),
    )
    event_types = forms.MultipleChoiceField(
        label=_("loại sự kiện"),
        choices=EventType.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Subscription
        fields = ["name", "url", "event_types", "organization", "is_active"]
