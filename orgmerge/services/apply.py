"""Applying a merger plan (docs/domain.md §6, docs/processing.md §4): the click moves the
plan to "applying" and queues the task after the commit; the task applies everything in one
transaction under the plan's lock: the target (new node or survivor), the old nodes' end date
and `superseded_by`, people, devices, certificates, roles and open letters moved, and the
Mẫu 04 / Mẫu 05 letters drafted for the head to sign. The unique `MergerApplication.plan`
makes a second application fail, so applying twice does nothing the second time; beat queues
again a plan left in "applying" by a lost task.
"""

import re
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Value
from django.db.models.functions import Coalesce, Concat, Greatest, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.choices import OrgKind, Role
from agencies.models import Membership, Organization, Person
from certificates.models import Certificate
from devices.models import Device
from orgmerge import planning as p
from orgmerge.choices import ActionKind, MergerCase, PlanStatus
from orgmerge.models import MergerApplication, MergerPlan
from orgmerge.permissions import require_act
from orgmerge.services.drafting import draft_letters, draft_new_issues
from orgmerge.services.plans import (
    lock,
    move,
    require_move,
    require_no_open_request,
    store_actions,
)
from portal.audit import audit_record
from portal.lib.queueing import enqueue
from requests_app.choices import TERMINAL_STATUSES
from requests_app.models import CertRequest


def enqueue_apply(plan_id: int) -> bool:
    return enqueue("orgmerge.tasks.merger_plan_apply_task", plan_id, what=f"merger plan {plan_id}")


def merger_plan_apply(*, plan: MergerPlan, by, approval=None) -> MergerPlan:
    """Start applying: the plan moves to "applying" and the worker is queued on commit.
    `approval`: the approved request being run (orgmerge/approval_kinds.py); any other open
    request on the plan refuses it, so that no door applies a plan past its approver."""
    with transaction.atomic():
        locked = lock(plan)
        require_act(by, locked)
        require_move(locked, "apply")
        require_no_open_request(locked, running=approval)
        locked.progress_at = timezone.now()
        locked.progress_note = _("Đã xếp hàng chờ thực hiện.")
        locked.save(update_fields=["progress_at", "progress_note"])
        move(locked, "apply", by=by)
        transaction.on_commit(lambda: enqueue_apply(locked.pk))
    return locked


def merger_plan_resume_stalled() -> int:
    """Beat: queue again every plan left in "applying" without a sign of life."""
    cutoff = timezone.now() - timedelta(seconds=settings.PORTAL_PROCESSING_STALL_SECONDS)
    queued = 0
    stalled = MergerPlan.objects.filter(status=PlanStatus.APPLYING).filter(
        Q(progress_at__isnull=True) | Q(progress_at__lt=cutoff)
    )
    for plan_id in stalled.values_list("pk", flat=True):
        # Claiming moves progress_at, so concurrent sweeps queue a plan once.
        claimed = (
            MergerPlan.objects.filter(pk=plan_id, status=PlanStatus.APPLYING)
            .filter(Q(progress_at__isnull=True) | Q(progress_at__lt=cutoff))
            .update(progress_at=timezone.now())
        )
        if claimed and enqueue_apply(plan_id):
            queued += 1
    return queued


def merger_plan_run_apply(*, plan_id: int) -> MergerApplication | None:
    """The task's service: apply the plan once; a second run finds it applied."""
    with transaction.atomic():
        MergerPlan.objects.filter(pk=plan_id, status=PlanStatus.APPLYING).update(
            progress_at=timezone.now(), progress_note=_("Đang thực hiện.")
        )
    with transaction.atomic():
        locked = lock(MergerPlan(pk=plan_id))
        existing = MergerApplication.objects.filter(plan=locked).first()
        if locked.status != PlanStatus.APPLYING or existing is not None:
            return existing
        started = locked.transitions.filter(action="apply").order_by("-pk").first()
        by = started.by if started is not None and started.by else locked.created_by
        planned = store_actions(locked, keep_same=True)
        target = _target(locked, by)
        moved = _reorganise(locked, target, by)
        letters = draft_letters(locked, target, by) + draft_new_issues(locked, by)
        summary = {
            "target": {"id": target.pk, "name": target.name},
            "actions": p.counts(planned),
            "moved": moved,
            "letters": letters,
        }
        application = MergerApplication.objects.create(
            plan=locked, target=target, applied_by=by, summary=summary
        )
        locked.target = target
        locked.progress_at = timezone.now()
        locked.progress_note = _("Đã thực hiện.")
        locked.save(update_fields=["target", "progress_at", "progress_note"])
        move(locked, "finish", by=by)
        audit_record(actor=by, action="merger_plan.applied", obj=locked, after=summary)
    return application


