"""The administrator's subscription form (docs/webhooks.md)."""

from urllib.parse import urlsplit

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from webhooks.choices import EventType
from webhooks.models import Subscription


def validate_port(url: str) -> None:
    """URLValidator lets any number of digits through as a port (`:99999`): refused here, as
    sending would refuse it (webhooks.sending.check_url)."""
    try:
        port = urlsplit(url).port
    except ValueError:
        port = 0
    if port == 0:
        raise ValidationError(
            _("Cổng (port) trong địa chỉ không hợp lệ: phải là số từ 1 đến 65535."),
            code="port",
        )


class SubscriptionForm(forms.ModelForm):
    url = forms.URLField(
        label=_("địa chỉ nhận (URL)"),
        max_length=500,
        assume_scheme="https",
        validators=[validate_port],
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
