"""The campaign's opening form and the registration table as a form: one whole-number field
per line and year, one note per line (docs/domain.md §11)."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from demand.choices import MAX_QUANTITY, Category
from requests_app.forms import DATE_HELP, VnDateField

NATIONWIDE = "0"


class CampaignForm(forms.Form):
    scope = forms.ChoiceField(label=_("Phạm vi"))
    start_year = forms.IntegerField(label=_("Từ năm"), min_value=2000, max_value=2100)
    end_year = forms.IntegerField(label=_("Đến năm"), min_value=2000, max_value=2100)
    due_on = VnDateField(label=_("Hạn gửi"), help_text=DATE_HELP)
    reference = forms.CharField(label=_("Số công văn đề nghị"), max_length=64, required=False)
    note = forms.CharField(
        label=_("Nội dung đề nghị"), required=False, max_length=4000, widget=forms.Textarea
    )

    def __init__(self, *args, nationwide: bool, provinces, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(NATIONWIDE, _("Toàn quốc (các bộ, ngành, địa phương)"))] if nationwide else []
        choices += [(str(p.pk), _("Các cơ quan của %(p)s") % {"p": p.name}) for p in provinces]
        self.fields["scope"].choices = choices
        self.provinces = {str(p.pk): p for p in provinces}
        year = timezone.localdate().year + 1
        self.fields["start_year"].initial = year
        self.fields["end_year"].initial = year + 4

    def province(self):
        return self.provinces.get(self.cleaned_data["scope"])


class TableForm(forms.Form):
    """Fields `q_<category>_<year>` and `note_<category>`."""

    revision = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, years, table, notes, **kwargs):
        super().__init__(*args, **kwargs)
        self.years = years
        for category in Category:
            for year in years:
                self.fields[f"q_{category.value}_{year}"] = forms.IntegerField(
                    label=f"{category.label} {year}",
                    min_value=0,
                    max_value=MAX_QUANTITY,
                    initial=table.get(category.value, {}).get(year, 0),
                    widget=forms.NumberInput(
                        attrs={"aria-label": f"{category.label} {year}", "class": "cell-number"}
                    ),
                    error_messages={
                        "required": _("Hãy nhập số (0 nếu không có nhu cầu)."),
                        "invalid": _("Hãy nhập số nguyên."),
                    },
                )
            self.fields[f"note_{category.value}"] = forms.CharField(
                label=_("Ghi chú"),
                max_length=255,
                required=False,
                initial=notes.get(category.value, ""),
                widget=forms.TextInput(
                    attrs={"aria-label": _("Ghi chú: %(line)s") % {"line": category.label}}
                ),
            )

    def lines(self):
        """The form's fields by line, in the seed's order, for the template."""
        return [
            {
                "category": category.value,
                "label": category.label,
                "cells": [self[f"q_{category.value}_{year}"] for year in self.years],
                "note": self[f"note_{category.value}"],
            }
            for category in Category
        ]

    def table(self) -> dict:
        return {
            category.value: {
                year: self.cleaned_data[f"q_{category.value}_{year}"] for year in self.years
            }
            for category in Category
        }

    def notes(self) -> dict:
        return {
            category.value: self.cleaned_data[f"note_{category.value}"] for category in Category
        }


class SendBackForm(forms.Form):
    reason = forms.CharField(label=_("Lý do trả lại"), max_length=1000)
