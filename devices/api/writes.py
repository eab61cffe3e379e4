"""A device's writes over the API that devices owns: the hand-over to subscribers with its
Mẫu 07 notice, and the hand-back of devices owing their return with its Mẫu 08 minutes.
Input serializer → the page's form (the same checks) → the same service as the page
(`handover_notice_create`, `return_minutes_create`) → output serializer (docs/architecture.md
§2.8, §9). A loss (Mẫu 09, then a Mẫu 05 letter) is a flow of requests_app: its endpoint
lives there (paperwork/api.py)."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.generics import get_object_or_404

from agencies.models import Organization
from devices import services
from devices.choices import DeviceCondition, ReceiverKind
from devices.forms import HandoverForm, MinutesForm
from devices.models import Device, HandoverNotice, ReturnMinutes
from devices.permissions import clerk_agencies, is_clerk_of

DEVICE_IDS = serializers.ListField(
    child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
    allow_empty=False,
    max_length=500,
    help_text=_("Mã các thiết bị (id)."),
)
AGENCY = serializers.IntegerField(
    required=False,
    min_value=1,
    max_value=2**63 - 1,
    help_text=_("Mã cơ quan (nơi bạn là cán bộ đầu mối); bỏ trống: cơ quan đầu tiên của bạn."),
)


class HandoverSerializer(serializers.Serializer):
    agency = AGENCY
    devices = DEVICE_IDS
    acknowledged = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        required=False,
        help_text=_("Thiết bị mà thuê bao đã ký nhận: phải gồm mọi thiết bị bàn giao."),
    )
    handed_on = serializers.DateField(help_text=_("Ngày bàn giao (không sau hôm nay)."))


class MinutesSerializer(serializers.Serializer):
    agency = AGENCY
    devices = DEVICE_IDS
    held_on = serializers.DateField(help_text=_("Ngày giao nhận."))
    held_time = serializers.TimeField(help_text=_("Giờ giao nhận (hh:mm)."))
    place = serializers.CharField(max_length=255, help_text=_("Địa điểm giao nhận."))
    receiver_kind = serializers.ChoiceField(choices=ReceiverKind.choices)
    agency_representative = serializers.CharField(max_length=128)
    agency_representative_title = serializers.CharField(
        max_length=128, required=False, allow_blank=True
    )
    receiver_representative = serializers.CharField(
        max_length=128, required=False, allow_blank=True
    )
    receiver_representative_title = serializers.CharField(
        max_length=128, required=False, allow_blank=True
    )
    conditions = serializers.DictField(
        child=serializers.ChoiceField(choices=DeviceCondition.choices),
        required=False,
        help_text=_("Tình trạng từng thiết bị theo mã thiết bị; mặc định: bình thường."),
    )


class HandoverItemSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    device = serializers.IntegerField(source="device_id")
    subscriber_name = serializers.CharField()
    certificate_serial = serializers.CharField()


class HandoverNoticeSerializer(serializers.ModelSerializer):
    agency = serializers.CharField(source="agency.name")
    items = HandoverItemSerializer(many=True)

    class Meta:
        model = HandoverNotice
        fields = ["id", "number", "agency", "issued_on", "handed_on", "sent_at", "items"]


class MinutesItemSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    device = serializers.IntegerField(source="device_id")
    subscriber_name = serializers.CharField()
    certificate_serial = serializers.CharField()
    condition = serializers.CharField()


class ReturnMinutesSerializer(serializers.ModelSerializer):
    agency = serializers.CharField(source="agency.name")
    receiver = serializers.CharField(source="receiver.name")
    items = MinutesItemSerializer(many=True)

    class Meta:
        model = ReturnMinutes
        fields = [
            "id",
            "number",
            "agency",
            "held_at",
            "place",
            "receiver_kind",
            "receiver",
            "agency_representative",
            "sent_at",
            "items",
        ]


def clerk_agency(user, agency_id: int | None) -> Organization:
    """The agency the clerk acts for: the one named if the user sees it (else 404) and is its
    clerk (else 403); none named: their first, as the page chooses."""
    if agency_id is not None:
        agency = get_object_or_404(Organization.objects.visible_to(user), pk=agency_id)
        if not is_clerk_of(user, agency):
            raise PermissionDenied
        return agency
    paths = clerk_agencies(user)
    if not paths:
        raise PermissionDenied
    return Organization.objects.filter(path__in=paths).order_by("name").first()


def visible_devices(user, ids) -> list[Device]:
    """The devices named, each seen by the user: one out of scope is a 404, as on its page."""
    wanted = set(ids)
    found = list(
        Device.objects.visible_to(user)
        .filter(pk__in=wanted)
        .select_related("agency", "holder")
        .order_by("pk")
    )
    if len(found) != len(wanted):
        raise Http404
    return found


def _form_data(data: dict, names) -> dict:
    return {name: data[name] for name in names if data.get(name) not in (None, "")}


def _form_errors(form) -> serializers.ValidationError:
    return serializers.ValidationError({k: [str(m) for m in v] for k, v in form.errors.items()})


def handover(*, data: dict, user) -> HandoverNotice:
    devices = visible_devices(user, data["devices"])  # out of scope first: 404, then 403
    agency = clerk_agency(user, data.get("agency"))
    form = HandoverForm(
        {
            "handed_on": data["handed_on"].isoformat(),
            "devices": [str(pk) for pk in data["devices"]],
            "acknowledged": [str(pk) for pk in data.get("acknowledged", [])],
        },
        candidates=devices,
    )
    if not form.is_valid():
        raise _form_errors(form)
    return services.handover_notice_create(
        agency=agency,
        devices=devices,
        acknowledged={int(pk) for pk in form.cleaned_data["acknowledged"]},
        handed_on=form.cleaned_data["handed_on"],
        by=user,
    )


def hand_back(*, data: dict, user) -> ReturnMinutes:
    devices = visible_devices(user, data["devices"])  # out of scope first: 404, then 403
    agency = clerk_agency(user, data.get("agency"))
    conditions = {str(k): v for k, v in (data.get("conditions") or {}).items()}
    form = MinutesForm(
        {
            **_form_data(data, MinutesSerializer().fields),
            "held_on": data["held_on"].isoformat(),
            "held_time": data["held_time"].strftime("%H:%M"),
            "devices": [str(pk) for pk in data["devices"]],
            **{f"condition_{d.pk}": conditions.get(str(d.pk), "") for d in devices},
        },
        candidates=devices,
    )
    if not form.is_valid():
        raise _form_errors(form)
    cleaned = form.cleaned_data
    return services.return_minutes_create(
        agency=agency,
        devices=devices,
        held_at=form.held_at(),
        place=cleaned["place"],
        receiver_kind=cleaned["receiver_kind"],
        agency_representative=cleaned["agency_representative"],
        agency_representative_title=cleaned["agency_representative_title"],
        receiver_representative=cleaned["receiver_representative"],
        receiver_representative_title=cleaned["receiver_representative_title"],
        conditions=form.conditions(),
        by=user,
    )
