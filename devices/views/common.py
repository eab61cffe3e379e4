from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from agencies.access import scope_for
from agencies.choices import Role
from devices.models import Device

STAFF_ROLES = (
    Role.AGENCY_CLERK,
    Role.AGENCY_HEAD,
    Role.PROVINCIAL_OFFICER,
    Role.CA_OPERATOR,
)


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


def outgoing(queryset, user):
    """Agency staff see their documents from the start; the receivers (the CA, the Sở KH&CN)
    once the agency head signed and sent them."""
    paths = scope_for(user).role_paths
    if paths.get(Role.AGENCY_CLERK) or paths.get(Role.AGENCY_HEAD):
        return queryset
    return queryset.filter(sent_at__isnull=False)
