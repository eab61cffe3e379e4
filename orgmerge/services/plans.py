"""Creating, re-planning and discarding a merger plan (docs/domain.md §6). Each write is
decided on the plan as locked, inside the transaction that changes it, with its audit
event; the planning itself is `orgmerge.planning` over `orgmerge.snapshot`. While a request to
apply the plan is open, nothing changes it but that request's run (docs/approvals.md,
"Applying a merger plan": `require_no_open_request`)."""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from agencies.choices import OrgKind
from agencies.validators import nfc
from approvals.choices import ApprovalStatus
from approvals.models import Approval
from orgmerge import lifecycle
from orgmerge import planning as p
from orgmerge.choices import MergerCase, PlanStatus
from orgmerge.models import MergerPlan, MergerSource, PlannedAction, PlanTransition
from orgmerge.permissions import require_act, require_plan_for
from orgmerge.snapshot import load_snapshot
from portal.audit import audit_record
from portal.errors import DomainError
from portal.lib.bulk import insert_rows


def lock(plan) -> MergerPlan:
    return MergerPlan.objects.select_for_update(of=("self",)).get(pk=plan.pk)


def plan_key(plan_id: int) -> str:
    """The object of the plan's approval requests (`Approval.object_key`)."""
    return f"merger_plan:{plan_id}"


def require_no_open_request(locked: MergerPlan, *, running=None) -> None:
    """Refuse any change of the plan while a request to apply it is open (pending, or approved
    and being carried out): the approver decides on the plan as it was asked about
    (docs/approvals.md, "Applying a merger plan"). `running`: the request whose run is
    applying the plan, the one change allowed then. Called with the plan locked: a request is
    recorded under that lock too (`merger_plan_apply_request`), so none appears meanwhile."""
    requests = Approval.objects.open_for(plan_key(locked.pk))
    if running is not None:
        requests = requests.exclude(pk=running.pk)
    open_request = requests.only("pk", "status").first()
    if open_request is None:
        return
    if open_request.status == ApprovalStatus.APPROVED:
        message = _(
            "Đề nghị #%(pk)s thực hiện phương án đã được phê duyệt và đang được thực hiện: "
            "không thể thay đổi hay hủy phương án nữa."
        )
    else:
        message = _(
            "Phương án đang chờ phê duyệt thực hiện (đề nghị #%(pk)s): trong lúc chờ, không "
            "thể thay đổi, hủy hay thực hiện lại phương án. Muốn thay đổi, người đề nghị hủy "
            "đề nghị đó, hoặc chờ đề nghị được quyết định."
        )
    raise DomainError(message % {"pk": open_request.pk}, code="approval_open")


def require_move(locked: MergerPlan, action: str) -> None:
    if not lifecycle.MOVES.can(action, locked.status):
        raise DomainError(
            _("Phương án đang ở trạng thái “%(status)s”, không thể thực hiện thao tác này.")
            % {"status": locked.get_status_display()},
            code="stale_status",
        )


def move(locked: MergerPlan, action: str, *, by, note: str = "") -> None:
    before = locked.status
    locked.status = lifecycle.MOVES.target(action)
    locked.save(update_fields=["status", "updated_at"])
    if locked.status in (PlanStatus.APPLIED, PlanStatus.DISCARDED):
        locked.sources.update(is_open=False)
    PlanTransition.objects.create(
        plan=locked, from_status=before, to_status=locked.status, action=action, by=by, note=note
    )
    audit_record(
        actor=by,
        action=f"merger_plan.{action}",
        obj=locked,
        before={"status": before},
        after={"status": locked.status},
        reason=note,
    )


def choices_for(plan: MergerPlan) -> p.Choices:
    return p.Choices(
        case=plan.case,
        survivor_id=plan.target_id
        if plan.case in (MergerCase.KEEPS_NAME, MergerCase.PROVINCES)
        else None,
        kept_certificate_id=plan.kept_certificate_id,
        leaving_person_ids=frozenset(plan.leaving_person_ids),
        min_days=settings.PORTAL_CHANGE_MIN_DAYS_LEFT,
    )


