"""The device custody lifecycle: one table in the shape every workflow shares
(portal/lib/lifecycle.py; docs/architecture.md §3). Each move names the states it starts from
and the role that may take it there, the state it leads to, who holds the device afterwards,
its label, and the button of the device page that offers it.

`permissions.device_actions` offers the clerk's moves on the device page from it, the page
draws their buttons from it, `services.custody.transition` moves by it and decides the role
on the device as locked. Moves of the role SYSTEM are made by other services (delivery by the
CA's processing, a return owed after revocation, a return confirmed on the minutes), never from
a page.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from agencies.choices import Role
from devices.choices import CredentialState, DeviceKind, DeviceStatus, TokenState
from devices.models import CustodyRecord
from portal.lib.lifecycle import SYSTEM, Lifecycle, Move, from_each

D = DeviceStatus
H = CustodyRecord.HolderKind
CLERK = Role.AGENCY_CLERK
IN_USE = frozenset(
    {D.DELIVERED_TO_AGENCY, D.HANDED_TO_SUBSCRIBER, D.LOCKED, D.AWAITING_RETURN,
     D.RETURNED_TO_AGENCY}
)  # fmt: skip


@dataclass(frozen=True)
class CustodyMove(Move):
    # who holds the device after the move (None: a move that starts a document instead)
    holder: str | None = None


def _by_hand(device) -> bool:
    """A remote-signing credential is handed over by its activation and locks itself in the
    CA's HSM: no clerk hands it over or records its lock (docs/remote-signing.md, "Mẫu 06")."""
    return device.kind != DeviceKind.RSSP


def _no_minutes_yet(device) -> bool:
    """A device owing its return is put on one Mẫu 08 minutes, not two."""
    return not device.return_obligations.filter(
        closed_at__isnull=True, minutes__isnull=False
    ).exists()


MOVES: Lifecycle[CustodyMove] = Lifecycle([
    CustodyMove("deliver", from_each({D.IN_CA_STOCK}, SYSTEM), D.DELIVERED_TO_AGENCY,
                _("Giao cho cơ quan"), holder=H.AGENCY),
    # Only a device the CA delivered: one collected back (returned to agency) owes its
    # return to the CA (docs/devices.md, "States and custody") and goes nowhere else.
    CustodyMove("hand_over", from_each({D.DELIVERED_TO_AGENCY}, CLERK), D.HANDED_TO_SUBSCRIBER,
                _("Bàn giao cho thuê bao"), holder=H.SUBSCRIBER,
                button=_("Bàn giao cho thuê bao (Mẫu 07)"), url="devices:handover", opens=True,
                url_takes_pk=False, guard=_by_hand),
    # A remote-signing credential reaches its holder when they activate it with the CA's code.
    CustodyMove("activate", from_each({D.DELIVERED_TO_AGENCY}, SYSTEM), D.HANDED_TO_SUBSCRIBER,
                _("Người giữ khóa kích hoạt"), holder=H.SUBSCRIBER),
    # A locked device is recovered through a Mẫu 06 letter (requests_app drafts it).
    CustodyMove("recovery_request", from_each({D.LOCKED}, CLERK), None,
                _("Đề nghị khôi phục"),
                button=_("Lập văn bản đề nghị khôi phục (Mẫu 06)"),
                url="paperwork:device_recovery"),
    CustodyMove("collect", from_each({D.AWAITING_RETURN}, CLERK), D.RETURNED_TO_AGENCY,
                _("Thu hồi về cơ quan"), holder=H.AGENCY,
                button=_("Đã thu hồi từ thuê bao"), url="devices:collect"),
    # The Mẫu 08 minutes are drafted from the device page (devices:minutes_create); the
    # receiving side's confirmation of them makes the move `return_to_ca`.
    CustodyMove("return_minutes", from_each({D.AWAITING_RETURN, D.RETURNED_TO_AGENCY}, CLERK),
                None, _("Lập biên bản bàn giao lại CA (Mẫu 08)"), guard=_no_minutes_yet,
                button=_("Lập biên bản bàn giao lại CA (Mẫu 08)"), style="secondary",
                url="devices:minutes_create", opens=True, url_takes_pk=False),
    CustodyMove("lock", from_each({D.HANDED_TO_SUBSCRIBER}, CLERK), D.LOCKED,
                _("Ghi nhận bị khóa"), holder=H.SUBSCRIBER,
                button=_("Ghi nhận bị khóa (nhập sai mã PIN)"), style="secondary",
                url="devices:lock", guard=_by_hand),
    # A key the portal itself guards locked itself: a remote credential (wrong signing PINs,
    # or its holder's "lock now") or a SIM PKI blocked at the carrier's gateway.
    CustodyMove("lock_itself", from_each({D.DELIVERED_TO_AGENCY, D.HANDED_TO_SUBSCRIBER}, SYSTEM),
                D.LOCKED, _("Tự khóa"), holder=H.SUBSCRIBER),
    CustodyMove("recover", from_each({D.LOCKED}, SYSTEM), D.HANDED_TO_SUBSCRIBER,
                _("Khôi phục"), holder=H.SUBSCRIBER),
    # The holder stays who has it: the subscriber, or the agency for a device never
    # handed out (the caller says which).
    CustodyMove("await_return", from_each(IN_USE - {D.AWAITING_RETURN}, SYSTEM),
                D.AWAITING_RETURN, _("Chờ thu hồi"), holder=H.SUBSCRIBER),
    CustodyMove("return_to_ca", from_each({D.AWAITING_RETURN, D.RETURNED_TO_AGENCY}, SYSTEM),
                D.RETURNED_TO_CA, _("Bàn giao lại CA"), holder=H.CA),
    CustodyMove("lose", from_each(IN_USE, CLERK), D.LOST, _("Báo mất"), holder=H.NOBODY,
                button=_("Báo mất thiết bị (Mẫu 09)"), style="danger",
                url="paperwork:device_report_loss", opens=True),
    CustodyMove("break", from_each(IN_USE, SYSTEM), D.BROKEN, _("Báo hỏng"), holder=H.NOBODY),
])  # fmt: skip


