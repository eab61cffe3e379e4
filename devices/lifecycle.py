"""The device custody lifecycle: one table, the same shape as the letters' (docs/architecture.md
§3). Each move names the states it starts from, the state it leads to, who holds the device
afterwards, the role that may take it, and its label.

`permissions.device_actions` offers the clerk's moves on the device page from it;
`services.custody._transition` moves by it and decides the role on the device as locked.
Moves of the role SYSTEM are made by other services (delivery by the CA's processing,
a return owed after revocation, a return confirmed on the minutes), never from a page.
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from agencies.choices import Role
from devices.choices import DeviceStatus, TokenState
from devices.models import CustodyRecord

D = DeviceStatus
H = CustodyRecord.HolderKind
SYSTEM = "system"
IN_USE = frozenset(
    {D.DELIVERED_TO_AGENCY, D.HANDED_TO_SUBSCRIBER, D.LOCKED, D.AWAITING_RETURN,
     D.RETURNED_TO_AGENCY}
)  # fmt: skip


@dataclass(frozen=True)
class Move:
    name: str
    sources: frozenset[str]
    # None: an action offered from the device that starts a letter instead of moving it
    target: str | None
    holder: str | None
    role: str
    label: Promise
    # the name of the action on the device page, when the clerk takes it there
    page_action: str = ""


MOVES: dict[str, Move] = {
    move.name: move
    for move in [
        Move("deliver", frozenset({D.IN_CA_STOCK}), D.DELIVERED_TO_AGENCY, H.AGENCY, SYSTEM,
             _("Giao cho cơ quan")),
        # Only a device the CA delivered: one collected back (returned to agency) owes its
        # return to the CA (docs/devices.md, "States and custody") and goes nowhere else.
        Move("hand_over", frozenset({D.DELIVERED_TO_AGENCY}),
             D.HANDED_TO_SUBSCRIBER, H.SUBSCRIBER, Role.AGENCY_CLERK,
             _("Bàn giao cho thuê bao"), page_action="hand_over"),
        Move("lock", frozenset({D.HANDED_TO_SUBSCRIBER}), D.LOCKED, H.SUBSCRIBER,
             Role.AGENCY_CLERK, _("Ghi nhận bị khóa"), page_action="lock"),
        # A locked device is recovered through a Mẫu 06 letter (requests_app drafts it).
        Move("recovery_request", frozenset({D.LOCKED}), None, None, Role.AGENCY_CLERK,
             _("Đề nghị khôi phục"), page_action="recovery_request"),
        Move("recover", frozenset({D.LOCKED}), D.HANDED_TO_SUBSCRIBER, H.SUBSCRIBER, SYSTEM,
             _("Khôi phục")),
        # The holder stays who has it: the subscriber, or the agency for a device never
        # handed out (the caller says which).
        Move("await_return", IN_USE - {D.AWAITING_RETURN}, D.AWAITING_RETURN, H.SUBSCRIBER,
             SYSTEM, _("Chờ thu hồi")),
        Move("collect", frozenset({D.AWAITING_RETURN}), D.RETURNED_TO_AGENCY, H.AGENCY,
             Role.AGENCY_CLERK, _("Thu hồi về cơ quan"), page_action="collect"),
        # The Mẫu 08 minutes are drafted from the device page (devices:minutes_create); the
        # receiving side's confirmation of them makes the move below.
        Move("return_minutes", frozenset({D.AWAITING_RETURN, D.RETURNED_TO_AGENCY}), None, None,
             Role.AGENCY_CLERK, _("Lập biên bản bàn giao lại CA (Mẫu 08)"),
             page_action="return_minutes"),
        Move("return_to_ca", frozenset({D.AWAITING_RETURN, D.RETURNED_TO_AGENCY}),
             D.RETURNED_TO_CA, H.CA, SYSTEM, _("Bàn giao lại CA")),
        Move("lose", IN_USE, D.LOST, H.NOBODY, Role.AGENCY_CLERK, _("Báo mất"),
             page_action="report_loss"),
        Move("break", IN_USE, D.BROKEN, H.NOBODY, SYSTEM, _("Báo hỏng")),
    ]
}  # fmt: skip


# A device's PKCS#11 token (docs/ca.md, "Subscribers' tokens"), the same shape: the states a
# token operation starts from and the state it leads to (None: the state stays). Every one is
# the portal's own (the CA's processing, a return confirmed, a loss reported), never a page's.
T = TokenState


@dataclass(frozen=True)
class TokenMove:
    name: str
    sources: frozenset[str]
    target: str | None
    label: Promise


TOKEN_MOVES: dict[str, TokenMove] = {
    move.name: move
    for move in [
        # A new token (no row yet) or a wiped one gets its key pair ahead, in stock.
        TokenMove("key", frozenset({T.WIPED}), T.STOCK_KEYED, _("Sinh khóa sẵn")),
        TokenMove("personalise", frozenset({T.STOCK_KEYED}), T.PERSONALISED,
                  _("Cá thể hóa (ghi chứng thư)")),
        # A renewal or change of information writes its new certificate beside the same key.
        TokenMove("certificate_replace", frozenset({T.PERSONALISED}), None,
                  _("Ghi chứng thư mới")),
        TokenMove("pin_reset", frozenset({T.PERSONALISED}), None, _("Đặt lại mã PIN")),
        TokenMove("pin_reveal", frozenset({T.PERSONALISED}), None, _("Mở phong bì PIN")),
        TokenMove("wipe", frozenset({T.STOCK_KEYED, T.PERSONALISED}), T.WIPED, _("Xóa trắng token")),
        # Lost: the token is out of the CA's hands for good; nothing starts from retired.
        TokenMove("retire", frozenset({T.STOCK_KEYED, T.PERSONALISED, T.WIPED}), T.RETIRED,
                  _("Ngừng sử dụng")),
    ]
}  # fmt: skip
