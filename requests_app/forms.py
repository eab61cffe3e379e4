"""Drafting forms: a new letter, its section 1 (contact block), one row of its table, and the
Excel upload.

Forms only parse what the clerk typed (dates dd/mm/yyyy, a certificate or a device named by its
serial number). Every rule a row must satisfy lives in `requests_app.rules` and is applied by
the services; the views put the services' `RowInvalid.errors` back on these forms, next to the
field they concern. Text is NFC-normalised by the services; nothing here changes it afterwards.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from agencies.access import scope_for
from agencies.choices import Role
from agencies.models import Organization
from certificates.choices import REASONS_BY_SUBJECT_KIND, RevocationReason
from certificates.models import Certificate
from devices.models import Device
from privacy.forms import KeepMaskedMixin
from privacy.masking import masked
from privacy.reveal import author_sees_in_full
from requests_app.cells import MASKED_COLUMNS, MASKED_REGISTRY, registry_text
from requests_app.choices import ChangeField, FormKind
from requests_app.columns import (
    FORM_COLUMNS,
    REGISTRY_COLUMNS,
    REQUIRED_COLUMNS,
    letter_columns,
)
from requests_app.models import CertRequest, RequestRow
from requests_app.rules import move_mismatch_message
from requests_app.services import CONTACT_FIELDS
from requests_app.services.drafting import issue_row_from_person

DATE_INPUT_FORMATS = ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d"]
DATE_HELP = _("Ngày/tháng/năm, ví dụ 05/03/1985.")


class VnDateField(forms.DateField):
    """A date typed dd/mm/yyyy whatever the active locale (never mm/dd)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", DATE_INPUT_FORMATS)
        kwargs.setdefault(
            "widget",
            forms.DateInput(
                format="%d/%m/%Y",
                attrs={"placeholder": "dd/mm/yyyy", "inputmode": "numeric", "autocomplete": "off"},
            ),
        )
        kwargs.setdefault(
            "error_messages", {"invalid": _("Ngày không hợp lệ: hãy nhập theo dạng dd/mm/yyyy.")}
        )
        super().__init__(**kwargs)


# --- a new letter --------------------------------------------------------------------------
def clerk_agencies(user):
    """The organisations the user drafts for: those where they are the agency clerk."""
    paths = scope_for(user).role_paths.get(Role.AGENCY_CLERK, ())
    return Organization.objects.filter(path__in=paths).order_by("name")


# Mẫu 01's variant for remote signing (docs/remote-signing.md): offered beside Mẫu 01.
REMOTE_PERSON = "01-rssp"
KIND_CHOICES = [
    *FormKind.choices[:1],
    (REMOTE_PERSON, _("Mẫu 01 – Cấp chứng thư cho cá nhân sử dụng ký số tập trung")),
    *FormKind.choices[1:],
]