ACTION_FIELDS = (
    "kind",
    "source_id",
    "certificate_id",
    "person_id",
    "device_id",
    "letter_id",
    "reason",
)


def _stored(a: p.PlannedAction) -> tuple:
    return (a.kind, a.source_id, a.certificate_id, a.person_id, a.device_id, a.letter_id, a.reason)


def store_actions(plan: MergerPlan, *, keep_same: bool = False) -> list[p.PlannedAction]:
    """Plan again from a fresh snapshot and replace the plan's actions. With `keep_same`
    (applying), actions equal to the stored ones, in the same order, are left as they are:
    the usual case, where nothing changed since the preview, writes nothing."""
    source_ids = list(plan.sources.values_list("organization_id", flat=True))
    planned = p.plan_actions(load_snapshot(source_ids), choices_for(plan))
    rows = [_stored(a) for a in planned]
    if keep_same and rows == list(plan.actions.order_by("pk").values_list(*ACTION_FIELDS)):
        return planned
    plan.actions.all().delete()
    # One COPY whatever the number of actions (docs/processing.md §4.8).
    insert_rows(
        PlannedAction,
        ("plan_id", *ACTION_FIELDS, "note"),
        ((plan.pk, *row, "") for row in rows),
    )
    return planned


def _province_of(sources) -> int | None:
    provinces = {s.province_id for s in sources}
    return provinces.pop() if len(provinces) == 1 else None


def _check_shape(*, case, sources, target, target_name) -> None:
    if len({s.pk for s in sources}) != len(sources):
        raise DomainError(_("Một cơ quan được chọn hai lần."), code="duplicate_source")
    provinces = [s for s in sources if s.kind == OrgKind.PROVINCE]
    if case == MergerCase.PROVINCES and len(provinces) != len(sources):
        raise DomainError(_("Hợp nhất tỉnh chỉ gồm các tỉnh, thành phố."), code="province_sources")
    if case != MergerCase.PROVINCES and provinces:
        raise DomainError(
            _("Tỉnh, thành phố chỉ được hợp nhất theo trường hợp hợp nhất tỉnh."),
            code="province_sources",
        )
    merging = (MergerCase.NEW_NAME, MergerCase.KEEPS_NAME, MergerCase.PROVINCES)
    if case in merging and len(sources) < 2:
        if case == MergerCase.NEW_NAME:
            message = _(
                "Sáp nhập cần ít nhất hai cơ quan: tích chọn mọi cơ quan sáp nhập thành cơ quan "
                "mới."
            )
        elif case == MergerCase.PROVINCES:
            message = _(
                "Sáp nhập cần ít nhất hai tỉnh, thành phố: tích chọn cả tỉnh, thành phố giữ "
                "nguyên tên lẫn các tỉnh, thành phố nhập vào."
            )
        else:
            # The surviving agency is one of the merged ones (docs/domain.md §6.2, case b).
            message = _(
                "Sáp nhập cần ít nhất hai cơ quan: tích chọn cả cơ quan giữ nguyên tên lẫn các "
                "cơ quan nhập vào cơ quan đó."
            )
        raise DomainError(message, code="too_few_sources")
    if not sources:
        raise DomainError(_("Chọn ít nhất một cơ quan."), code="too_few_sources")
    if case == MergerCase.NEW_NAME and not target_name:
        raise DomainError(_("Nhập tên cơ quan mới."), code="target_name_required")
    if case in (MergerCase.KEEPS_NAME, MergerCase.PROVINCES) and (
        target is None or target not in sources
    ):
        raise DomainError(
            _("Chọn cơ quan giữ nguyên tên trong số các cơ quan được sáp nhập."),
            code="survivor_required",
        )
    if case == MergerCase.NEW_SUPERIOR:
        if target is None:
            raise DomainError(_("Chọn cơ quan quản lý cấp trên mới."), code="target_required")
        if any(target.is_within(s) for s in sources):
            raise DomainError(
                _("Cơ quan cấp trên mới không được nằm trong cơ quan được chuyển."),
                code="target_inside",
            )
        if target.kind not in (OrgKind.AGENCY, OrgKind.MINISTRY, OrgKind.PROVINCE):
            raise DomainError(
                _("Cơ quan cấp trên mới phải là cơ quan quản lý."), code="target_kind"
            )
    paths = {s.path for s in sources}
    if any(p.below_any(s.path, paths) for s in sources):
        raise DomainError(
            _("Một cơ quan được chọn đã nằm trong cơ quan khác được chọn."), code="nested_source"
        )


