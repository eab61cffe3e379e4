"""The privacy workflows' lifecycles, each one table in the shape every workflow shares
(portal/lib/lifecycle.py; docs/architecture.md §3); the services move only along them.

An incident: recorded → notified (the authority has been told) → closed, moved by the data
protection officer (or an administrator).

A data subject's correction request: submitted → corrected (the clerk corrected the record),
or → letter drafted (the field shows on a valid certificate: the record corrected and a Mẫu 04
change of information drafted, `requests_app.services.corrections`), or → rejected with a
reason; moved by a clerk of the person's agency. Which of the first two fits is each move's
guard, read on the locked request.
"""

from django.utils.translation import gettext_lazy as _

from agencies.choices import Role
from portal.lib.lifecycle import Lifecycle, Move, from_each
from privacy.choices import CERTIFICATE_FIELDS
from privacy.choices import CorrectionStatus as CS
from privacy.choices import IncidentStatus as S

DPO = Role.DATA_PROTECTION_OFFICER

MOVES: Lifecycle[Move] = Lifecycle([
    Move("notify", from_each({S.RECORDED}, DPO), S.NOTIFIED,
         _("Đã thông báo cơ quan chức năng"), effect="incident_mark_notified",
         button=_("Ghi nhận đã thông báo"), url="privacy:incident_notify"),
    Move("close", from_each({S.NOTIFIED}, DPO), S.CLOSED, _("Kết thúc xử lý sự cố"),
         effect="incident_close", button=_("Kết thúc sự cố"), style="secondary",
         url="privacy:incident_close"),
])  # fmt: skip


def shown_on_valid_certificate(correction) -> bool:
    """Whether the field to correct is shown on a valid certificate of the person (read
    through the reverse relation the registry declares, docs/architecture.md §1)."""
    return (
        correction.field in CERTIFICATE_FIELDS and correction.person.certificates.valid().exists()
    )


def not_on_valid_certificate(correction) -> bool:
    return not shown_on_valid_certificate(correction)


CLERK = Role.AGENCY_CLERK

CORRECTION_MOVES: Lifecycle[Move] = Lifecycle([
    Move("correct", from_each({CS.SUBMITTED}, CLERK), CS.CORRECTED, _("Đính chính hồ sơ"),
         guard=not_on_valid_certificate, effect="correction_request_correct",
         button=_("Đính chính hồ sơ"), url="corrections:correct"),
    Move("draft_letter", from_each({CS.SUBMITTED}, CLERK), CS.LETTER_DRAFTED,
         _("Đính chính hồ sơ và lập văn bản thay đổi thông tin"),
         guard=shown_on_valid_certificate, effect="correction_request_draft_letter",
         button=_("Đính chính và lập Mẫu 04"), url="corrections:draft_letter"),
    Move("reject", from_each({CS.SUBMITTED}, CLERK), CS.REJECTED, _("Từ chối đính chính"),
         effect="correction_request_reject", button=_("Từ chối"), style="danger",
         url="corrections:reject"),
])  # fmt: skip