def _target(plan: MergerPlan, by) -> Organization:
    if plan.case != MergerCase.NEW_NAME:
        return plan.target
    first = plan.sources.select_related("organization").order_by("pk").first().organization
    target = Organization(
        kind=first.kind,
        name=plan.target_name,
        parent_id=first.parent_id,
        province_id=first.province_id,
        valid_from=plan.effective_on,
    )
    target.full_clean()
    target.save()
    audit_record(
        actor=by,
        action="organization.create",
        obj=target,
        after={"name": target.name, "merger_plan": plan.pk},
    )
    return target


def _reparent(child: Organization, parent: Organization) -> None:
    """Move `child` and its subtree under `parent`: one update of the materialised paths."""
    old, new = child.path, f"{parent.path}{child.pk}/"
    province_id = parent.pk if parent.kind == OrgKind.PROVINCE else parent.province_id
    Organization.objects.filter(path__startswith=old).update(
        path=Concat(Value(new), Substr("path", len(old) + 1)), province_id=province_id
    )
    Organization.objects.filter(pk=child.pk).update(parent=parent)


def _reparent_all(children, parent: Organization) -> int:
    """Move `children` (an Organization queryset) and their subtrees under `parent`: a child
    "/1/5/17/" becomes "<parent's path>17/", and so does everything below it. One update per
    length of the old parents' paths (a handful), whatever the number of children."""
    rows = list(children.values_list("pk", "path", "parent__path"))
    by_length: dict[int, list[str]] = {}
    for _pk, path, parent_path in rows:
        by_length.setdefault(len(parent_path), []).append(path)
    province_id = parent.pk if parent.kind == OrgKind.PROVINCE else parent.province_id
    for length, paths in sorted(by_length.items()):
        under = "^(" + "|".join(re.escape(path) for path in paths) + ")"
        Organization.objects.filter(path__regex=under).update(
            path=Concat(Value(parent.path), Substr("path", length + 1)), province_id=province_id
        )
    Organization.objects.filter(pk__in=[pk for pk, _path, _parent in rows]).update(parent=parent)
    return len(rows)


def _reorganise(plan: MergerPlan, target: Organization, by) -> dict[str, int]:
    sources = [s.organization for s in plan.sources.select_related("organization")]
    moved = {"organizations": 0, "people": 0, "devices": 0, "certificates": 0, "letters": 0}
    if plan.case == MergerCase.PROVINCES:
        return _merge_provinces(plan, sources, target, by)
    if plan.case == MergerCase.NEW_SUPERIOR:
        agency = target.managing_agency or target
        for source in sources:
            under = Q(organization__path__startswith=source.path)
            people = list(Person.objects.filter(under).values_list("pk", flat=True))
            orgs = list(
                Organization.objects.filter(path__startswith=source.path).values_list(
                    "pk", flat=True
                )
            )
            _reparent(source, target)
            moved["organizations"] += 1
            if source.kind == OrgKind.UNIT:
                # A unit under a new agency: that agency now manages its certificates and
                # devices (an agency moved under a new superior still manages its own).
                moved["certificates"] += Certificate.objects.filter(
                    Q(person_id__in=people) | Q(subject_organization_id__in=orgs)
                ).update(agency=agency)
                moved["devices"] += Device.objects.filter(holder_id__in=people).update(
                    agency=agency
                )
        audit_record(
            actor=by,
            action="organization.reparent",
            obj=target,
            after={"children": [s.pk for s in sources], "merger_plan": plan.pk},
        )
        return moved
    target.refresh_from_db()
    merged = [s for s in sources if s.pk != target.pk]
    merged_ids = [s.pk for s in merged]
    children = Organization.objects.filter(
        parent_id__in=merged_ids, valid_to__isnull=True, superseded_by__isnull=True
    )
    moved["organizations"] = _reparent_all(children, target)
    # valid_to: the effective date, or the node's own start if that is later (the tree's check).
    effective = Value(plan.effective_on)
    Organization.objects.filter(pk__in=merged_ids).update(
        valid_to=Greatest(effective, Coalesce("valid_from", effective)), superseded_by=target
    )
    moved["people"] = Person.objects.filter(organization_id__in=merged_ids).update(
        organization=target
    )
    moved["devices"] = Device.objects.filter(agency_id__in=merged_ids).update(agency=target)
    moved["certificates"] = Certificate.objects.filter(agency_id__in=merged_ids).update(
        agency=target
    )
    letter_ids = plan.actions.filter(kind=ActionKind.MOVE_LETTER).values("letter_id")
    moved["letters"] = CertRequest.objects.filter(pk__in=letter_ids).update(agency=target)
    # The merged agencies' clerks and heads now act for the target.
    _move_roles(merged_ids, target, [Role.AGENCY_CLERK, Role.AGENCY_HEAD])
    audit_record(
        actor=by,
        action="organization.merge",
        obj=target,
        after={"superseded": merged_ids, "merger_plan": plan.pk, **moved},
    )
    return moved


