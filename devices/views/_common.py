from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404

from agencies.access import scope_for
from agencies.choices import Role
from devices.models import Device

PAGE_SIZES = (10, 25, 50, 100)
DEFAULT_PAGE_SIZE = 25
STAFF_ROLES = (
    Role.AGENCY_CLERK,
    Role.AGENCY_HEAD,
    Role.PROVINCIAL_OFFICER,
    Role.CA_OPERATOR,
)


def page_size(request) -> int:
    try:
        size = int(request.GET.get("page_size", DEFAULT_PAGE_SIZE))
    except ValueError:
        return DEFAULT_PAGE_SIZE
    return size if size in PAGE_SIZES else DEFAULT_PAGE_SIZE


def paginate(request, queryset) -> dict:
    size = page_size(request)
    page = Paginator(queryset, size).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return {
        "page": page,
        "querystring": query.urlencode(),
        "page_sizes": PAGE_SIZES,
        "page_size": size,
    }


def require_staff(user) -> None:
    """Lists of documents and inventories are for the agencies, provinces and the CA."""
    if not scope_for(user).has_role(*STAFF_ROLES):
        raise PermissionDenied


def visible_device(request, pk: int) -> Device:
    return get_object_or_404(
        Device.objects.visible_to(request.user).select_related(
            "agency", "agency__province", "holder"
        ),
        pk=pk,
    )
