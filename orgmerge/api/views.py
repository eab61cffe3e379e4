"""Merger plans over the API, for the officers of the province (and administrators) only,
through the same forms and services as the pages (orgmerge/views.py, docs/architecture.md
§2.8, §9): list and read a plan with its planned actions (the review), create one
(`merger_plan_create`), discard it (`merger_plan_discard`) and apply it
(`merger_plan_apply_request`, after the password and one-time code as the page's button asks:
an approval request, docs/approvals.md, the plan applied once a second person approves).
Out of scope is 404 (`MergerPlan.objects.visible_to`), in scope but not allowed 403
(`orgmerge.permissions`)."""

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from agencies.accounts.reauth import reauth_verify
from approvals.models import Approval
from orgmerge import services
from orgmerge.choices import MergerCase
from orgmerge.forms import PlanForm
from orgmerge.models import MergerPlan, MergerSource, PlannedAction
from orgmerge.permissions import may_plan_any, require_act
from portal.api.idempotency import idempotent
from portal.api.pagination import NumberedPage
from portal.api.schema import IDEMPOTENCY_KEY, NO_PAGE, problems

PLAN_PROBLEMS = problems(
    status_403=_("Chỉ cán bộ Sở KH&CN của tỉnh (hoặc quản trị) được lập và thực hiện phương án."),
    status_404=_("Không có phương án này trong phạm vi của bạn."),
)
ID = serializers.IntegerField(min_value=1, max_value=2**63 - 1)


class PlanCreateSerializer(serializers.Serializer):
    case = serializers.ChoiceField(choices=MergerCase.choices, help_text=_("Trường hợp sáp nhập."))
    sources = serializers.ListField(
        child=ID, allow_empty=False, help_text=_("Mã các cơ quan, đơn vị được sáp nhập.")
    )
    target_name = serializers.CharField(
        max_length=255, required=False, allow_blank=True, help_text=_("Tên cơ quan mới (a).")
    )
    survivor = serializers.IntegerField(
        min_value=1,
        max_value=2**63 - 1,
        required=False,
        help_text=_("Cơ quan giữ nguyên tên (b), trong số các cơ quan được sáp nhập."),
    )
    superior = serializers.IntegerField(
        min_value=1,
        max_value=2**63 - 1,
        required=False,
        help_text=_("Cơ quan quản lý cấp trên mới (c)."),
    )
    effective_on = serializers.DateField(help_text=_("Ngày có hiệu lực."))


class ApplySerializer(serializers.Serializer):
    password = serializers.CharField(
        max_length=4096,
        trim_whitespace=False,
        allow_blank=True,
        help_text=_("Mật khẩu của bạn, nhập lại để xác nhận."),
    )
    otp = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        help_text=_("Mã xác thực, khi tài khoản có xác thực hai lớp."),
    )
    reason = serializers.CharField(
        max_length=1000,
        required=False,
        allow_blank=True,
        help_text=_("Lý do, cho người phê duyệt đọc (không bắt buộc)."),
    )


class DiscardSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class PlannedActionSerializer(serializers.ModelSerializer):
    source = serializers.CharField(source="source.name")
    certificate = serializers.CharField(source="certificate.serial", default=None)
    person = serializers.CharField(source="person.full_name", default=None)
    device = serializers.CharField(source="device.serial", default=None)

    class Meta:
        model = PlannedAction
        fields = ["id", "kind", "source", "certificate", "person", "device", "letter", "reason"]


class PlanSerializer(serializers.ModelSerializer):
    province = serializers.CharField(source="province.name", default=None)
    target = serializers.CharField(source="target.name", default=None)
    target_code = serializers.CharField(
        source="target.code",
        default=None,
        allow_null=True,
        help_text=_("Mã định danh điện tử của cơ quan đích, null khi chưa có."),
    )
    sources = serializers.SerializerMethodField()
    # Plain text in the schema: an enum named "status" would collide with the letters'.
    status = serializers.CharField(
        help_text=_(
            "draft (đang lập), applying (đang thực hiện), applied (đã thực hiện), discarded (đã hủy)."
        )
    )

    class Meta:
        model = MergerPlan
        fields = [
            "id",
            "case",
            "status",
            "province",
            "sources",
            "target",
            "target_code",
            "target_name",
            "effective_on",
            "progress_note",
            "created_at",
        ]

    def get_sources(self, plan) -> list[str]:
        return [source.organization.name for source in plan.sources.all()]


class PendingApprovalSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()


class PlanDetailSerializer(PlanSerializer):
    actions = PlannedActionSerializer(many=True)
    approval = serializers.SerializerMethodField(
        help_text=_(
            "Đề nghị phê duyệt đang mở để thực hiện phương án (/api/v1/phe-duyet/), hoặc null."
        )
    )

    class Meta(PlanSerializer.Meta):
        fields = [*PlanSerializer.Meta.fields, "actions", "approval"]

    @extend_schema_field(PendingApprovalSerializer(allow_null=True))
    def get_approval(self, plan) -> dict | None:
        approval = Approval.objects.open_for(services.plan_key(plan.pk)).first()
        return {"id": approval.pk, "status": approval.status} if approval else None


