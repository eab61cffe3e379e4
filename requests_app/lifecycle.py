"""The letter lifecycle: one table in the shape every workflow shares
(portal/lib/lifecycle.py), the single source of every action a letter can take
(docs/architecture.md §3).

Each action names the statuses it starts from and, for each, the role that may take it
there; its target; its guard and its effect (the service that carries it out); whether the
drafter is excluded; whether a written reason is required; its label in the history, its
button and its success message. `permissions` decides from it, `workflow` moves by it, the
services name their action in it, the detail page draws its buttons and the API lists and
takes its actions from it. Adding a step touches this file and the service that carries it out.
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from agencies.choices import Role
from portal.lib.lifecycle import SYSTEM, Lifecycle, Move
from requests_app.choices import Status
from webhooks.choices import EventType

S = Status
R = Role
# The role that may act on a letter in process: whoever processes it (the Sở KH&CN for the
# letters it handles itself, docs/domain.md §4; otherwise the CA).
PROCESSOR = "processor"
# SYSTEM: moves made by the portal itself (the letter reaching the Sở KH&CN, processing
# finishing); no user may take them.


@dataclass(frozen=True)
class Action(Move):
    """A letter's move, with what its page and its form say (the shared fields, the letter's
    `effect` a service in `requests_app.services`, in portal/lib/lifecycle.py)."""

    success: Promise | str = ""
    not_drafter: bool = False
    reason_required: bool = False
    # what the action's form carries: "" (nothing), "note" (an optional note), "reason"
    # (a required reason), "number" (the letter's number, when the head issues it)
    takes: str = ""
    field_label: Promise | str = ""
    opener: Promise | str = ""  # the button that unfolds a form with a text field
    # the user confirms with their password (and one-time code, if they have a device) before
    # the action is taken (agencies/accounts/reauth.py)
    reauth: bool = False
    # the signed webhook other systems are sent when the letter takes this move ("": none;
    # docs/webhooks.md), recorded by `workflow.move` in the move's transaction
    webhook: str = ""


def _not_processed_by_province(cert_request) -> bool:
    return not cert_request.processed_by_province


def _stalled(cert_request) -> bool:
    return cert_request.is_stalled


def _processable(cert_request) -> bool:
    return cert_request.status == S.FORWARDED or cert_request.processed_by_province


REVIEW = {S.PROVINCE_REVIEW: R.PROVINCIAL_OFFICER, S.FORWARDED: R.CA_OPERATOR}

ACTIONS: Lifecycle[Action] = Lifecycle(
    [
        Action(
            "edit",
            sources={S.DRAFT: R.AGENCY_CLERK},
            target=None,
            label=_("Sửa dự thảo"),
            button=_("Sửa dự thảo"),
        ),
        Action(
            "submit",
            effect="cert_request_submit",
            sources={S.DRAFT: R.AGENCY_CLERK},
            target=S.AWAITING_HEAD,
            webhook=EventType.LETTER_SUBMITTED,
            label=_("Trình lãnh đạo ký"),
            button=_("Trình lãnh đạo ký"),
            success=_("Đã trình lãnh đạo ký văn bản."),
            hint=_("Mọi quy tắc được kiểm tra lại trước khi trình."),
        ),
        Action(
            "issue",
            effect="cert_request_issue",
            sources={S.AWAITING_HEAD: R.AGENCY_HEAD},
            target=S.ISSUED,
            not_drafter=True,
            label=_("Cấp số, ký ban hành"),
            button=_("Cấp số và ký bằng thiết bị của tôi"),
            success=_("Đã cấp số văn bản."),
            reauth=True,
            takes="number",
            field_label=_("Số văn bản (để trống để hệ thống tự cấp số)"),
        ),
        Action(
            "send_back",
            effect="cert_request_send_back",
            # An issued letter not signed yet may go back too: its head found a mistake
            # before signing; issued again, it is rendered and signed afresh.
            sources={S.AWAITING_HEAD: R.AGENCY_HEAD, S.ISSUED: R.AGENCY_HEAD},
            target=S.DRAFT,
            not_drafter=True,
            reason_required=True,
            label=_("Lãnh đạo trả lại"),
            button=_("Trả lại cán bộ soạn"),
            opener=_("Trả lại cán bộ soạn…"),
            success=_("Đã trả lại văn bản cho cán bộ soạn."),
            takes="reason",
            field_label=_("Lý do trả lại (bắt buộc)"),
            style="secondary",
        ),
        Action(
            "receive",
            sources={S.ISSUED: SYSTEM},
            target=S.PROVINCE_REVIEW,
            label=_("Sở KH&CN tiếp nhận"),
        ),
        Action(
            # The head signs the issued letter with their own device: at the desk
            # (requests_app/services/desk.py) or outside and uploaded
            # (requests_app/services/upload.py); the page's own controls, no button.
            "upload_signed",
            sources={S.ISSUED: R.AGENCY_HEAD},
            target=None,
            not_drafter=True,
            label=_("Tải lên bản đã ký số"),
        ),
        Action(
            "decide_rows",
            effect="cert_request_accept_valid_rows",
            sources=REVIEW,
            target=None,
            not_drafter=True,
            label=_("Chấp nhận mọi dòng hợp lệ"),
            button=_("Chấp nhận mọi dòng hợp lệ"),
        ),
        Action(
            "forward",
            effect="cert_request_forward",
            sources={S.PROVINCE_REVIEW: R.PROVINCIAL_OFFICER},
            target=S.FORWARDED,
            not_drafter=True,
            guard=_not_processed_by_province,
            webhook=EventType.LETTER_FORWARDED,
            label=_("Chuyển CA"),
            button=_("Chuyển Cục CTS&BMTT"),
            success=_("Đã chuyển văn bản đến Cục Chứng thực số và Bảo mật thông tin."),
            hint=_("Các dòng bị từ chối không được chuyển."),
        ),
        Action(
            "process",
            effect="cert_request_process",
            sources=REVIEW,
            target=S.IN_PROCESS,
            not_drafter=True,
            guard=_processable,
            label=_("Xử lý"),
            button=_("Xử lý các dòng đã chấp nhận"),
            success=_("Đã bắt đầu xử lý các dòng được chấp nhận."),
            reauth=True,
        ),
        Action(
            "resume",
            effect="cert_request_resume",
            sources={S.IN_PROCESS: PROCESSOR},
            target=None,
            not_drafter=True,
            guard=_stalled,
            label=_("Tiếp tục xử lý"),
            button=_("Tiếp tục xử lý"),
            success=_("Đã đưa văn bản vào hàng đợi xử lý lại."),
            reauth=True,
            hint=_("Việc xử lý đã dừng quá lâu; các dòng đã xong không bị xử lý lại."),
        ),
        Action(
            # The worker gives up: the last attempt failed, or stalled, after
            # PORTAL_PROCESSING_MAX_ATTEMPTS (services.processing); the processor is told.
            "processing_fail",
            sources={S.IN_PROCESS: SYSTEM},
            target=S.PROCESSING_FAILED,
            label=_("Xử lý thất bại"),
        ),
        Action(
            "retry",
            effect="cert_request_retry",
            sources={S.PROCESSING_FAILED: PROCESSOR},
            target=S.IN_PROCESS,
            not_drafter=True,
            label=_("Xử lý lại"),
            button=_("Xử lý lại"),
            success=_("Đã đưa văn bản vào hàng đợi xử lý lại."),
            reauth=True,
            hint=_(
                "Việc xử lý đã thất bại nhiều lần; hãy khắc phục nguyên nhân trước. "
                "Các dòng đã xong không bị xử lý lại."
            ),
        ),
        Action(
            "complete",
            sources={S.IN_PROCESS: SYSTEM},
            target=S.DONE,
            webhook=EventType.LETTER_PROCESSED,
            label=_("Hoàn thành"),
        ),
        Action(
            "return",
            effect="cert_request_return",
            sources=REVIEW,
            target=S.DRAFT,
            not_drafter=True,
            reason_required=True,
            webhook=EventType.LETTER_RETURNED,
            label=_("Trả lại để sửa"),
            button=_("Trả lại để sửa"),
            opener=_("Trả lại để sửa…"),
            success=_("Đã trả lại văn bản để cơ quan sửa."),
            takes="reason",
            field_label=_("Ý kiến, nội dung cần sửa (bắt buộc)"),
            style="secondary",
        ),
        Action(
            "refuse",
            effect="cert_request_refuse",
            sources=REVIEW,
            target=S.REFUSED,
            not_drafter=True,
            reason_required=True,
            label=_("Từ chối"),
            button=_("Từ chối văn bản"),
            opener=_("Từ chối văn bản…"),
            success=_("Đã từ chối văn bản."),
            takes="reason",
            field_label=_("Lý do từ chối bằng văn bản (bắt buộc)"),
            style="danger",
        ),
        # Letters exchanged with another system (docs/exchange.md): the portal's own moves.
        # A letter received reaches the CA's queue; a status message signed by the receiving
        # organisation ends the sender's letter or sends it back (an unsigned one moves
        # nothing).
        Action(
            "exchange_receive",
            sources={S.ISSUED: SYSTEM},
            target=S.FORWARDED,
            label=_("Nhận qua trục liên thông"),
        ),
        Action(
            "exchange_done",
            sources={S.PROVINCE_REVIEW: SYSTEM, S.FORWARDED: SYSTEM},
            target=S.DONE,
            webhook=EventType.LETTER_PROCESSED,
            label=_("Nơi nhận báo đã xử lý xong (đã ký số)"),
        ),
        Action(
            "exchange_return",
            sources={S.PROVINCE_REVIEW: SYSTEM, S.FORWARDED: SYSTEM},
            target=S.DRAFT,
            webhook=EventType.LETTER_RETURNED,
            label=_("Nơi nhận trả lại (đã ký số)"),
        ),
        Action(
            "cancel",
            effect="cert_request_cancel",
            sources={S.DRAFT: R.AGENCY_CLERK, S.AWAITING_HEAD: R.AGENCY_CLERK},
            target=S.CANCELLED,
            label=_("Hủy"),
            button=_("Xác nhận hủy văn bản"),
            opener=_("Hủy văn bản…"),
            success=_("Đã hủy văn bản."),
            takes="note",
            field_label=_("Ghi chú (không bắt buộc)"),
            style="danger",
        ),
    ]
)

# The actions the letter's page draws as buttons, in the table's order ("decide_rows" is
# drawn beside the rows it decides, "edit" is a link to the editor).
BUTTONS = [a for a in ACTIONS.values() if a.effect and a.name != "decide_rows"]
