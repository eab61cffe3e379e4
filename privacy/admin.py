"""The administrator's person form with its ID number, dates and mobile masked (docs/privacy.md
§masking): `agencies` sits below `privacy` and cannot mask them itself, so its admin is registered
again here with a form that never writes them into the page (`KeepMaskedMixin`)."""

from django import forms
from django.contrib import admin

from agencies.admin import PersonAdmin
from agencies.models import Person
from privacy.forms import KeepMaskedMixin

PERSON_MASKED = ("national_id", "date_of_birth", "id_issue_date", "mobile")


class MaskedPersonForm(KeepMaskedMixin, forms.ModelForm):
    """The admin gives it its model and fields (`ModelAdmin.get_form`)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.keep_masked(
            {
                name: (f"agencies.Person.{name}", getattr(self.instance, name))
                for name in PERSON_MASKED
            }
        )


admin.site.unregister(Person)


@admin.register(Person)
class MaskedPersonAdmin(PersonAdmin):
    form = MaskedPersonForm
