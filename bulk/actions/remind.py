"""Reminding the agencies of the selected certificates (docs/bulk.md, "Reminders"), the
provincial officer's and the CA operator's: say, the certificates that expire within a
month. Each certificate's agency is told through its clerks (those of the nearest
organisation above it, itself included, that has one), once per job and agency whatever the
number of batches or runs (`portal.notifications.notify` with the key
"bulk_job:<job>:remind:<agency>"), with the number of its certificates the job selected and
a link to the register filtered to them (which the clerk reads within their own scope)."""

from django.contrib.auth import get_user_model
from django.db.models import Count
from django.http import QueryDict
from django.urls import reverse
from django.utils.translation import gettext as _

from agencies.choices import Role
from agencies.models import Membership, Organization
from bulk.actions.base import ActionSpec, Outcome
from bulk.choices import BulkAction, Register
from certificates.models import Certificate
from portal.notifications import notify


def _ancestors(path: str) -> list[int]:
    """The ids on a materialised path ("/1/7/42/"), the organisation itself last."""
    return [int(part) for part in path.strip("/").split("/") if part]


def _clerks_by_organization(agencies) -> dict[int, set[int]]:
    wanted = {pk for agency in agencies for pk in _ancestors(agency.path)}
    clerks: dict[int, set[int]] = {}
    for user_id, organization_id in Membership.objects.filter(
        role=Role.AGENCY_CLERK, organization_id__in=wanted, user__is_active=True
    ).values_list("user_id", "organization_id"):
        clerks.setdefault(organization_id, set()).add(user_id)
    return clerks


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
    clerks = _clerks_by_organization(agencies.values())
    counts = dict(
        Certificate.objects.filter(
            pk__in=job.items.values("object_id"), agency_id__in=list(agencies)
        )
        .order_by()
        .values("agency_id")
        .annotate(n=Count("pk"))
        .values_list("agency_id", "n")
    )
    people = get_user_model().objects.in_bulk({pk for ids in clerks.values() for pk in ids})
    results: dict[int, tuple[bool, str]] = {}
    for agency_id, agency in agencies.items():
        chain = [pk for pk in reversed(_ancestors(agency.path)) if clerks.get(pk)]
        if not chain:
            results[agency_id] = (
                False,
                _("%(agency)s chưa có cán bộ đầu mối trên cổng: không nhắc được.")
                % {"agency": agency.name},
            )
            continue
        users = clerks[chain[0]]
        notify(
            users=[people[pk] for pk in sorted(users) if pk in people],
            message=_("Nhắc việc: %(n)s chứng thư số của %(agency)s — %(reason)s")
            % {"n": counts.get(agency_id, 0), "agency": agency.name, "reason": job.reason},
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


def _allowed(scope) -> bool:
    return scope.is_ca or Role.PROVINCIAL_OFFICER in scope.roles


REMIND = ActionSpec(
    action=BulkAction.REMIND,
    registers=(Register.CERTIFICATES,),
    allowed=_allowed,
    clean_params=lambda rows, params, by: {},
    run_batch=_run,
)
