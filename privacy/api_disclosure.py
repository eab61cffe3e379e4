"""The API's masked fields (docs/privacy.md, "Exports, API and documents"; docs/api.md §9).

An answer writes ID numbers, birth and ID issue dates and phones masked. A client asks for
some in full with `?full=<field>,<field>&reason=<why>`: refused before anything is read with
a 400 for a field the endpoint does not have, a 403 when the user may not see one of them in
full (`may_unmask`), a 422 without a reason; allowed, the answer writes them and the request
records one access (channel API) naming the people of the answer."""

from collections.abc import Iterable

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from portal.api.schema import problems
from privacy.choices import AccessChannel
from privacy.disclosure import MASKED, Disclosure, disclosure_for

FULL = "full"
REASON = "reason"


def asked_fields(request) -> list[str]:
    """The names of `?full=`, comma-separated or repeated."""
    return [
        name.strip()
        for value in request.query_params.getlist(FULL)
        for name in value.split(",")
        if name.strip()
    ]


def api_disclosure(request, fields: dict[str, str]) -> Disclosure:
    """What the request asks to see in full among `fields` (the answer's names → the
    inventory's keys), allowed or refused (see the module's docstring). MASKED when nothing
    is asked."""
    names = asked_fields(request)
    if not names:
        return MASKED
    unknown = sorted(set(names) - set(fields))
    if unknown:
        raise ValidationError(
            {
                FULL: [
                    _("Không có trường “%(names)s” để xem đầy đủ; chỉ có: %(choices)s.")
                    % {"names": ", ".join(unknown), "choices": ", ".join(fields)}
                ]
            }
        )
    return disclosure_for(
        request.user,
        [fields[name] for name in names],
        reason=request.query_params.get(REASON, ""),
        channel=AccessChannel.API,
    )


# Comments, not docstrings: drf-spectacular would show a docstring in the API's schema.


class MaskedFieldsMixin:
    # A serializer whose `masked_fields` (its field names → the inventory's keys) are written
    # masked unless the context's `disclosure` shows them in full. Declare those fields as
    # strings: a masked date is no date.

    masked_fields: dict[str, str] = {}

    def to_representation(self, instance):
        data = super().to_representation(instance)
        disclosure = self.context.get("disclosure", MASKED)
        for name, key in self.masked_fields.items():
            if name in data:
                data[name] = disclosure.show(key, data[name])
        return data


class DisclosingReadsMixin:
    # A read-only viewset whose serializer masks (`MaskedFieldsMixin`): its list and detail
    # take `?full=` and `reason`, and a request that shows full values records one access,
    # naming `disclosed_subjects(the objects answered)`, before the answer leaves.

    disclosed_fields: dict[str, str] = {}

    def disclosed_subjects(self, objects) -> list:
        raise NotImplementedError

    def get_serializer_context(self):
        context = super().get_serializer_context()
        disclosure = getattr(self, "_disclosure", None)
        if disclosure is not None:
            context["disclosure"] = disclosure
        return context

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        self._answered = page
        return page

    def list(self, request, *args, **kwargs):
        self._disclosure = api_disclosure(request, self.disclosed_fields)
        response = super().list(request, *args, **kwargs)
        self._disclosure.record(
            by=request.user,
            subjects=self.disclosed_subjects(getattr(self, "_answered", None) or []),
        )
        return response

    def retrieve(self, request, *args, **kwargs):
        found = self.get_object()  # out of scope: 404 before anything else
        self._disclosure = api_disclosure(request, self.disclosed_fields)
        data = self.get_serializer(found).data
        self._disclosure.record(by=request.user, subjects=self.disclosed_subjects([found]))
        return Response(data)


def full_parameters(names: Iterable[str]) -> list[OpenApiParameter]:
    """The two query parameters of an answer with masked fields, for its schema."""
    return [
        OpenApiParameter(
            FULL,
            str,
            OpenApiParameter.QUERY,
            many=True,
            enum=sorted(names),
            style="form",
            explode=False,
            description=gettext_lazy(
                "Các trường cần xem đầy đủ (mặc định được che), cách nhau bởi dấu phẩy; cần "
                "“reason” và vai trò được xem đầy đủ. Mỗi yêu cầu có giá trị đầy đủ được ghi "
                "vào nhật ký truy cập dữ liệu cá nhân."
            ),
        ),
        OpenApiParameter(
            REASON,
            str,
            OpenApiParameter.QUERY,
            description=gettext_lazy(
                "Lý do cần xem giá trị đầy đủ (bắt buộc khi có “full”, tối đa 500 ký tự)."
            ),
        ),
    ]


FULL_PROBLEMS = problems(
    400,
    403,
    422,
    status_400=gettext_lazy(
        "Dữ liệu không hợp lệ (errors: trường → thông báo), kể cả một trường trong “full” mà "
        "câu trả lời không có."
    ),
    status_403=gettext_lazy(
        "Vai trò của bạn không được xem đầy đủ một trường trong “full”; không gì được ghi."
    ),
    status_422=gettext_lazy("Có “full” mà thiếu lý do (“reason”), hoặc lý do quá dài."),
)
