"""The letter's writes over the API: input serializer → the same service as the page → output
serializer (docs/architecture.md §2.8). Rows go through the editor's `RowForm` and the
services' rules; every action of the lifecycle table a user may take is one POST
`/api/v1/van-ban/{id}/{action}/`, confirmed with the password (and one-time code) where the
table says `reauth`, exactly as the page checks it."""

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.generics import get_object_or_404

from agencies.accounts.reauth import reauth_verify
from agencies.models import Organization
from requests_app import services
from requests_app.choices import FormKind
from requests_app.exceptions import RowInvalid, RowsInvalid
from requests_app.forms import RowForm
from requests_app.lifecycle import ACTIONS
from requests_app.models import CertRequest
from requests_app.permissions import require
from requests_app.services.drafting import CONTACT_FIELDS

# The actions a user may take over the API, by their name in the URL: every action of the
# lifecycle table with a service behind it (its `effect`).
API_ACTIONS = [name for name, action in ACTIONS.items() if action.effect]


class RowsField(serializers.ListField):
    child = serializers.DictField()


class CertRequestCreateSerializer(serializers.Serializer):
    form = serializers.ChoiceField(choices=FormKind.choices, help_text=_("Loại văn bản (01–06)."))
    agency = serializers.IntegerField(
        min_value=1,
        max_value=2**31 - 1,
        help_text=_("Mã cơ quan đề nghị (nơi bạn là cán bộ đầu mối)."),
    )
    contact = serializers.DictField(
        required=False, help_text=_("Phần 1: người liên hệ, nhận kết quả (các trường của văn bản).")
    )
    rows = RowsField(
        required=False, help_text=_("Các dòng danh sách, mỗi dòng là các cột của mẫu.")
    )


class SignedUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text=_(
            "Tệp PDF do lãnh đạo cơ quan ký số bằng thiết bị riêng (bản PDF chưa ký của cổng)."
        )
    )


class RowsSerializer(serializers.Serializer):
    rows = RowsField(min_length=1, help_text=_("Các dòng thêm vào dự thảo."))


class DecisionSerializer(serializers.Serializer):
    position = serializers.IntegerField(
        min_value=1, max_value=2**31 - 1, help_text=_("STT của dòng.")
    )
    decision = serializers.ChoiceField(choices=["accept", "refuse"])
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)


class ActionSerializer(serializers.Serializer):
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text=_("Ghi chú hoặc lý do (bắt buộc khi trả lại, từ chối)."),
    )
    number = serializers.CharField(required=False, allow_blank=True, max_length=64)
    password = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=4096,
        trim_whitespace=False,
        help_text=_("Mật khẩu xác nhận, với các thao tác cần xác thực lại."),
    )
    otp = serializers.CharField(required=False, allow_blank=True, max_length=32)
    decisions = DecisionSerializer(many=True, required=False)


def _rows_data(cert_request, user, rows: list[dict]) -> list[dict]:
    """Each row through the editor's form (types, serials looked up in scope); all errors per
    row index, or the cleaned data ready for `rows_add_many`."""
    cleaned, errors = [], {}
    for index, data in enumerate(rows):
        form = RowForm(data, cert_request=cert_request, user=user)
        if form.is_valid():
            cleaned.append(form.service_data())
        else:
            errors[index] = {k: [str(m) for m in v] for k, v in form.errors.items()}
    if errors:
        raise RowsInvalid(errors)
    return cleaned


def letter_create(*, data: dict, user) -> CertRequest:
    agency = Organization.objects.filter(pk=data["agency"]).first()
    if agency is None:
        raise serializers.ValidationError({"agency": [_("Không có cơ quan này.")]})
    contact = {k: v for k, v in (data.get("contact") or {}).items() if k in CONTACT_FIELDS}
    with transaction.atomic():
        cert_request = services.cert_request_create(
            agency=agency, form=data["form"], by=user, **contact
        )
        if data.get("rows"):
            rows_add(cert_request=cert_request, rows=data["rows"], user=user)
    return cert_request


def rows_add(*, cert_request: CertRequest, rows: list[dict], user, replace=False) -> None:
    require(user, "edit", cert_request)
    service = services.rows_replace if replace else services.rows_add_many
    service(cert_request=cert_request, by=user, rows_data=_rows_data(cert_request, user, rows))


def letter_act(*, request, cert_request: CertRequest, name: str, data: dict):
    spec = ACTIONS[name]
    if spec.reauth:
        # Same order as the page: the right first (403 or "someone acted first"), then who is
        # typing; the service decides again on the locked letter.
        require(request.user, spec.name, cert_request)
        reauth_verify(
            request=request._request,
            password=data.get("password", ""),
            code=data.get("otp", ""),
            purpose=spec.name,
            obj=cert_request,
        )
    if name == "decide_rows":
        return _decide(request.user, cert_request, data)
    kwargs = {}
    if spec.takes == "number":
        kwargs = {"number": data.get("number", "")}
    elif spec.takes:
        kwargs["note"] = data.get("note", "")
    return getattr(services, spec.effect)(cert_request=cert_request, by=request.user, **kwargs)


def _decide(user, cert_request, data):
    decisions = data.get("decisions")
    if not decisions:
        # No list: accept every valid row, as the page's button does.
        return services.cert_request_accept_valid_rows(cert_request=cert_request, by=user)
    for item in decisions:
        row = get_object_or_404(cert_request.rows.all(), position=item["position"])
        row.cert_request = cert_request
        try:
            services.row_decide(
                row=row, by=user, accept=item["decision"] == "accept", note=item.get("note", "")
            )
        except RowInvalid as exc:
            raise RowsInvalid({item["position"]: exc.errors}) from exc
    return None