def _move_roles(from_ids, to: Organization, roles) -> int:
    """Move the memberships of `roles` held at `from_ids` to `to` (a user who already holds
    the role there, or at an earlier membership being moved, keeps that one): two statements
    whatever the number of memberships."""
    moving = Membership.objects.filter(organization_id__in=list(from_ids), role__in=roles)
    same = Membership.objects.filter(user_id=OuterRef("user_id"), role=OuterRef("role"))
    moving.filter(
        Exists(same.filter(organization=to))
        | Exists(same.filter(organization_id__in=list(from_ids), pk__lt=OuterRef("pk")))
    ).delete()
    return moving.update(organization=to)


def _merge_provinces(plan: MergerPlan, sources, survivor: Organization, by) -> dict[str, int]:
    """docs/domain.md §6.4: the absorbed provinces' agencies and units move under the
    surviving province (their `province` follows, so its Sở KH&CN's inbox and queues take
    over their letters); the absorbed Sở KH&CN is superseded by the survivor's, whose
    officers its officers join; the old provinces and offices stay as history."""
    moved = {"organizations": 0, "officers": 0, "letters": 0}
    office = (
        survivor.children.filter(kind=OrgKind.PROVINCIAL_OFFICE, valid_to__isnull=True)
        .order_by("pk")
        .first()
    )
    absorbed = [s for s in sources if s.pk != survivor.pk]
    for province in absorbed:
        children = province.children.filter(valid_to__isnull=True, superseded_by__isnull=True)
        offices = [c for c in children if c.kind == OrgKind.PROVINCIAL_OFFICE]
        moved["organizations"] += _reparent_all(
            children.exclude(kind=OrgKind.PROVINCIAL_OFFICE), survivor
        )
        for old_office in offices:
            valid_to = max(plan.effective_on, old_office.valid_from or plan.effective_on)
            Organization.objects.filter(pk=old_office.pk).update(
                valid_to=valid_to, superseded_by=office
            )
        if office is not None:
            moved["officers"] += _move_roles(
                [o.pk for o in offices], office, [Role.PROVINCIAL_OFFICER]
            )
        valid_to = max(plan.effective_on, province.valid_from or plan.effective_on)
        Organization.objects.filter(pk=province.pk).update(
            valid_to=valid_to, superseded_by=survivor
        )
    moved["letters"] = (
        CertRequest.objects.filter(agency__province=survivor)
        .exclude(status__in=TERMINAL_STATUSES)
        .filter(agency__path__startswith=survivor.path)
        .count()
    )
    audit_record(
        actor=by,
        action="organization.merge_provinces",
        obj=survivor,
        after={"superseded": [p.pk for p in absorbed], "merger_plan": plan.pk, **moved},
    )
    return moved
