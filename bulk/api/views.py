"""Bulk jobs over the API, with the pages' rules (bulk/views.py, docs/bulk.md): POST the
register, the filter (the register's own query string), the action, its parameters and the
reason; without `confirm` the answer is the preview (how many, the first rows, the reasons
that apply, whether a second person must approve), with `confirm: true` the job is created
(202). GET a job for its progress, and its items (paged) for each object's outcome.
Refusals are the services': 403 for an action the caller may not take, 422 otherwise."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from agencies.accounts.reauth import reauth_verify
from bulk import selection, services
from bulk.actions import action_spec, actions_for, revocation_waits_for
from bulk.choices import BulkAction, Register
from bulk.forms import REAUTH_ACTIONS
from bulk.models import BulkItem, BulkJob
from bulk.registers import REGISTERS
from portal.api.schema import documented_reads, problems
from portal.errors import DomainError

BULK_PROBLEMS = problems(status_404=_("Không có việc hàng loạt này trong phạm vi của bạn."))


class BulkJobSerializer(serializers.ModelSerializer):
    requested_by = serializers.CharField(source="requested_by.username")
    processed = serializers.IntegerField(read_only=True)
    percent = serializers.IntegerField(read_only=True)
    # The draft letters a drafting job made (docs/bulk.md, "Drafting letters").
    letters = serializers.SerializerMethodField()

    def get_letters(self, job) -> list[int]:
        return sorted(made.cert_request_id for made in job.letters.all())

    class Meta:
        model = BulkJob
        fields = [
            "id", "register", "action", "query", "params", "reason", "requested_by", "status",
            "total", "processed", "percent", "done_count", "failed_count", "skipped_count",
            "created_at", "started_at", "finished_at", "approval", "outcome", "attempts", "letters",
        ]  # fmt: skip
        read_only_fields = fields


class BulkItemSerializer(serializers.ModelSerializer):
    # Whether the caller may see the item's object (`visible_to`, the job's page's rule): the
    # key and the message of one they may not are left out (null, ""), as the page leaves
    # them out: the message may name the object's agency.
    object_id = serializers.SerializerMethodField()
    in_scope = serializers.SerializerMethodField()
    message = serializers.SerializerMethodField()

    def get_object_id(self, item) -> int | None:
        return item.object_id if self.get_in_scope(item) else None

    def get_in_scope(self, item) -> bool:
        return item.object_id in self.context.get("seen", ())

    def get_message(self, item) -> str:
        return item.message if self.get_in_scope(item) else ""

    class Meta:
        model = BulkItem
        fields = ["object_id", "status", "in_scope", "message"]
        read_only_fields = fields


class BulkRequestSerializer(serializers.Serializer):
    register = serializers.ChoiceField(choices=Register.choices, default=Register.CERTIFICATES)
    query = serializers.CharField(
        max_length=4000, required=False, allow_blank=True, default="",
        help_text=_(
            "Bộ lọc như trang của sổ đọc (/chung-thu/, /thiet-bi/, /van-ban/), "
            "ví dụ: agency=12&status=valid"
        ),
    )  # fmt: skip
    action = serializers.ChoiceField(choices=BulkAction.choices)
    params = serializers.DictField(
        child=serializers.CharField(max_length=64, allow_blank=True), required=False, default=dict
    )
    password = serializers.CharField(
        max_length=4096, trim_whitespace=False, required=False, allow_blank=True,
        help_text=_("Mật khẩu của bạn, nhập lại để xác nhận một thao tác không hoàn tác được "
                    "(thu hồi)."),
    )  # fmt: skip
    otp = serializers.CharField(
        max_length=32, required=False, allow_blank=True,
        help_text=_("Mã xác thực, khi tài khoản có xác thực hai lớp."),
    )  # fmt: skip
    reason = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
    confirm = serializers.BooleanField(required=False, default=False)


@extend_schema_view(**documented_reads(BulkJobSerializer))
class BulkJobViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = BulkJobSerializer

    def get_queryset(self):
        return (
            BulkJob.objects.visible_to(self.request.user)
            .select_related("requested_by")
            .prefetch_related("letters")
            .order_by("-pk")  # the cursor walks the newest first (docs/api.md §9)
        )

    @extend_schema(
        summary=_("Xem trước hoặc lập việc hàng loạt"),
        request=BulkRequestSerializer,
        responses={200: None, 202: BulkJobSerializer, **BULK_PROBLEMS},
    )
    def create(self, request, *args, **kwargs):
        data = BulkRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        data = data.validated_data
        if action_spec(data["register"], data["action"]) is None:
            raise DomainError(_("Sổ này không có thao tác này."), code="register")
        if data["action"] not in actions_for(request.user, data["register"]):
            raise DomainError(
                _("Bạn không có quyền thực hiện thao tác này hàng loạt."), code="forbidden"
            )
        if not data["confirm"]:
            preview = selection.preview(
                register=data["register"], query=data["query"], user=request.user
            )
            return Response(
                {
                    "query": preview.query,
                    "count": preview.count,
                    "max_items": preview.cap,
                    "too_many": preview.too_many,
                    # the register's short names: serials, a letter's number (or #id)
                    "sample": [row.key for row in preview.rows],
                    "sample_ids": [obj.pk for obj in preview.sample],
                    "revocation_reasons": [value for value, _label in preview.reasons],
                    "organizations": preview.organizations,
                    "approval_needed": data["action"] == BulkAction.REVOKE
                    and revocation_waits_for(
                        selection.register_rows(
                            register=data["register"], query=data["query"], user=request.user
                        )[0],
                        request.user,
                        preview.count,
                    )
                    is not None,
                }
            )
        if data["action"] in REAUTH_ACTIONS:
            reauth_verify(
                request=request._request,
                password=data.get("password", ""),
                code=data.get("otp", ""),
                purpose="bulk_job.create",
            )
        job = services.bulk_job_create(
            register=data["register"],
            query=data["query"],
            action=data["action"],
            params=data["params"],
            reason=data["reason"],
            by=request.user,
        )
        return Response(BulkJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary=_("Kết quả từng đối tượng"),
        responses={200: BulkItemSerializer(many=True), **problems(400, 401, 404)},
    )
    @action(detail=True, methods=["get"], url_path="doi-tuong")
    def items(self, request, pk=None, format=None):
        job = self.get_object()
        page = self.paginate_queryset(job.items.all())  # by the cursor's order
        seen = REGISTERS[job.register].visible_ids(request.user, [i.object_id for i in page])
        items = BulkItemSerializer(page, many=True, context={"seen": seen})
        return self.get_paginated_response(items.data)
