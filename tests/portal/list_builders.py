"""Rows for the long lists' paging and query-plan tests (tests/portal/test_list_paging.py,
tests/portal/test_list_query_plans.py): each builder fills one list with `n` rows whose
ordering column repeats (ties, so the primary key must break them) and returns the rows the
user should see, in the list's order, by a plain ORDER BY over the same scope."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from agencies.access import scope_for
from agencies.choices import Role
from certificates.models import Certificate
from devices.models import (
    Device,
    HandoverItem,
    HandoverNotice,
    LossReport,
    ReturnMinutes,
    ReturnObligation,
)
from requests_app.choices import FormKind, Status
from requests_app.models import CertRequest
from tests import factories as f

T0 = timezone.now().replace(microsecond=0) - timedelta(days=3)


def _outgoing(queryset, user):
    """As the document lists show them (devices/views/common.py `outgoing`): the agency's
    staff see their documents from the start, the receivers once sent."""
    paths = scope_for(user).role_paths
    if paths.get(Role.AGENCY_CLERK) or paths.get(Role.AGENCY_HEAD):
        return queryset
    return queryset.filter(sent_at__isnull=False)


def _tie(i: int) -> int:
    """0,0,0,1,1,1,…: every value shared by three rows."""
    return i // 3


def certificates(cast, user, n):
    for i in range(n):
        f.CertificateFactory(
            person=cast.subscriber, agency=cast.agency_a, not_before=T0 - timedelta(days=_tie(i))
        )
    return list(
        Certificate.objects.visible_to(user)
        .order_by("-not_before", "-pk")
        .values_list("pk", flat=True)
    )


def devices(cast, user, n):
    kinds = ("usb_token", "sd_secure")
    for i in range(n):
        f.DeviceFactory(agency=cast.agency_a, kind=kinds[i % 2], serial=f"TK{(i * 7) % n:04d}X")
    return list(
        Device.objects.visible_to(user).order_by("kind", "serial").values_list("pk", flat=True)
    )


def letters(cast, user, n):
    for i in range(n + 3):  # three not forwarded: the CA does not see them
        letter = CertRequest.objects.create(
            form=FormKind.ISSUE_PERSON, agency=cast.agency_a, created_by=cast.clerk_a,
            issued_on=T0.date(), forwarded_at=T0 if i < n else None,
        )  # fmt: skip
        CertRequest.objects.filter(pk=letter.pk).update(created_at=T0 - timedelta(hours=_tie(i)))
    return list(
        CertRequest.objects.visible_to(user)
        .order_by("-created_at", "-pk")
        .values_list("pk", flat=True)
    )


def ca_queue(cast, user, n):
    today = timezone.localdate()
    for i in range(n):
        CertRequest.objects.create(
            form=FormKind.ISSUE_PERSON, agency=cast.agency_a, created_by=cast.clerk_a,
            status=Status.FORWARDED, number=f"{i + 1}/CV", issued_on=today, received_on=today,
            due_on=today + timedelta(days=_tie(i)) if i % 5 else None,
            forwarded_at=timezone.now(),
        )  # fmt: skip
    return [
        letter.pk
        for letter in CertRequest.objects.ca_queue(user).with_queue_figures(renewals=False)
    ]


def province_inbox(cast, user, n):
    today = timezone.localdate()
    for i in range(n):
        CertRequest.objects.create(
            form=FormKind.ISSUE_PERSON, agency=cast.agency_a, created_by=cast.clerk_a,
            status=Status.PROVINCE_REVIEW, number=f"{i + 1}/CV", issued_on=today,
            received_on=today, due_on=today + timedelta(days=_tie(i)),
        )  # fmt: skip
    return [letter.pk for letter in CertRequest.objects.province_inbox(user).with_queue_figures()]


def notices(cast, user, n):
    for i in range(n + 4):  # four not sent yet: first for the clerk, unseen by the others
        device = f.DeviceFactory(agency=cast.agency_a)
        notice = HandoverNotice.objects.create(
            agency=cast.agency_a, number=f"TB-{i}", issued_on=date(2026, 1, 5),
            handed_on=date(2026, 1, 5), created_by=cast.clerk_a,
            sent_at=None if i % 7 == 0 else T0 - timedelta(hours=_tie(i)),
        )  # fmt: skip
        HandoverItem.objects.create(
            notice=notice,
            position=1,
            device=device,
            subscriber_name="Lò Thị Mai",
            acknowledged=True,
        )
    return list(
        _outgoing(HandoverNotice.objects.visible_to(user), user)
        .order_by(F("sent_at").desc(nulls_first=True), "-pk")
        .values_list("pk", flat=True)
    )


def minutes(cast, user, n):
    for i in range(n):
        ReturnMinutes.objects.create(
            agency=cast.agency_a, number=f"BB-{i}", held_at=T0 - timedelta(hours=_tie(i)),
            place="Lai Châu", receiver=cast.ca_org, agency_representative="Lò Văn Thủ",
            created_by=cast.clerk_a, sent_at=T0,
            confirmed_at=None if i % 3 == 0 else T0 - timedelta(days=i % 2),
        )  # fmt: skip
    return list(
        _outgoing(ReturnMinutes.objects.visible_to(user), user)
        .order_by(F("confirmed_at").desc(nulls_first=True), "-held_at", "-pk")
        .values_list("pk", flat=True)
    )


def losses(cast, user, n):
    for i in range(n):
        LossReport.objects.create(
            device=f.DeviceFactory(agency=cast.agency_a), agency=cast.agency_a,
            number=f"MT-{i}", held_at=T0 - timedelta(hours=_tie(i)), held_place="Lai Châu",
            lost_on=date(2026, 1, 5), lost_place="Chợ", circumstances="Rơi mất.",
            created_by=cast.clerk_a, sent_at=T0,
        )  # fmt: skip
    return list(
        _outgoing(LossReport.objects.visible_to(user), user)
        .order_by("-held_at", "-pk")
        .values_list("pk", flat=True)
    )


def returns(cast, user, n):
    today = timezone.localdate()
    for i in range(n):
        ReturnObligation.objects.create(
            device=f.DeviceFactory(agency=cast.agency_a), agency=cast.agency_a,
            reason="revoked", notified_on=today, due_on=today + timedelta(days=_tie(i)),
        )  # fmt: skip
    return list(
        ReturnObligation.objects.visible_to(user)
        .open()
        .order_by("due_on", "pk")
        .values_list("pk", flat=True)
    )


@dataclass(frozen=True)
class ListSpec:
    name: str
    url_name: str
    build: Callable
    table: str
    users: tuple[str, ...]  # cast attributes of the roles whose scope the list is tested in

    @property
    def url(self) -> str:
        return reverse(self.url_name)


LISTS = [
    ListSpec("certificates", "certificates:list", certificates, "certificates_certificate",
             ("ca_operator", "officer_1", "clerk_a")),
    ListSpec("devices", "devices:list", devices, "devices_device",
             ("ca_operator", "officer_1", "clerk_a")),
    ListSpec("letters", "requests_app:list", letters, "requests_app_certrequest",
             ("ca_operator", "officer_1", "clerk_a")),
    ListSpec("ca_queue", "requests_app:ca_queue", ca_queue, "requests_app_certrequest",
             ("ca_operator",)),
    ListSpec("province_inbox", "requests_app:province_inbox", province_inbox,
             "requests_app_certrequest", ("officer_1",)),
    ListSpec("notices", "devices:notice_list", notices, "devices_handovernotice",
             ("ca_operator", "officer_1", "clerk_a")),
    ListSpec("minutes", "devices:minutes_list", minutes, "devices_returnminutes",
             ("ca_operator", "officer_1", "clerk_a")),
    ListSpec("losses", "devices:loss_list", losses, "devices_lossreport",
             ("ca_operator", "officer_1", "clerk_a")),
    ListSpec("returns", "devices:returns", returns, "devices_returnobligation",
             ("ca_operator", "officer_1", "clerk_a")),
]  # fmt: skip