# A device's PKCS#11 token (docs/ca.md, "Subscribers' tokens"), the same shape: the states a
# token operation starts from and the state it leads to (None: the state stays). Every one is
# the portal's own (the CA's processing, a return confirmed, a loss reported), never a page's.
T = TokenState


TOKEN_MOVES: Lifecycle[Move] = Lifecycle([
    # A new token (no row yet) or a wiped one gets its key pair ahead, in stock.
    Move("key", from_each({T.WIPED}, SYSTEM), T.STOCK_KEYED, _("Sinh khóa sẵn")),
    Move("personalise", from_each({T.STOCK_KEYED}, SYSTEM), T.PERSONALISED,
         _("Cá thể hóa (ghi chứng thư)")),
    # A renewal or change of information writes its new certificate beside the same key.
    Move("certificate_replace", from_each({T.PERSONALISED}, SYSTEM), None,
         _("Ghi chứng thư mới")),
    Move("pin_reset", from_each({T.PERSONALISED}, SYSTEM), None, _("Đặt lại mã PIN")),
    Move("pin_reveal", from_each({T.PERSONALISED}, SYSTEM), None, _("Mở phong bì PIN")),
    Move("wipe", from_each({T.STOCK_KEYED, T.PERSONALISED}, SYSTEM), T.WIPED,
         _("Xóa trắng token")),
    # Lost: the token is out of the CA's hands for good; nothing starts from retired.
    Move("retire", from_each({T.STOCK_KEYED, T.PERSONALISED, T.WIPED}, SYSTEM), T.RETIRED,
         _("Ngừng sử dụng")),
])  # fmt: skip


# A remote-signing credential (docs/remote-signing.md), the same shape: its row is written when
# the CA has generated its key pair in the HSM and certified it (no row before: state
# `issued`), and its key is destroyed when its certificate is revoked. The portal's own moves.
C = CredentialState

CREDENTIAL_MOVES: Lifecycle[Move] = Lifecycle([
    Move("destroy", from_each({C.ISSUED}, SYSTEM), C.DESTROYED, _("Hủy khóa")),
])  # fmt: skip
