"""Reminding the agencies that owe devices back (docs/bulk.md, "Reminders"; docs/domain.md
§4.3: a device goes back to the CA in a Mẫu 08 within 5 working days of its certificate's
revocation or expiry), the provincial officer's and the CA operator's, from a search of the
devices register (say, `overdue_return=yes`). Each selected device with an open return
obligation not yet handed over tells the obligation's agency through its clerks (the nearest
organisation above it, itself included, that has one), once per job and agency whatever the
number of batches or runs (`portal.notifications.notify` with the key
"bulk_job:<job>:remind_return:<agency>"), with the number of its devices in the job, the
earliest deadline and a link to its returns. A device that owes nothing, or already handed
over in a Mẫu 08 awaiting the receiver's confirmation, is skipped with why."""

from django.db.models import Count, Min
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from agencies.choices import Role
from agencies.models import Organization
from bulk.actions.base import ActionSpec, Outcome
from bulk.actions.people import nearest_members
from bulk.actions.remind import officer_or_ca
from bulk.choices import BulkAction, Register
from devices.models import Device, ReturnObligation
from portal.notifications import notify
from portal.texts import text


def _owing(job, agency_ids) -> dict[int, tuple[int, object]]:
    """{agency id: (devices of the whole job it owes back, earliest deadline)}."""
    rows = (
        ReturnObligation.objects.open()
        .filter(
            device_id__in=job.items.values("object_id"),
            handed_over_on__isnull=True,
            agency_id__in=list(agency_ids),
        )
        .order_by()
        .values("agency_id")
        .annotate(n=Count("pk"), due=Min("due_on"))
        .values_list("agency_id", "n", "due")
    )
    return {agency_id: (n, due) for agency_id, n, due in rows}


def _run(job, ids: list[int]) -> Outcome:
    outcome = Outcome()
    found = set(Device.objects.filter(pk__in=ids).values_list("pk", flat=True))
    for pk in set(ids) - found:
        outcome.failed(_("Không còn thiết bị này trong sổ."), pk)
    obligations = {
        o.device_id: o
        for o in ReturnObligation.objects.open()
        .filter(device_id__in=found)
        .select_related("minutes")
        .only("device_id", "agency_id", "due_on", "handed_over_on", "minutes__number")
    }
    owing: dict[int, list[int]] = {}
    for pk in sorted(found):
        obligation = obligations.get(pk)
        if obligation is None:
            outcome.skipped(_("Thiết bị không có nghĩa vụ bàn giao lại nào đang mở."), pk)
        elif obligation.handed_over_on is not None:
            outcome.skipped(
                _(
                    "Đã bàn giao ngày %(day)s theo biên bản Mẫu 08 số %(number)s; chờ bên nhận xác nhận."
                )
                % {
                    "day": obligation.handed_over_on.strftime("%d/%m/%Y"),
                    "number": obligation.minutes.number if obligation.minutes else "—",
                },
                pk,
            )
        else:
            owing.setdefault(obligation.agency_id, []).append(pk)
    agencies = Organization.objects.in_bulk(list(owing))
    clerks = nearest_members(agencies.values(), Role.AGENCY_CLERK)
    figures = _owing(job, agencies)
    for agency_id, devices in sorted(owing.items()):
        agency = agencies[agency_id]
        users = clerks.get(agency_id)
        if not users:
            message = _("%(agency)s chưa có cán bộ đầu mối trên cổng: không nhắc được.") % {
                "agency": agency.name
            }
            for pk in devices:
                outcome.failed(message, pk)
            continue
        n, due = figures.get(agency_id, (len(devices), None))
        notify(
            users=users,
            message=text(
                gettext_noop(
                    "Nhắc việc: %(n)s thiết bị của %(agency)s phải bàn giao lại CA (Mẫu 08), "
                    "hạn sớm nhất %(due)s — %(reason)s"
                ),
                n=n,
                agency=agency.name,
                due=due.strftime("%d/%m/%Y") if due else "—",
                reason=job.reason,
            ),
            url=reverse("devices:returns"),
            subject=f"bulk_job:{job.pk}",
            kind="bulk",
            key=f"bulk_job:{job.pk}:remind_return:{agency_id}",
        )
        told = _("Đã nhắc %(n)s cán bộ đầu mối (%(agency)s) bàn giao lại thiết bị.") % {
            "n": len(users),
            "agency": agency.name,
        }
        for pk in devices:
            outcome.done(told, pk)
    return outcome


REMIND_RETURN = ActionSpec(
    action=BulkAction.REMIND_RETURN,
    register=Register.DEVICES,
    allowed=officer_or_ca,
    clean_params=lambda rows, params, by: {},
    run_batch=_run,
)
