"""Revocation (Decree 68 Art. 17), the CA operator's: the Art. 17 case must apply to every
kind of subscriber selected; above the approval threshold, or with any organisation's
certificate, a second CA operator approves; each batch revokes through
`certificates.services.certificate_revoke_many` without publishing, and the job publishes
one CRL per issuing CA at its end (docs/bulk.md)."""

from django.utils.translation import gettext as _

from approvals.services import approvals_holding
from bulk.actions.base import ActionSpec, Outcome
from bulk.choices import BulkAction, ItemStatus, Register
from bulk.selection import revocation_reasons
from certificates.models import Certificate
from certificates.services import (
    certificate_revoke_many,
    revocation_approval_action,
    revocation_refuse_held,
    revocation_rule_agency,
)
from certificates.services.common import publish_crl_after_commit
from portal.errors import DomainError

# Refusals that mean the object is already where the action would take it: skipped, not failed.
ALREADY = {"revoked", "expired"}


def _clean(rows, params: dict, by) -> dict:
    kinds = set(rows.values_list("subject_kind", flat=True).distinct())
    code = (params or {}).get("reason") or ""
    if code not in dict(revocation_reasons(kinds)):
        raise DomainError(
            _("Hãy chọn một căn cứ thu hồi áp dụng cho mọi chứng thư được chọn."),
            code="reason",
        )
    return {"reason": code}


def _approval(rows, total: int, params: dict):
    # the rules of the selected certificates' agencies, as a registration's (docs/approvals.md)
    return revocation_approval_action(rows, count=total)


def _rule_organization(rows, action: str, total: int):
    # the agency whose rule sets the wait, as for a registration (docs/approvals.md)
    return revocation_rule_agency(rows, action, count=total)


def _describe(params: dict) -> str:
    return str(dict(revocation_reasons(())).get(params.get("reason"), ""))


def _run(job, ids: list[int]) -> Outcome:
    outcome = Outcome()
    # A certificate another request came to hold since the job was confirmed (a registration
    # waiting for its approval) is not revoked by this job: decided on the locked rows.
    list(
        Certificate.objects.select_for_update(of=("self",))
        .filter(pk__in=ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    held = approvals_holding(object_type="certificate", ids=ids)
    for pk, approval in held.items():
        outcome.failed(
            _("Đang chờ phê duyệt theo đề nghị #%(pk)s: không thu hồi trong việc này.")
            % {"pk": approval.pk},
            pk,
        )
    result = certificate_revoke_many(
        certificate_ids=[pk for pk in ids if pk not in held],
        by=job.requested_by,
        reason=job.params.get("reason", ""),
        note=job.reason,
        publish_crl=False,
    )
    for pk in result.revoked:
        outcome.done(_("Đã thu hồi."), pk)
    for pk, refusal in result.refused.items():
        status = ItemStatus.SKIPPED if refusal.code in ALREADY else ItemStatus.FAILED
        outcome.add(status, str(refusal), pk)
    return outcome


def _finish(job) -> None:
    """One CRL per issuing CA for the whole job, after the commit (the batches passed
    publish_crl=False): when it ends done, or failed after some batches revoked their
    certificates (none revoked, none queued). The job ends once, so this runs once."""
    done = job.items.filter(status=ItemStatus.DONE).values("object_id")
    publish_crl_after_commit(
        Certificate.objects.filter(pk__in=done, issuer__isnull=False)
        .order_by()
        .values_list("issuer_id", flat=True)
        .distinct()
    )


REVOKE = ActionSpec(
    action=BulkAction.REVOKE,
    register=Register.CERTIFICATES,
    allowed=lambda scope: scope.is_ca,
    clean_params=_clean,
    run_batch=_run,
    approval=_approval,
    rule_organization=_rule_organization,
    refuse_held=revocation_refuse_held,
    describe=_describe,
    finish=_finish,
)
