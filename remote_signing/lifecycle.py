"""Sole control of a remote-signing credential, in the one lifecycle shape
(portal/lib/lifecycle.py; docs/remote-signing.md): an activation code issued by the CA, the
holder's activation (signing PIN and second factor), the lock after too many wrong PINs or by
the holder, and the reopening by a Mẫu 06 recovery, after which the CA issues a new code. Every move is the portal's own, made by its service."""

from django.utils.translation import gettext_lazy as _

from portal.lib.lifecycle import SYSTEM, Lifecycle, Move, from_each
from remote_signing.choices import ControlState

S = ControlState

MOVES: Lifecycle[Move] = Lifecycle([
    # A new code: the first, or one replacing a lost or expired code, or the one after a
    # Mẫu 06 reopened a locked credential.
    Move("code_issue", from_each({S.AWAITING_ACTIVATION}, SYSTEM),
         S.AWAITING_ACTIVATION, _("Cấp mã kích hoạt"), effect="activation_code_issue"),
    Move("activate", from_each({S.AWAITING_ACTIVATION}, SYSTEM), S.ACTIVE, _("Kích hoạt"),
         effect="credential_activate"),
    Move("authorize", from_each({S.ACTIVE}, SYSTEM), None, _("Xác nhận ký"),
         effect="signature_authorize"),
    Move("lock", from_each({S.ACTIVE}, SYSTEM), S.LOCKED, _("Khóa")),
    # The CA's processing of a Mẫu 06 (unlock, or reset of a forgotten PIN after "lock now"):
    # the old PIN and authenticator are withdrawn; the holder activates again with a new code.
    # From any state: the letter asks it for a locked device, and a device a clerk recorded
    # locked before devices followed their credentials may hold an active one.
    Move("reopen", from_each({S.LOCKED, S.ACTIVE, S.AWAITING_ACTIVATION}, SYSTEM),
         S.AWAITING_ACTIVATION, _("Mở lại (Mẫu 06)"), effect="credential_reopen"),
])  # fmt: skip
