import pytest
from django import forms

from agencies.filters import agency_choices_within_scope
from agencies.models import Organization
from tests import factories as f

pytestmark = pytest.mark.django_db


class AgencyForm(forms.Form):
    agency = forms.ModelChoiceField(queryset=Organization.objects.none(), required=False)


def offered(form):
    return [label for value, label in form.fields["agency"].widget.choices if value != ""]


def test_a_clerk_is_offered_their_own_agency_only(cast):
    form = AgencyForm()
    agency_choices_within_scope(form, cast.clerk_a)
    assert list(form.fields["agency"].queryset) == [cast.agency_a]


def test_the_ca_is_offered_the_agencies_of_the_chosen_province(cast):
    ministry = f.AgencyFactory(kind="ministry", parent=None, name="Bộ Tài chính")
    form = AgencyForm(data={"province": str(cast.province_2.pk)})
    agency_choices_within_scope(form, cast.ca_operator)
    assert offered(form) == [cast.agency_c.name]
    form = AgencyForm(data={})
    agency_choices_within_scope(form, cast.ca_operator)
    assert offered(form) == [ministry.name]
    assert cast.agency_a in form.fields["agency"].queryset  # any visible agency still validates