def _valid(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _review() -> Prefetch:
    """A plan's planned actions, in the order of the review page."""
    actions = PlannedAction.objects.select_related("source", "certificate", "person", "device")
    return Prefetch("actions", queryset=actions.order_by("source__name", "kind", "pk"))


class MergerPlanViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = PlanSerializer
    # A province's few plans: numbered pages (docs/api.md §9).
    pagination_class = NumberedPage

    def get_queryset(self):
        sources = MergerSource.objects.select_related("organization").order_by("pk")
        plans = (
            MergerPlan.objects.visible_to(self.request.user)
            .select_related("province", "target")
            .prefetch_related(Prefetch("sources", queryset=sources))
            .order_by("-created_at", "-pk")
        )
        return plans.prefetch_related(_review()) if self.action == "retrieve" else plans

    def get_serializer_class(self):
        return PlanDetailSerializer if self.action == "retrieve" else PlanSerializer

    def _answer(self, plan, code=status.HTTP_200_OK):
        """The plan as the review reads it, after a write."""
        reviewed = self.get_queryset().prefetch_related(_review()).get(pk=plan.pk)
        return Response(PlanDetailSerializer(reviewed).data, status=code)

    @extend_schema(
        summary=_("Các phương án sáp nhập"),
        description=_("Các phương án sáp nhập của tỉnh bạn, mới nhất trước."),
        responses={
            200: PlanSerializer(many=True),
            **problems(400, 401, 403, 404, status_404=NO_PAGE),
        },
    )
    def list(self, request, *args, **kwargs):
        if not may_plan_any(request.user):
            raise PermissionDenied
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary=_("Xem lại phương án sáp nhập"),
        description=_("Phương án cùng các việc dự kiến cho từng chứng thư, thiết bị và văn bản."),
        responses={200: PlanDetailSerializer, **problems(401, 404)},
    )
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        summary=_("Lập phương án sáp nhập"),
        description=_(
            "Lập phương án như trên trang: các cơ quan được sáp nhập, trường hợp, cơ quan đích "
            "và ngày hiệu lực; phương án được lập ngay và chờ xem lại trước khi thực hiện."
        ),
        request=PlanCreateSerializer,
        responses={201: PlanDetailSerializer, **PLAN_PROBLEMS},
        parameters=[IDEMPOTENCY_KEY],
    )
    @idempotent
    def create(self, request):
        data = _valid(PlanCreateSerializer, request)
        if not may_plan_any(request.user):
            raise PermissionDenied
        form = PlanForm(
            {
                "case": data["case"],
                "sources": [str(pk) for pk in data["sources"]],
                "target_name": data.get("target_name", ""),
                "survivor": data.get("survivor") or "",
                "superior": data.get("superior") or "",
                "effective_on": data["effective_on"].isoformat(),
            },
            user=request.user,
        )
        if not form.is_valid():
            raise serializers.ValidationError(
                {k: [str(m) for m in v] for k, v in form.errors.items()}
            )
        cleaned = form.cleaned_data
        plan = services.merger_plan_create(
            sources=list(cleaned["sources"]),
            case=cleaned["case"],
            target=form.target(),
            target_name=cleaned["target_name"],
            effective_on=cleaned["effective_on"],
            by=request.user,
        )
        return self._answer(plan, status.HTTP_201_CREATED)

    @extend_schema(
        summary=_("Thực hiện phương án sáp nhập"),
        description=_(
            "Đề nghị thực hiện phương án (cần nhập lại mật khẩu, và mã xác thực nếu có): lập đề "
            "nghị phê duyệt (trường approval); khi người thứ hai phê duyệt, phương án chuyển sang "
            "“Đang thực hiện” và được xử lý nền; kết quả xem lại ở phương án."
        ),
        request=ApplySerializer,
        responses={202: PlanDetailSerializer, **PLAN_PROBLEMS},
        parameters=[IDEMPOTENCY_KEY],
        operation_id="sap_nhap_thuc_hien",
    )
    @action(detail=True, methods=["post"], url_path="thuc-hien")
    @idempotent
    def apply(self, request, pk=None, format=None):
        data = _valid(ApplySerializer, request)
        plan = self.get_object()
        require_act(request.user, plan)  # the right first, then who is typing (as the page)
        reauth_verify(
            request=request._request,
            password=data.get("password", ""),
            code=data.get("otp", ""),
            purpose="merger_plan.apply",
            obj=plan,
        )
        services.merger_plan_apply_request(
            plan=plan, by=request.user, reason=data.get("reason", "")
        )
        return self._answer(plan, status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary=_("Hủy phương án sáp nhập"),
        description=_("Hủy phương án đang lập; không có gì được thực hiện."),
        request=DiscardSerializer,
        responses={200: PlanDetailSerializer, **PLAN_PROBLEMS},
        parameters=[IDEMPOTENCY_KEY],
        operation_id="sap_nhap_huy",
    )
    @action(detail=True, methods=["post"], url_path="huy")
    @idempotent
    def discard(self, request, pk=None, format=None):
        data = _valid(DiscardSerializer, request)
        plan = self.get_object()
        require_act(request.user, plan)
        services.merger_plan_discard(plan=plan, by=request.user, note=data.get("note", ""))
        return self._answer(plan)
