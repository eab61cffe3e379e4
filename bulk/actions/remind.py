"""Reminding the agencies of the selected certificates (docs/bulk.md, "Reminders"), the
provincial officer's and the CA operator's: say, the certificates that expire within a
month. Each certificate's agency is told through its clerks (those of the nearest
organisation above it, itself included, that has one), once per job and agency whatever the
number of batches or runs (`portal.notifications.notify` with the key
"bulk_job:<job>:remind:<agency>"), with the number of its certificates the job selected and
a link to the register filtered to them (which the clerk reads within their own scope)."""

from django.db.models import Count
from django.http import QueryDict
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from agencies.choices import Role
from agencies.models import Organization
from bulk.actions.base import ActionSpec, Outcome
from bulk.actions.people import nearest_members
from bulk.choices import BulkAction, Register
from certificates.models import Certificate
from portal.notifications import notify
from portal.texts import text


def _register_url(job, agency_id: int) -> str:
    query = QueryDict(job.query or "", mutable=True)
    query["agency"] = str(agency_id)
    return f"{reverse('certificates:list')}?{query.urlencode()}"


def _run(job, ids: list[int]) -> Outcome:
    outcome = Outcome()
    found = dict(Certificate.objects.filter(pk__in=ids).values_list("pk", "agency_id"))
    for pk in set(ids) - set(found):
        outcome.failed(_("Không còn chứng thư này trong sổ."), pk)
    agencies = Organization.objects.in_bulk(set(found.values()))
    clerks = nearest_members(agencies.values(), Role.AGENCY_CLERK)
    counts = dict(
        Certificate.objects.filter(
            pk__in=job.items.values("object_id"), agency_id__in=list(agencies)
        )
        .order_by()
        .values("agency_id")
        .annotate(n=Count("pk"))
        .values_list("agency_id", "n")
    )
    results: dict[int, tuple[bool, str]] = {}
    for agency_id, agency in agencies.items():
        users = clerks.get(agency_id)
        if not users:
            results[agency_id] = (
                False,
                _("%(agency)s chưa có cán bộ đầu mối trên cổng: không nhắc được.")
                % {"agency": agency.name},
            )
            continue
        notify(
            users=users,
            message=text(
                gettext_noop("Nhắc việc: %(n)s chứng thư số của %(agency)s — %(reason)s"),
                n=counts.get(agency_id, 0),
                agency=agency.name,
                reason=job.reason,
            ),
            url=_register_url(job, agency_id),
            subject=f"bulk_job:{job.pk}",
            kind="bulk",
            key=f"bulk_job:{job.pk}:remind:{agency_id}",
        )
        results[agency_id] = (
            True,
            _("Đã nhắc %(n)s cán bộ đầu mối (%(agency)s).")
            % {"n": len(users), "agency": agency.name},
        )
    for pk, agency_id in found.items():
        told, message = results[agency_id]
        (outcome.done if told else outcome.failed)(message, pk)
    return outcome


def officer_or_ca(scope) -> bool:
    """Reminders are the provincial officer's and the CA operator's (docs/bulk.md)."""
    return scope.is_ca or Role.PROVINCIAL_OFFICER in scope.roles


REMIND = ActionSpec(
    action=BulkAction.REMIND,
    register=Register.CERTIFICATES,
    allowed=officer_or_ca,
    clean_params=lambda rows, params, by: {},
    run_batch=_run,
)
