"""Reminding the agencies of letters that wait on them (docs/bulk.md, "Reminders"), the
provincial officer's and the CA operator's, from a search of the letters register: a draft
(new, or sent back by the head, the Sở KH&CN or the CA) waits on the agency's clerks; a
letter awaiting the head's signature (submitted, or issued and not yet signed) on its clerks
and its heads. Each such letter tells them once per job and letter whatever the number of
batches or runs (`portal.notifications.notify` with the key
"bulk_job:<job>:remind_letter:<letter>"), with a link to the letter. A letter not waiting on
its agency (with the Sở KH&CN, the CA, done, refused, cancelled) is skipped with its status."""

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from agencies.choices import Role
from bulk.actions.base import ActionSpec, Outcome
from bulk.actions.people import nearest_members
from bulk.actions.remind import officer_or_ca
from bulk.choices import BulkAction, Register
from portal.notifications import notify
from portal.texts import Text, text
from requests_app.choices import FormKind, Status
from requests_app.models import CertRequest, Transition

# Who each status waits on at the letter's agency (requests_app.lifecycle).
WAITING_ON = {
    Status.DRAFT: (Role.AGENCY_CLERK,),
    Status.AWAITING_HEAD: (Role.AGENCY_CLERK, Role.AGENCY_HEAD),
    Status.ISSUED: (Role.AGENCY_CLERK, Role.AGENCY_HEAD),
}
# The moves that send a letter back to its drafter (requests_app.lifecycle.ACTIONS).
SENT_BACK = ("send_back", "return", "exchange_return")


def _why(letter, sent_back: set[int]) -> Text:
    if letter.status == Status.DRAFT:
        if letter.pk in sent_back:
            return text(gettext_noop("bị trả lại, chờ cán bộ soạn sửa và trình lại"))
        return text(gettext_noop("là dự thảo, chờ cán bộ soạn hoàn thiện và trình ký"))
    if letter.status == Status.AWAITING_HEAD:
        return text(gettext_noop("chờ lãnh đạo ký"))
    return text(gettext_noop("đã cấp số, chờ lãnh đạo ký số bản chính thức"))


def _run(job, ids: list[int]) -> Outcome:
    outcome = Outcome()
    letters = list(
        CertRequest.objects.filter(pk__in=ids)
        .select_related("agency")
        .only("pk", "number", "form", "status", "agency__name", "agency__path")
        .order_by("pk")
    )
    for pk in set(ids) - {letter.pk for letter in letters}:
        outcome.failed(_("Không còn văn bản này."), pk)
    waiting = []
    for letter in letters:
        if letter.status in WAITING_ON:
            waiting.append(letter)
        else:
            outcome.skipped(
                _("Văn bản đang ở trạng thái “%(status)s”: không chờ cơ quan đề nghị.")
                % {"status": letter.get_status_display()},
                letter.pk,
            )
    agencies = {letter.agency_id: letter.agency for letter in waiting}.values()
    people = {
        role: nearest_members(agencies, role) for role in (Role.AGENCY_CLERK, Role.AGENCY_HEAD)
    }
    sent_back = set(
        Transition.objects.filter(
            cert_request_id__in=[letter.pk for letter in waiting if letter.status == Status.DRAFT],
            to_status=Status.DRAFT,
            action__in=SENT_BACK,
        ).values_list("cert_request_id", flat=True)
    )
    for letter in waiting:
        users = {
            user.pk: user
            for role in WAITING_ON[letter.status]
            for user in people[role].get(letter.agency_id, ())
        }
        if not users:
            outcome.failed(
                _("%(agency)s chưa có người nhận trên cổng: không nhắc được.")
                % {"agency": letter.agency.name},
                letter.pk,
            )
            continue
        label = letter.number or f"#{letter.pk}"
        why = _why(letter, sent_back)
        _notify(job, letter, list(users.values()), label, why)
        outcome.done(
            _("Đã nhắc %(n)s người của %(agency)s: văn bản %(why)s.")
            % {"n": len(users), "agency": letter.agency.name, "why": why},
            letter.pk,
        )
    return outcome


def _notify(job, letter, users, label: str, why: str) -> None:
    notify(
        users=users,
        message=text(
            gettext_noop(
                "Nhắc việc: văn bản %(label)s (%(form)s) của %(agency)s %(why)s — %(reason)s"
            ),
            label=label,
            form=FormKind(letter.form).label,
            agency=letter.agency.name,
            why=why,
            reason=job.reason,
        ),
        url=reverse("requests_app:detail", args=[letter.pk]),
        subject=f"bulk_job:{job.pk}",
        kind="bulk",
        key=f"bulk_job:{job.pk}:remind_letter:{letter.pk}",
    )


REMIND_LETTERS = ActionSpec(
    action=BulkAction.REMIND,
    register=Register.LETTERS,
    allowed=officer_or_ca,
    clean_params=lambda rows, params, by: {},
    run_batch=_run,
)
