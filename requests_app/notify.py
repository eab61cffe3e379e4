"""Who is told what at each step of a letter (in-app and e-mail through portal.notifications)."""

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_noop

from agencies.choices import Role
from portal.models import Notification
from portal.notifications import notify
from portal.texts import Text, text
from requests_app.choices import FormKind, Status
from requests_app.lifecycle import ACTIONS


def _members(role: str, **org_filter):
    return (
        get_user_model()
        .objects.filter(memberships__role=role, is_active=True, **org_filter)
        .distinct()
    )


def _url(cert_request) -> str:
    return reverse("requests_app:detail", args=[cert_request.pk])


def _title(cert_request) -> Text:
    return text(
        gettext_noop("%(form)s – %(agency)s"),
        form=FormKind(cert_request.form).label,
        agency=cert_request.agency.name,
    )


def awaiting_head(cert_request) -> None:
    agency = cert_request.agency
    heads = _members(Role.AGENCY_HEAD, memberships__organization=agency)
    notify(
        users=heads,
        message=text(gettext_noop("Văn bản chờ ký: %(title)s"), title=_title(cert_request)),
        url=_url(cert_request),
        # Closed by the deadline sweep once the letter left awaiting_head.
        subject=f"letter:{cert_request.pk}",
        kind="awaiting_head",
    )


def to_province(cert_request) -> None:
    officers = _members(
        Role.PROVINCIAL_OFFICER,
        memberships__organization__province_id=cert_request.agency.province_id,
    )
    notify(
        users=officers,
        message=text(
            gettext_noop("Văn bản mới cần xem xét: %(title)s, số %(number)s"),
            title=_title(cert_request),
            number=cert_request.number,
        ),
        url=_url(cert_request),
    )


def to_ca(cert_request) -> None:
    notify(
        users=_members(Role.CA_OPERATOR),
        message=text(
            gettext_noop("Văn bản được Sở KH&CN chuyển đến: %(title)s, số %(number)s"),
            title=_title(cert_request),
            number=cert_request.number,
        ),
        url=_url(cert_request),
    )


def outcome_to_clerk(cert_request, note: str = "", action: str = "") -> None:
    """Tell the drafting clerk what happened: the move's name when it sent the letter back to
    them (a bare "Dự thảo" would not say why), the new status otherwise."""
    what = ACTIONS[action].label if action else Status(cert_request.status).label
    title = _title(cert_request)
    message = (
        text(gettext_noop("%(title)s: %(status)s – %(note)s"), title=title, status=what, note=note)
        if note
        else text(gettext_noop("%(title)s: %(status)s"), title=title, status=what)
    )
    notify(users=[cert_request.created_by], message=message, url=_url(cert_request))


def processing_failed(cert_request) -> None:
    """The worker gave up on the letter (docs/processing.md §4.5): tell whoever processes it
    (the CA's operators, or the province's officers for a letter the Sở KH&CN processes) and
    the administrators. Keyed by the letter's failure count, so a redelivered task or a
    second sweep tells nobody twice, and a later failure after a retry is told again."""
    if cert_request.processed_by_province:
        processors = Q(
            memberships__role=Role.PROVINCIAL_OFFICER,
            memberships__organization__province_id=cert_request.agency.province_id,
        )
    else:
        processors = Q(memberships__role=Role.CA_OPERATOR)
    admins = Q(is_superuser=True) | Q(memberships__role=Role.ADMINISTRATOR)
    users = get_user_model().objects.filter(processors | admins, is_active=True).distinct()
    failures = cert_request.transitions.filter(action="processing_fail").count()
    notify(
        users=users,
        message=text(
            gettext_noop("Xử lý thất bại: %(title)s, số %(number)s – %(error)s"),
            title=_title(cert_request),
            number=cert_request.number,
            error=cert_request.processing_error,
        ),
        url=_url(cert_request),
        subject=f"letter:{cert_request.pk}",
        kind=Notification.Kind.PROCESSING_FAILED,
        key=f"letter:{cert_request.pk}:processing_failed:{failures}",
    )
