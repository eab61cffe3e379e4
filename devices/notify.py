"""Who is told what about devices (in-app and e-mail through portal.notifications)."""

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.translation import gettext_noop

from agencies.choices import Role
from agencies.models import Membership
from devices.choices import ReceiverKind, ReturnReason
from portal.notifications import notify, notify_each
from portal.texts import lowered, text


def _members(role: str, **org_filter):
    return (
        get_user_model()
        .objects.filter(memberships__role=role, is_active=True, **org_filter)
        .distinct()
    )


def agency_staff(agency):
    """The agency's clerks and heads: they must act on the devices of their agency."""
    return (
        get_user_model()
        .objects.filter(
            memberships__role__in=[Role.AGENCY_CLERK, Role.AGENCY_HEAD],
            memberships__organization=agency,
            is_active=True,
        )
        .distinct()
    )


def agency_heads(agency):
    return _members(Role.AGENCY_HEAD, memberships__organization=agency)


def awaiting_head_signature(document, *, url_name: str) -> None:
    """The clerk prepared a Mẫu 07, 08 or 09: the agency's heads must sign and send it."""
    notify(
        users=agency_heads(document.agency),
        message=text(
            gettext_noop("%(document)s chờ lãnh đạo ký số và gửi."), document=str(document)
        ),
        url=reverse(url_name, args=[document.pk]),
    )


def ca_operators():
    return _members(Role.CA_OPERATOR)


def province_officers(province_id):
    return _members(Role.PROVINCIAL_OFFICER, memberships__organization__province_id=province_id)


def handover_notice_sent(notice, count: int) -> None:
    notify(
        users=ca_operators(),
        message=text(
            gettext_noop(
                "Thông báo Mẫu 07 số %(number)s của %(agency)s: đã bàn giao %(n)d thiết bị cho thuê bao."
            ),
            number=notice.number,
            agency=notice.agency.name,
            n=count,
        ),
        url=reverse("devices:notice_detail", args=[notice.pk]),
    )


def agency_staff_ids(agency_ids) -> dict[int, list[int]]:
    """`agency_staff` of many agencies in one query: {agency id: [user ids]}."""
    staff: dict[int, list[int]] = {}
    rows = (
        Membership.objects.filter(
            organization_id__in_array=set(agency_ids),
            role__in=[Role.AGENCY_CLERK, Role.AGENCY_HEAD],
            user__is_active=True,
        )
        .values_list("organization_id", "user_id")
        .distinct()
        .order_by("organization_id", "user_id")
    )
    for agency_id, user_id in rows:
        staff.setdefault(agency_id, []).append(user_id)
    return staff


# Stored as data (portal/texts.py), shown in the reader's language.
OPENED = gettext_noop(
    "Thiết bị %(device)s phải được thu hồi và bàn giao lại CA trước ngày %(due)s (%(reason)s)."
)
OVERDUE = gettext_noop(
    "Quá hạn bàn giao lại thiết bị %(device)s cho CA: hạn là ngày %(due)s (Mẫu 08)."
)


def return_obligation_opened(obligation, device) -> None:
    notify(
        users=agency_staff(obligation.agency),
        message=text(
            OPENED,
            device=device.serial,
            due=obligation.due_on.strftime("%d/%m/%Y"),
            reason=lowered(ReturnReason(obligation.reason).label),
        ),
        url=reverse("devices:returns"),
    )


def return_obligations_opened(opened, *, reason_label) -> int:
    """`return_obligation_opened` for many obligations of one reason, given as (agency id,
    device serial, due date): the same messages to the same people, in a fixed number of
    queries (docs/scale.md §12.4)."""
    staff = agency_staff_ids(agency_id for agency_id, _serial, _due in opened)
    reason = lowered(reason_label)
    return notify_each(
        (
            (
                staff.get(agency_id, ()),
                text(OPENED, device=serial, due=due_on.strftime("%d/%m/%Y"), reason=reason),
            )
            for agency_id, serial, due_on in opened
        ),
        url=reverse("devices:returns"),
    )


def return_obligations_overdue(overdue) -> int:
    """Tell each agency about its overdue obligations, given as (agency id, device serial,
    due date): one message per obligation to the agency's staff, in a fixed number of
    queries."""
    staff = agency_staff_ids(agency_id for agency_id, _serial, _due in overdue)
    return notify_each(
        (
            (
                staff.get(agency_id, ()),
                text(OVERDUE, device=serial, due=due_on.strftime("%d/%m/%Y")),
            )
            for agency_id, serial, due_on in overdue
        ),
        url=reverse("devices:returns"),
    )


def return_minutes_made(minutes, count: int) -> None:
    if minutes.receiver_kind == ReceiverKind.CA:
        users = ca_operators()
    else:
        users = province_officers(minutes.agency.province_id)
    notify(
        users=users,
        message=text(
            gettext_noop(
                "Biên bản Mẫu 08 số %(number)s của %(agency)s: %(n)d thiết bị chờ xác nhận đã nhận."
            ),
            number=minutes.number,
            agency=minutes.agency.name,
            n=count,
        ),
        url=reverse("devices:minutes_detail", args=[minutes.pk]),
    )


def return_minutes_confirmed(minutes) -> None:
    notify(
        users=agency_staff(minutes.agency),
        message=text(
            gettext_noop(
                "%(receiver)s đã xác nhận nhận đủ thiết bị theo biên bản Mẫu 08 số %(number)s."
            ),
            receiver=minutes.receiver.name,
            number=minutes.number,
        ),
        url=reverse("devices:minutes_detail", args=[minutes.pk]),
    )


def loss_reported(report) -> None:
    notify(
        users=ca_operators(),
        message=text(
            gettext_noop(
                "Biên bản Mẫu 09 số %(number)s của %(agency)s: thiết bị %(device)s bị thất lạc."
            ),
            number=report.number,
            agency=report.agency.name,
            device=report.device.serial,
        ),
        url=reverse("devices:loss_detail", args=[report.pk]),
    )
