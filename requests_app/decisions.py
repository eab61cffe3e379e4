"""How a letter's row reads: its decision state and label (`RequestRow.decision`) and the
order of the letter's counters (`RequestRowQuerySet.row_figures`), docs/scale.md §12.6."""

from django.utils.translation import gettext_lazy as _

from requests_app.choices import Outcome, Status

# Where a forwarded letter may stand: the CA has it, or has processed it.
AFTER_FORWARD = {Status.FORWARDED, Status.IN_PROCESS, Status.PROCESSING_FAILED, Status.DONE}

# The order in which a letter's counters read.
DECISION_ORDER = (
    Outcome.PENDING,
    "province-accepted",
    "ca-accepted",
    Outcome.ACCEPTED,
    "province-refused",
    "ca-refused",
    Outcome.REFUSED,
    Outcome.DONE,
    Outcome.FAILED,
    Outcome.STOPPED,
)


def decision_of(letter, outcome: str, *, decided: bool, by_province: bool) -> tuple[str, str]:
    """(state, label) of a row of `letter` with `outcome`, decided by someone or not, before
    the letter's forwarding (by the Sở) or after (by the CA): `RequestRow.decision` for one
    row, and the key of the letter's counters, grouped by these three in one query."""
    plain = outcome, str(Outcome(outcome).label)
    if not decided:
        return plain
    if outcome == Outcome.PENDING:
        if by_province and letter.forwarded_at and letter.status in AFTER_FORWARD:
            return "province-accepted", str(_("Sở KH&CN đã chấp nhận"))
        return plain
    if outcome == Outcome.ACCEPTED:
        if by_province:
            return "province-accepted", str(_("Sở KH&CN đã chấp nhận"))
        return "ca-accepted", str(_("CA đã chấp nhận"))
    if outcome == Outcome.REFUSED:
        if by_province:
            return "province-refused", str(_("Sở KH&CN đã từ chối"))
        return "ca-refused", str(_("CA đã từ chối"))
    return plain
