"""A user's own notifications over the API: the notification centre's list (same FilterSet,
same order: open unread first) and marking one or all read through the same
`notification_mark_read` as the page (portal/views.py). Nobody sees another's notifications:
another user's id is a 404."""

from django.db.models import F
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from portal.api.idempotency import idempotent
from portal.api.pagination import NumberedPage
from portal.api.schema import IDEMPOTENCY_KEY, NO_PAGE, problems
from portal.filters import NotificationFilterSet
from portal.models import Notification
from portal.notifications import notification_mark_read, unread_count


class NotificationSerializer(serializers.ModelSerializer):
    # in the reader's language (portal/texts.py)
    message = serializers.CharField(source="text", read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "message", "url", "kind", "subject", "created_at", "read_at", "closed_at"]


class MarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text=_("Số thông báo vừa được đánh dấu đã đọc."))
    unread = serializers.IntegerField(help_text=_("Số thông báo chưa đọc còn lại."))


class NotificationViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = NotificationSerializer
    # Ordered by meaning (not by creation), short per user: numbered pages, not the cursor
    # of the large lists (docs/api.md §9).
    pagination_class = NumberedPage
    filterset_class = NotificationFilterSet

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return Notification.objects.none()
        return Notification.objects.filter(user=self.request.user).order_by(
            F("closed_at").asc(nulls_first=True),
            F("read_at").asc(nulls_first=True),
            "-created_at",
            "-pk",
        )

    @extend_schema(
        summary=_("Thông báo của tôi"),
        description=_(
            "Thông báo của chính người dùng, chưa đọc trước; lọc show=unread (chưa đọc, còn "
            "hiệu lực) hoặc all, và theo loại."
        ),
        responses={
            200: NotificationSerializer(many=True),
            **problems(400, 401, 404, status_404=NO_PAGE),
        },
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary=_("Một thông báo của tôi"),
        responses={200: NotificationSerializer, **problems(401, 404)},
    )
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    def _marked(self, count: int) -> Response:
        return Response({"marked": count, "unread": unread_count(self.request.user)})

    @extend_schema(
        summary=_("Đánh dấu đã đọc"),
        description=_("Đánh dấu một thông báo của bạn là đã đọc."),
        request=None,
        responses={200: MarkedSerializer, **problems(401, 404)},
        parameters=[IDEMPOTENCY_KEY],
        operation_id="thong_bao_da_doc",
        filters=False,
    )
    @action(detail=True, methods=["post"], url_path="da-doc", filterset_class=None)
    @idempotent
    def read(self, request, pk=None, format=None):
        notification = get_object_or_404(self.get_queryset(), pk=pk)
        return self._marked(
            notification_mark_read(user=request.user, notification_id=notification.pk)
        )

    @extend_schema(
        summary=_("Đánh dấu tất cả đã đọc"),
        description=_("Đánh dấu mọi thông báo chưa đọc của bạn là đã đọc."),
        request=None,
        responses={200: MarkedSerializer, **problems(401)},
        parameters=[IDEMPOTENCY_KEY],
        operation_id="thong_bao_da_doc_tat_ca",
        filters=False,
    )
    @action(detail=False, methods=["post"], url_path="da-doc", filterset_class=None)
    @idempotent
    def read_all(self, request):
        return self._marked(notification_mark_read(user=request.user))