def merger_plan_create(
    *, sources, case: str, effective_on, by, target=None, target_name: str = ""
) -> MergerPlan:
    sources = list(sources)
    target_name = nfc((target_name or "").strip())
    if case not in MergerCase.values:
        raise DomainError(_("Trường hợp sáp nhập không hợp lệ."), code="case")
    if effective_on is None:
        raise DomainError(_("Nhập ngày có hiệu lực."), code="effective_on")
    _check_shape(case=case, sources=sources, target=target, target_name=target_name)
    require_plan_for(by, sources + ([target] if case == MergerCase.NEW_SUPERIOR else []))
    try:
        with transaction.atomic():
            plan = MergerPlan.objects.create(
                case=case,
                province_id=_province_of(sources),
                target=target if case != MergerCase.NEW_NAME else None,
                target_name=target_name if case == MergerCase.NEW_NAME else "",
                effective_on=effective_on,
                created_by=by,
            )
            MergerSource.objects.bulk_create(
                MergerSource(plan=plan, organization=s) for s in sources
            )
            planned = store_actions(plan)
            audit_record(
                actor=by,
                action="merger_plan.create",
                obj=plan,
                after={
                    "case": case,
                    "sources": [s.pk for s in sources],
                    "target": target.pk if target else target_name,
                    "effective_on": str(effective_on),
                    "actions": p.counts(planned),
                },
            )
    except IntegrityError as exc:
        raise DomainError(
            _("Một cơ quan được chọn đang thuộc một phương án sáp nhập khác chưa xong."),
            code="open_plan",
        ) from exc
    return plan


def merger_plan_replan(
    *, plan: MergerPlan, by, kept_certificate_id=None, leaving_person_ids=()
) -> MergerPlan:
    """Plan again with the reviewer's choices: which organisation certificate survives and
    who leaves (their certificates are revoked)."""
    with transaction.atomic():
        locked = lock(plan)
        require_act(by, locked)
        require_move(locked, "replan")
        require_no_open_request(locked)
        snapshot_people = set(
            locked.actions.filter(person__isnull=False).values_list("person_id", flat=True)
        )
        leaving = sorted({int(i) for i in leaving_person_ids} & snapshot_people)
        own = set(
            locked.actions.filter(
                certificate__subject_organization_id__in=locked.sources.values("organization_id")
            ).values_list("certificate_id", flat=True)
        )
        if kept_certificate_id is not None and int(kept_certificate_id) not in own:
            raise DomainError(
                _("Chứng thư được chọn không thuộc phương án."), code="kept_certificate"
            )
        before = {"kept": locked.kept_certificate_id, "leaving": locked.leaving_person_ids}
        locked.kept_certificate_id = kept_certificate_id
        locked.leaving_person_ids = leaving
        locked.save(update_fields=["kept_certificate", "leaving_person_ids", "updated_at"])
        planned = store_actions(locked)
        audit_record(
            actor=by,
            action="merger_plan.replan",
            obj=locked,
            before=before,
            after={
                "kept": locked.kept_certificate_id,
                "leaving": leaving,
                "actions": p.counts(planned),
            },
        )
    return locked


def merger_plan_discard(*, plan: MergerPlan, by, note: str = "") -> MergerPlan:
    with transaction.atomic():
        locked = lock(plan)
        require_act(by, locked)
        require_move(locked, "discard")
        require_no_open_request(locked)
        move(locked, "discard", by=by, note=note)
    return locked
