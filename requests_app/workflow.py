"""The letter workflow: an allowed-transitions table and one `_transition()` helper
(DESIGN §2.4). Who may take each action is `requests_app.permissions`."""

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.audit import audit_record
from portal.errors import DomainError
from requests_app.choices import Status


@dataclass(frozen=True)
class Move:
    sources: frozenset[str]
    target: str
    label: str


S = Status
MOVES: dict[str, Move] = {
    "submit": Move(frozenset({S.DRAFT}), S.AWAITING_HEAD, gettext_lazy("Trình lãnh đạo ký")),
    "send_back": Move(frozenset({S.AWAITING_HEAD}), S.DRAFT, gettext_lazy("Lãnh đạo trả lại")),
    "issue": Move(frozenset({S.AWAITING_HEAD}), S.ISSUED, gettext_lazy("Ký, ban hành")),
    "receive": Move(frozenset({S.ISSUED}), S.PROVINCE_REVIEW, gettext_lazy("Sở KH&CN tiếp nhận")),
    "return": Move(
        frozenset({S.PROVINCE_REVIEW, S.FORWARDED}), S.DRAFT, gettext_lazy("Trả lại để sửa")
    ),
    "refuse": Move(frozenset({S.PROVINCE_REVIEW, S.FORWARDED}), S.REFUSED, gettext_lazy("Từ chối")),
    "forward": Move(frozenset({S.PROVINCE_REVIEW}), S.FORWARDED, gettext_lazy("Chuyển CA")),
    "process": Move(
        frozenset({S.PROVINCE_REVIEW, S.FORWARDED}), S.IN_PROCESS, gettext_lazy("Xử lý")
    ),
    "complete": Move(frozenset({S.IN_PROCESS}), S.DONE, gettext_lazy("Hoàn thành")),
    "cancel": Move(frozenset({S.DRAFT, S.AWAITING_HEAD}), S.CANCELLED, gettext_lazy("Hủy")),
}


def _transition(cert_request, *, action: str, by, note: str = "", **fields):
    """Move the letter by `action`, or raise DomainError if its current status forbids it.

    Locks the row first, so of two people acting at once exactly one moves the letter and the
    other gets a clear message. Updates and returns the caller's object.
    """
    from requests_app.models import CertRequest, Transition

    move = MOVES[action]
    with transaction.atomic():
        locked = CertRequest.objects.select_for_update().get(pk=cert_request.pk)
        if locked.status not in move.sources:
            raise DomainError(
                _("Không thể “%(action)s”: văn bản đang ở trạng thái “%(status)s”.")
                % {"action": move.label, "status": locked.get_status_display()},
                code="stale_status",
            )
        before = locked.status
        locked.status = move.target
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save(update_fields=["status", "updated_at", *fields])
        Transition.objects.create(
            cert_request=locked,
            from_status=before,
            to_status=move.target,
            action=action,
            by=by,
            note=note,
        )
        audit_record(
            actor=by,
            action=f"cert_request.{action}",
            obj=locked,
            before={"status": before},
            after={"status": move.target, **{k: str(v) for k, v in fields.items()}},
            reason=note,
        )
    cert_request.__dict__.update({k: getattr(locked, k) for k in ("status", "updated_at", *fields)})
    return cert_request
