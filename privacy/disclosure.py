"""Full values in exports, API answers and documents (docs/privacy.md, "Exports, API and
documents").

An export or an API answer writes ID numbers, birth and ID issue dates and phones masked
(`privacy.masking`). Full values are a deliberate choice: the user asks for them with a reason,
`disclosure_for` allows them only when the user may see every one of those fields in full
(`may_unmask`: the inventory's roles; an administrator's override does not count), and the
`Disclosure` it answers writes the values and records the one access (`privacy.access`) the
file or the answer makes, once it is made and before it is answered: a recording that fails
fails the request, and nothing is answered. `full_export_page` is the page every export with
full values goes through: what it will hold, a reason, the download.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django import forms
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agencies.validators import nfc
from portal.errors import DomainError
from privacy.access import REASON_MAX, Subject, personal_data_access_record
from privacy.choices import AccessChannel
from privacy.masking import is_masked, masked, may_unmask


def field_label(key: str) -> str:
    """The field's name as the user reads it ("số định danh cá nhân"), from the model's own
    verbose name (looked up in the registry: privacy imports no app above it)."""
    label, name = key.rsplit(".", 1)
    try:
        return str(apps.get_model(label)._meta.get_field(name).verbose_name)
    except (LookupError, FieldDoesNotExist):
        return name


def fields_text(keys: Iterable[str]) -> str:
    """ "số định danh cá nhân, ngày sinh": each label once, in the order given."""
    return ", ".join(dict.fromkeys(field_label(key) for key in keys))


@dataclass(frozen=True)
class Disclosure:
    """Which of the inventory's fields (`app.Model.field`) an export or an answer writes in
    full, through which channel and why. The default, `MASKED`, writes every masked field
    masked and records nothing."""

    fields: frozenset[str] = frozenset()
    reason: str = ""
    channel: str = AccessChannel.EXPORT

    @property
    def full(self) -> bool:
        return bool(self.fields)

    def show(self, key: str, value):
        """`value` of the field `key` as the file or the answer writes it: as it is when the
        field is not masked or was asked for in full, else its mask (a blank stays blank)."""
        if value is None or value == "" or key in self.fields or not is_masked(key):
            return value
        return masked(key, value)

    def record(self, *, by, subjects: Iterable[Subject], obj=None):
        """The one access these full values make (nothing when none were asked for). Call it
        once the file or the answer is made, before it is answered (it is atomic itself)."""
        if not self.fields:
            return None
        return personal_data_access_record(
            by=by,
            channel=self.channel,
            subjects=subjects,
            fields=sorted(self.fields),
            reason=self.reason,
            obj=obj,
        )


MASKED = Disclosure()


def disclosure_for(user, keys: Iterable[str], *, reason: str, channel: str) -> Disclosure:
    """Full values of `keys` for `user`, who has already been given the records through
    `visible_to`. Refused with a DomainError, before anything is read or written: `forbidden`
    when the user may not see one of the fields in full (the API answers 403), and
    `reason_required` / `reason_too_long` for the reason."""
    keys = sorted(set(keys))
    refused = [key for key in keys if not may_unmask(user, key)]
    if refused:
        raise DomainError(
            _(
                "Vai trò của bạn không được xem đầy đủ %(fields)s: tệp và dữ liệu trả về chỉ "
                "ghi các giá trị này đã che."
            )
            % {"fields": fields_text(refused)},
            code="forbidden",
        )
    reason = nfc(reason or "").strip()
    if not reason:
        raise DomainError(
            _("Hãy nêu lý do cần xem dữ liệu cá nhân đầy đủ."), code="reason_required"
        )
    if len(reason) > REASON_MAX:
        raise DomainError(
            _("Lý do dài quá %(max)d ký tự.") % {"max": REASON_MAX}, code="reason_too_long"
        )
    return Disclosure(frozenset(keys), reason, channel)


def may_disclose(user, keys: Iterable[str]) -> bool:
    """Whether `user` may ask for every field of `keys` in full."""
    return all(may_unmask(user, key) for key in keys)


class FullExportForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Lý do cần giá trị đầy đủ"),
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "Được ghi vào nhật ký truy cập dữ liệu cá nhân cùng tên bạn, thời điểm và những "
            "người có trong tệp."
        ),
    )


def full_export_page(
    request,
    *,
    keys: Iterable[str],
    title: str,
    back_url: str,
    build: Callable[[Disclosure], tuple[HttpResponse, list[Subject], object]],
    refuse: Callable[[], str | None] = lambda: None,
) -> HttpResponse:
    """The page of an export with full values: GET shows what the file will hold in full and
    asks why; POST checks the right and the reason, then `build(disclosure)` writes the file
    (answering the response, the file's subjects and the object it is about) and its one
    access is recorded before the file is answered: if recording fails, no file is.
    A user who may not see these fields in full gets the page with the refusal, status 403,
    and nothing is written; `refuse()` may name another reason not to build (too many rows)."""
    keys = sorted(set(keys))
    allowed = may_disclose(request.user, keys)
    form = FullExportForm(request.POST if request.method == "POST" else None)
    error = None
    if not allowed:
        error = _(
            "Vai trò của bạn không được xem đầy đủ %(fields)s: hãy dùng tệp xuất thường, các "
            "giá trị này đã được che."
        ) % {"fields": fields_text(keys)}
    elif request.method == "POST" and form.is_valid():
        error = refuse()
        if error is None:
            try:
                disclosure = disclosure_for(
                    request.user,
                    keys,
                    reason=form.cleaned_data["reason"],
                    channel=AccessChannel.EXPORT,
                )
            except DomainError as exc:
                form.add_error("reason", exc.message)
            else:
                response, subjects, obj = build(disclosure)
                disclosure.record(by=request.user, subjects=subjects, obj=obj)
                return response
    context = {
        "title": title,
        "fields": fields_text(keys),
        "back_url": back_url,
        "form": form if allowed else None,
        "error": error,
    }
    return render(request, "privacy/full_export.html", context, status=200 if allowed else 403)
