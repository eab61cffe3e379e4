"""The merger wizard's forms: they only parse what was typed; every rule is decided by the
services (`orgmerge.services`), whose DomainError the views show on the page."""

from django import forms
from django.utils.translation import gettext_lazy as _

from agencies.access import scope_for
from agencies.accounts.reauth import ReauthForm
from agencies.choices import OrgKind
from agencies.models import Organization
from orgmerge.choices import MergerCase
from requests_app.forms import VnDateField


def plannable(user):
    """The organisations the user may put in a plan: agencies and units of their province
    (everything for an administrator), still in force."""
    orgs = Organization.objects.visible_to(user).active()
    if not scope_for(user).is_admin:
        orgs = orgs.filter(kind__in=[OrgKind.AGENCY, OrgKind.UNIT])
    return orgs.exclude(kind__in=[OrgKind.CA, OrgKind.PROVINCIAL_OFFICE]).order_by("path")


class OrganizationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.name_with_code


class OrganizationsChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.name_with_code


class PlanForm(forms.Form):
    case = forms.ChoiceField(
        label=_("Trường hợp"), choices=MergerCase.choices, widget=forms.RadioSelect
    )
    sources = OrganizationsChoiceField(
        label=_("Các cơ quan, đơn vị được sáp nhập"),
        queryset=Organization.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Chọn ít nhất một cơ quan.")},
    )
    target_name = forms.CharField(
        label=_("Tên cơ quan mới (trường hợp a)"), required=False, max_length=255
    )
    survivor = OrganizationChoiceField(
        label=_("Cơ quan giữ nguyên tên (trường hợp b, hợp nhất tỉnh)"),
        queryset=Organization.objects.none(),
        required=False,
    )
    superior = OrganizationChoiceField(
        label=_("Cơ quan quản lý cấp trên mới (trường hợp c)"),
        queryset=Organization.objects.none(),
        required=False,
    )
    effective_on = VnDateField(label=_("Ngày có hiệu lực"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        orgs = plannable(user)
        self.fields["sources"].queryset = orgs
        self.fields["survivor"].queryset = orgs
        self.fields["superior"].queryset = (
            Organization.objects.visible_to(user)
            .active()
            .filter(kind__in=[OrgKind.AGENCY, OrgKind.MINISTRY])
        )

    def target(self):
        case = self.cleaned_data["case"]
        if case in (MergerCase.KEEPS_NAME, MergerCase.PROVINCES):
            return self.cleaned_data.get("survivor")
        if case == MergerCase.NEW_SUPERIOR:
            return self.cleaned_data.get("superior")
        return None


class ChoicesForm(forms.Form):
    kept_certificate = forms.IntegerField(required=False)
    leaving = forms.TypedMultipleChoiceField(coerce=int, required=False, choices=())

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["leaving"].choices = [(pk, pk) for pk in people]


class DiscardForm(forms.Form):
    note = forms.CharField(required=False, max_length=2000, strip=True)


class ApplyForm(ReauthForm):
    # Why the plan should be applied now, for the second person who approves it
    # (docs/approvals.md); blank: the plan's number says it.
    reason = forms.CharField(required=False, max_length=1000, strip=True)
