"""The open deadlines a user may follow (portal.models.Deadline, docs/processing.md §4.9),
read-only: scoped by the deadline's agency within the user's scope
(`agencies.deadlines.deadlines_visible_to`), soonest due first."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets

from agencies.deadlines import deadlines_visible_to
from portal.api.pagination import NumberedPage
from portal.api.schema import NO_PAGE, problems
from portal.models import Deadline


class DeadlineSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display")
    actor_label = serializers.CharField(source="get_actor_display")

    class Meta:
        model = Deadline
        fields = [
            "id",
            "kind",
            "kind_label",
            "subject",
            "label",
            "url",
            "due_on",
            "state",
            "actor",
            "actor_label",
            "agency_id",
            "level",
            "opened_at",
        ]


class DeadlineViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = DeadlineSerializer
    # Ordered by meaning (not by creation), short per user: numbered pages, not the cursor
    # of the large lists (docs/api.md §9).
    pagination_class = NumberedPage

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return Deadline.objects.none()
        return deadlines_visible_to(self.request.user).order_by("due_on", "pk")

    @extend_schema(
        summary=_("Thời hạn đang mở"),
        description=_(
            "Các thời hạn xử lý chưa đóng của các cơ quan trong phạm vi của bạn (Sở KH&CN xem "
            "xét, CA xử lý, khôi phục thiết bị, bàn giao lại thiết bị, đăng ký nhu cầu), hạn "
            "gần nhất trước."
        ),
        responses={
            200: DeadlineSerializer(many=True),
            **problems(400, 401, 404, status_404=NO_PAGE),
        },
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary=_("Một thời hạn đang mở"),
        responses={200: DeadlineSerializer, **problems(401, 404)},
    )
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)