class CertRequestCreateForm(forms.Form):
    form = forms.ChoiceField(
        label=_("Loại văn bản"), choices=KIND_CHOICES, widget=forms.RadioSelect
    )
    agency = forms.ModelChoiceField(
        label=_("Cơ quan đề nghị"),
        queryset=Organization.objects.none(),
        empty_label=None,
        help_text=_("Bạn là cán bộ đầu mối của nhiều cơ quan: chọn cơ quan gửi văn bản."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = clerk_agencies(user)

    def clean(self):
        """The chosen kind as the letter's form and whether it is Mẫu 01's remote variant."""
        data = super().clean()
        kind = data.get("form")
        data["remote_signing"] = kind == REMOTE_PERSON
        if kind == REMOTE_PERSON:
            data["form"] = FormKind.ISSUE_PERSON
        return data


# --- section 1: the contact / receiving person ---------------------------------------------
# Mẫu 06 asks for the person who will assist the recovery instead (docs/domain.md §3).
CONTACT_FIELDS_BY_KIND = {
    "default": [
        "subject",
        "contact_name",
        "contact_national_id",
        "contact_id_issue_date",
        "contact_id_issue_place",
        "contact_position",
        "contact_mobile",
        "contact_email",
        "delivery_address",
        "recipients",
    ],
    FormKind.RECOVER_DEVICE: [
        "subject",
        "contact_name",
        "contact_national_id",
        "contact_id_issue_date",
        "contact_id_issue_place",
        "contact_position",
        "contact_agency",
        "contact_mobile",
        "recipients",
    ],
}
assert set(CONTACT_FIELDS_BY_KIND["default"]) <= set(CONTACT_FIELDS)
assert set(CONTACT_FIELDS_BY_KIND[FormKind.RECOVER_DEVICE]) <= set(CONTACT_FIELDS)

CONTACT_HELP = {
    "subject": _("Dòng “V/v” của văn bản, ví dụ: đề nghị cấp chứng thư chữ ký số chuyên dùng."),
    "contact_national_id": _("12 chữ số trên căn cước."),
    "contact_mobile": _("10 chữ số, bắt đầu bằng 0."),
    "contact_email": _("Địa chỉ công vụ của cơ quan nhà nước; không dùng Gmail, Yahoo, Hotmail…"),
    "delivery_address": _("Nơi Cục CTS&BMTT gửi thiết bị, chứng thư đến."),
    "contact_agency": _("Cơ quan, đơn vị nơi người hỗ trợ công tác."),
    "recipients": _(
        "Mỗi dòng một nơi nhận, như “Như trên;”. Để trống: Như trên; Sở Khoa học và Công nghệ "
        "(để theo dõi, với văn bản gửi Cục); Lưu: VT."
    ),
}
# Marked with * on the page: what `services.cert_request_submit` asks of section 1.
CONTACT_NEEDED_ON_SUBMIT = {"contact_name", "contact_mobile", "contact_email"}
RECOVERY_LABELS = {
    "contact_name": _("Họ và tên người hỗ trợ khôi phục"),
    "contact_agency": _("Cơ quan công tác"),
}


# Section 1's values shown masked (docs/privacy.md §masking): never prefilled into their inputs.
CONTACT_MASKED = ("contact_national_id", "contact_id_issue_date", "contact_mobile")


class ContactForm(KeepMaskedMixin, forms.ModelForm):
    """Section 1 of the letter. Model validators (12-digit ID, mobile, official e-mail) run
    in the model's `full_clean`, as they do again in `cert_request_update`. The ID number, its
    issue date and the mobile are not prefilled: their inputs show them masked and keep them
    when left blank (`KeepMaskedMixin`)."""

    contact_id_issue_date = VnDateField(required=False, label=_("Ngày cấp"), help_text=DATE_HELP)

    class Meta:
        model = CertRequest
        fields = CONTACT_FIELDS
        widgets = {
            "contact_mobile": forms.TextInput(attrs={"inputmode": "tel"}),
            "contact_national_id": forms.TextInput(attrs={"inputmode": "numeric"}),
            "recipients": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        kind = self.instance.form
        keep = CONTACT_FIELDS_BY_KIND.get(kind, CONTACT_FIELDS_BY_KIND["default"])
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        for name, field in self.fields.items():
            field.label = capfirst(field.label)
            if name in CONTACT_HELP:
                field.help_text = CONTACT_HELP[name]
            if kind == FormKind.RECOVER_DEVICE and name in RECOVERY_LABELS:
                field.label = RECOVERY_LABELS[name]
            field.mandatory = name in CONTACT_NEEDED_ON_SUBMIT
        self.order_fields(keep)
        self.keep_masked(
            {
                name: (f"requests_app.CertRequest.{name}", getattr(self.instance, name))
                for name in CONTACT_MASKED
            },
            in_full=user is not None and author_sees_in_full(user, self.instance),
        )


def contact_from_letter(letter, kind: str) -> dict:
    """Section 1 copied from an earlier letter of the agency (its subject aside)."""
    keep = CONTACT_FIELDS_BY_KIND.get(kind, CONTACT_FIELDS_BY_KIND["default"])
    data = {name: getattr(letter, name) for name in keep if name != "subject"}
    return {name: value for name, value in data.items() if value not in (None, "")}


def contact_from_person(person, kind: str) -> dict:
    """Section 1 pre-filled from the clerk's own Person record (they are usually the contact)."""
    data = {
        "contact_name": person.full_name,
        "contact_national_id": person.national_id,
        "contact_id_issue_date": person.id_issue_date,
        "contact_id_issue_place": person.id_issue_place,
        "contact_position": person.position,
        "contact_mobile": person.mobile,
    }
    if kind == FormKind.RECOVER_DEVICE:
        data["contact_agency"] = person.organization.name
    else:
        data["contact_email"] = person.official_email
    return {name: value for name, value in data.items() if value not in (None, "")}


# --- one row of the table ------------------------------------------------------------------
ROW_HELP = {
    "national_id": _("12 chữ số."),
    "date_of_birth": DATE_HELP,
    "id_issue_date": DATE_HELP,
    "email": _("Thư điện tử công vụ; không dùng Gmail, Yahoo, Hotmail…"),
    "mobile": _("10 chữ số, bắt đầu bằng 0."),
    "old_serial": _("Chỉ ghi khi người này đã có chứng thư cũ."),
    "sim_carrier": _("Để trống nếu dùng USB Token."),
    "sim_keep_number": _("Dùng số điện thoại hiện tại cho SIM PKI (ghi “/cs” trên văn bản)."),
    "tax_code": _("10 chữ số, hoặc 10 chữ số-3 chữ số."),
    "budget_code": _("7 chữ số."),
    "certificate": _("Tìm theo tên, số hiệu hoặc thư điện tử, rồi bấm chọn."),
    "device": _("Tìm theo số hiệu thiết bị, rồi bấm chọn. Chỉ thiết bị đang bị khóa."),
    "change_field": _("Chỉ ghi khi có thay đổi thông tin."),
    "new_value": _("Ví dụ: tên mới, địa chỉ thư điện tử mới, tên đơn vị mới."),
}
# Mẫu 04's columns that only a move between agencies uses (docs/domain.md §5.3.1).
MOVE_HELP = {
    "national_id": _(
        "Chỉ khi chuyển cơ quan công tác: số định danh cá nhân của người chuyển đến, phải khớp "
        "với chứng thư."
    ),
    "position_title": _("Chỉ khi chuyển cơ quan công tác: chức vụ tại cơ quan mới."),
    "new_value": _(
        "Ví dụ: tên mới, địa chỉ thư điện tử mới, tên đơn vị mới; khi chuyển cơ quan công tác: "
        "đơn vị tiếp nhận (hoặc tên cơ quan)."
    ),
}
PLACEHOLDERS = {"certificate": _("Số hiệu chứng thư"), "device": _("Số hiệu thiết bị")}


def revoke_reason_choices(certificate=None) -> list[tuple[str, str]]:
    """The Art. 17 cases a clerk may pick; only those of the certificate's subject kind once
    the certificate is known. SUPERSEDED is the portal's own case, never requested."""
    allowed = REASONS_BY_SUBJECT_KIND.get(certificate.subject_kind) if certificate else None
    return [
        (value, label)
        for value, label in RevocationReason.choices
        if value != RevocationReason.SUPERSEDED and (allowed is None or value in allowed)
    ]


class RowForm(KeepMaskedMixin, forms.Form):
    """One row of a letter, with exactly the form's columns (`FORM_COLUMNS`).

    Fields are optional here: which are required, and every other rule, is `rules.row_errors`,
    reported through `RowInvalid` by `row_save`. The certificate (Mẫu 04/05) and the device
    (Mẫu 06) are typed as serial numbers (the pickers fill them in), looked up within what the
    user may see.

    The masked columns (ID number, dates of birth and issue, mobile) are never prefilled
    (docs/privacy.md §masking): `kept_from` is where a blank one takes its value — the saved row
    (left out of `service_data`, so the row keeps it untouched) or the person picked for a
    new row (named by the hidden `picked_person`, their values saved with the row).
    """

    def __init__(
        self, *args, cert_request: CertRequest, user, chosen=None, kept_from=None, **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.cert_request = cert_request
        self.user = user
        self.columns = letter_columns(cert_request)
        self.required_columns = REQUIRED_COLUMNS[cert_request.form]
        # The picked or typed certificate / device, once known (shown beside the field).
        self.chosen_certificate = chosen if isinstance(chosen, Certificate) else None
        self.chosen_device = chosen if isinstance(chosen, Device) else None
        for name in self.columns:
            self.fields[name] = self._field(name)
            if name in ("certificate", "device"):
                self._add_registry_fields(chosen)
        self.kept_from = kept_from
        if kept_from is not None and not isinstance(kept_from, RequestRow):
            self.fields["picked_person"] = forms.IntegerField(
                required=False, widget=forms.HiddenInput, initial=kept_from.pk
            )
        label = kept_from._meta.label if kept_from is not None else ""
        self.keep_masked(
            {
                name: (f"{label}.{name}", getattr(kept_from, name))
                for name in self.columns
                if name in MASKED_COLUMNS and kept_from is not None
            },
            # the draft's own row: its author sees what they typed; a picked person's values
            # are the registry's, masked for everyone
            in_full=isinstance(kept_from, RequestRow) and author_sees_in_full(user, kept_from),
        )

    def _add_registry_fields(self, chosen) -> None:
        """The registry's columns of the picked certificate or device, read-only: they are
        never typed nor saved (`REGISTRY_COLUMNS`), so the clerk sees what the letter will
        print. Disabled fields keep their initial value whatever is posted."""
        for name, label in REGISTRY_COLUMNS.get(self.cert_request.form, []):
            self.fields[name] = forms.CharField(
                label=capfirst(label),
                required=False,
                disabled=True,
                initial=registry_shown(chosen, name),
                widget=forms.TextInput(attrs={"readonly": True, "class": "registry"}),
            )
            self.fields[name].mandatory = False

    def _show_registry_of(self, chosen) -> None:
        """A posted serial found: its registry columns show again on a form sent back with
        errors. The registry fields come after the serial's, so their value is read after
        this (Django reads a disabled field's initial while cleaning it)."""
        for name, _label in REGISTRY_COLUMNS.get(self.cert_request.form, []):
            self.fields[name].initial = registry_shown(chosen, name)

    def _field(self, name: str) -> forms.Field:
        model_field = RequestRow._meta.get_field(name)
        label = capfirst(model_field.verbose_name)
        if name in ("certificate", "device"):
            field = forms.CharField(
                max_length=64,
                label=_("Số hiệu chứng thư") if name == "certificate" else _("Số hiệu thiết bị"),
                widget=forms.TextInput(
                    attrs={
                        "placeholder": PLACEHOLDERS[name],
                        "class": "mono",
                        "autocomplete": "off",
                    }
                ),
            )
        elif name == "revoke_reason":
            field = forms.ChoiceField(
                label=label, choices=[("", _("— Chọn lý do thu hồi —"))] + revoke_reason_choices()
            )
            # Shown: only the reasons of the chosen certificate's subject kind. Accepted: any
            # Art. 17 case, so that a mismatch gets the rule's own message, not "invalid choice".
            field.widget.choices = [("", _("— Chọn lý do thu hồi —"))] + revoke_reason_choices(
                self.chosen_certificate
            )
        elif name == "sim_carrier":
            field = forms.ChoiceField(
                label=label,
                choices=[("", _("Không dùng SIM PKI"))] + list(model_field.choices),
            )
        elif name == "change_field":
            field = forms.ChoiceField(
                label=label, choices=[("", _("— Không thay đổi —"))] + list(model_field.choices)
            )
        elif name == "key_storage":
            field = forms.ChoiceField(
                label=label, choices=[("", _("— Chọn —"))] + list(model_field.choices)
            )
        elif isinstance(model_field, models.DateField):  # encrypted ones store text
            # its date bounds are the model field's validators, applied by the row rules
            field = VnDateField(label=label)
        elif model_field.get_internal_type() == "BooleanField":
            field = forms.BooleanField(label=label)
        else:
            field = model_field.formfield()
            field.label = label
            if name in ("mobile", "national_id", "tax_code", "budget_code"):
                field.widget.attrs["inputmode"] = "tel" if name == "mobile" else "numeric"
        field.required = False
        field.help_text = ROW_HELP.get(name, "")
        if self.cert_request.form == FormKind.RENEW_CHANGE:
            field.help_text = MOVE_HELP.get(name, field.help_text)
        field.mandatory = name in self.required_columns
        return field

    # The certificate / device: a serial typed or picked, resolved within the user's scope.
    def _visible_by_serial(self, queryset, value: str):
        value = value.strip()
        matches = list(queryset.filter(serial__in={value, value.lower(), value.upper()})[:5])
        if len(matches) > 1:
            # Same serial on two device kinds: prefer the one of this letter's agency.
            agency = self.cert_request.agency
            matches = [m for m in matches if m.agency and m.agency.is_within(agency)] or matches
        return matches[0] if matches else None

    def clean_certificate(self):
        value = self.cleaned_data.get("certificate", "")
        if not value:
            return None
        certificate = self._visible_by_serial(
            Certificate.objects.visible_to(self.user).select_related("agency").defer("der"), value
        )
        if certificate is None and self._moving_in():
            # A person moving in from another agency: their certificate is named by serial
            # and ID number together (docs/domain.md §5.3.1), never by serial alone.
            typed = self.data.get(self.add_prefix("national_id"), "")
            certificate = (
                Certificate.objects.held_by_person(
                    serial=value, national_id=typed or self.kept.get("national_id", "")
                )
                .select_related("agency", "person")
                .defer("der")
                .first()
            )
            if certificate is None:
                raise ValidationError(move_mismatch_message())
        if certificate is None:
            raise ValidationError(
                _("Không tìm thấy chứng thư có số hiệu “%(s)s”."), params={"s": value}
            )
        self.chosen_certificate = certificate
        self._show_registry_of(certificate)
        if "revoke_reason" in self.fields:
            self.fields["revoke_reason"].widget.choices = [
                ("", _("— Chọn lý do thu hồi —"))
            ] + revoke_reason_choices(certificate)
        return certificate

    def _moving_in(self) -> bool:
        return (
            self.cert_request.form == FormKind.RENEW_CHANGE
            and self.data.get(self.add_prefix("change_field")) == ChangeField.AGENCY
        )

    def clean_device(self):
        value = self.cleaned_data.get("device", "")
        if not value:
            return None
        device = self._visible_by_serial(
            Device.objects.visible_to(self.user).select_related("agency"), value
        )
        if device is None:
            raise ValidationError(
                _("Không tìm thấy thiết bị có số hiệu “%(s)s”."), params={"s": value}
            )
        self.chosen_device = device
        self._show_registry_of(device)
        return device

    def service_data(self) -> dict:
        """The cleaned columns, as `row_save(data=...)` takes them; a masked column left blank
        on a saved row is left out (the row keeps it, an imported ID stays unconfirmed)."""
        left = self.left_blank() if isinstance(self.kept_from, RequestRow) else set()
        return {name: self.cleaned_data.get(name) for name in self.columns if name not in left}

    def add_row_errors(self, errors: dict[str, list[str]]) -> None:
        """Put `RowInvalid.errors` next to their fields (row-wide ones at the top)."""
        for name, messages in errors.items():
            target = name if name in self.fields else None
            for message in messages:
                self.add_error(target, message)


def registry_shown(chosen, name: str) -> str:
    """A registry column as the row form shows it: the person's ID and its date masked."""
    if name not in MASKED_REGISTRY:
        return registry_text(chosen, name)
    key = MASKED_REGISTRY[name]
    person = chosen.person if getattr(chosen, "person_id", None) else None
    value = getattr(person, key.rpartition(".")[2]) if person is not None else None
    return masked(key, value) if value else ""


def row_initial(row: RequestRow) -> dict:
    """A saved row's values as the form shows them, the masked columns aside (`RowForm`)."""
    initial = {}
    for name in FORM_COLUMNS[row.cert_request.form]:
        if name in MASKED_COLUMNS:
            continue
        if name == "certificate":
            initial[name] = row.certificate.serial if row.certificate_id else ""
        elif name == "device":
            initial[name] = row.device.serial if row.device_id else ""
        else:
            initial[name] = getattr(row, name)
    return initial


def row_initial_from_query(query, columns) -> dict:
    """What the row form held when the clerk picked something (htmx sends the form along):
    kept so that picking a person, certificate or device does not lose what was typed."""
    if not any(name in query for name in columns):
        return {}
    initial = {}
    for name in columns:
        field = RequestRow._meta.get_field(name)
        if field.get_internal_type() == "BooleanField":
            initial[name] = query.get(name) in ("on", "true", "1", "True")
        elif name in query:
            initial[name] = query.get(name)
    return initial


def row_initial_from_person(person) -> dict:
    """Mẫu 01 columns filled from a person of the agency, the masked ones aside: the form
    keeps those from the person (`RowForm`, `kept_from`)."""
    return {
        name: value
        for name, value in issue_row_from_person(person).items()
        if name not in MASKED_COLUMNS
    }


# --- Excel ---------------------------------------------------------------------------------
class ExcelUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Tệp Excel (.xlsx)"),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )
