"""Forms of the certificates pages: they parse and NFC-normalise input; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from agencies.validators import nfc
from certificates.choices import REASONS_BY_SUBJECT_KIND, RevocationReason, RevocationRequester


class RegisteredRevocationForm(forms.Form):
    """A revocation asked for by a competent authority or by the CA (docs/domain.md §5.5)."""

    requester = forms.ChoiceField(
        label=_("Bên yêu cầu thu hồi"),
        choices=RevocationRequester.choices,
        initial=RevocationRequester.AUTHORITY,
        widget=forms.RadioSelect,
    )
    authority_name = forms.CharField(
        label=_("Tên cơ quan có thẩm quyền"), max_length=255, required=False
    )
    letter_number = forms.CharField(label=_("Số văn bản yêu cầu"), max_length=64)
    letter_date = forms.DateField(
        label=_("Ngày văn bản"),
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
        widget=forms.DateInput(
            format="%d/%m/%Y", attrs={"placeholder": "dd/mm/yyyy", "autocomplete": "off"}
        ),
        error_messages={"invalid": _("Ngày không hợp lệ: hãy nhập theo dạng dd/mm/yyyy.")},
    )
    reason = forms.ChoiceField(label=_("Lý do thu hồi"))
    other_serials = forms.CharField(
        label=_("Số hiệu các chứng thư khác trong cùng văn bản (mỗi dòng một số hiệu)"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3, "class": "mono"}),
    )
    note = forms.CharField(
        label=_("Ghi chú"), required=False, max_length=2000, widget=forms.Textarea({"rows": 2})
    )
    letter = forms.FileField(
        label=_("Văn bản yêu cầu thu hồi (PDF)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,application/pdf"}),
    )

    def __init__(self, *args, certificate, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = REASONS_BY_SUBJECT_KIND.get(certificate.subject_kind, ())
        self.fields["reason"].choices = [("", _("— Chọn lý do thu hồi —"))] + [
            (value, label)
            for value, label in RevocationReason.choices
            if value in allowed and value != RevocationReason.SUPERSEDED
        ]

    def clean(self):
        cleaned = super().clean()
        for name, value in list(cleaned.items()):
            if isinstance(value, str):
                cleaned[name] = nfc(value).strip()
        if cleaned.get("requester") == RevocationRequester.AUTHORITY and not cleaned.get(
            "authority_name"
        ):
            self.add_error(
                "authority_name", _("Hãy ghi tên cơ quan có thẩm quyền yêu cầu thu hồi.")
            )
        return cleaned

    def serials(self) -> list[str]:
        text = self.cleaned_data.get("other_serials", "")
        return [s.strip().upper() for s in text.replace(",", "\n").splitlines() if s.strip()]
