"""Forms of the ground floor's pages."""

from django import forms

from portal.models import NotificationPreference


class NotificationPreferenceForm(forms.ModelForm):
    class Meta:
        model = NotificationPreference
        fields = ["email", "daily_digest"]
