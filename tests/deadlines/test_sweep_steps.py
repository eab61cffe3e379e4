"""Each step of the deadline sweep on its own (docs/processing.md §4.9): the rows it opens and
closes, the notices it writes and closes, the counts it returns, and that it is set-based (the
same few statements whatever the number of letters); a renewal overtaken by time is told to
the agency's clerks and heads once per row (docs/domain.md §5.9)."""

from contextlib import nullcontext
from datetime import date, datetime, time, timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from agencies.choices import Role
from certificates.choices import CertStatus, RevocationReason
from certificates.models import Certificate
from devices.deadlines import return_deadlines_sync
from devices.models import ReturnObligation
from portal.models import Deadline, Notification
from requests_app import services
from requests_app.choices import FormKind, Outcome, Status
from requests_app.deadlines import (
    OVERTAKEN,
    deadlines_sweep,
    letter_clock,
    letter_deadlines_sync,
    letter_notifications_close,
    letter_step,
    renewals_overtaken_notify,
)
from requests_app.models import CertRequest, RequestRow
from tests import factories as f
from tests.deadlines.moments import on, return_obligation, waiting_letter

pytestmark = pytest.mark.django_db

MONDAY = date(2026, 3, 2)
LABEL = "Văn bản số 15/STC-VP của Sở Tài chính tỉnh Lai Châu"


def on_postgresql_in(statements: int, django_assert_num_queries):
    """Exactly `statements` on PostgreSQL, where each step is set-based; SQLite's variant of a
    step takes a statement per row (the SQLite part of CI still checks what it writes)."""
    if connection.vendor == "postgresql":
        return django_assert_num_queries(statements)
    return nullcontext()


def _at(day: date, hour: int = 9) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _deadlines(letter):
    return list(
        Deadline.objects.filter(subject=f"letter:{letter.pk}")
        .order_by("pk")
        .values_list("kind", "actor", "state", "due_on", "closed_at")
    )


# --- letter_deadlines_sync ----------------------------------------------------------------


def test_sync_opens_one_deadline_per_waiting_letter_in_two_statements(
    cast, django_assert_num_queries
):
    at_province = waiting_letter(cast, status=Status.PROVINCE_REVIEW, due_on=date(2026, 3, 5))
    at_ca = waiting_letter(cast, status=Status.FORWARDED, due_on=date(2026, 3, 6), forwarded=True)
    in_process = waiting_letter(
        cast, status=Status.IN_PROCESS, due_on=date(2026, 3, 6), forwarded=True
    )
    failed = waiting_letter(
        cast, status=Status.PROCESSING_FAILED, due_on=date(2026, 3, 6), forwarded=True
    )
    recovery = waiting_letter(
        cast,
        status=Status.FORWARDED,
        due_on=date(2026, 3, 3),
        form=FormKind.RECOVER_DEVICE,
        forwarded=True,
    )
    waiting_letter(cast, status=Status.AWAITING_HEAD, due_on=date(2026, 3, 5))  # not waiting
    undated = waiting_letter(cast, status=Status.PROVINCE_REVIEW, due_on=None)
    with on(MONDAY), on_postgresql_in(2, django_assert_num_queries):
        assert letter_deadlines_sync() == {"opened": 5, "closed": 0}
    rows = {
        d.subject: (d.kind, d.actor, d.state, d.due_on, d.level, d.agency_id, d.label, d.url)
        for d in Deadline.objects.all()
    }
    agency = cast.agency_a.pk

    def row(letter, kind, actor, due_on):
        url = reverse("requests_app:detail", args=[letter.pk])
        return (kind, actor, "open", due_on, 0, agency, LABEL, url)

    assert rows == {
        f"letter:{at_province.pk}": row(
            at_province, "province_review", "provincial_officer", date(2026, 3, 5)
        ),
        f"letter:{at_ca.pk}": row(at_ca, "ca_processing", "ca_operator", date(2026, 3, 6)),
        f"letter:{in_process.pk}": row(
            in_process, "ca_processing", "ca_operator", date(2026, 3, 6)
        ),
        f"letter:{failed.pk}": row(failed, "ca_processing", "ca_operator", date(2026, 3, 6)),
        f"letter:{recovery.pk}": row(recovery, "recovery", "ca_operator", date(2026, 3, 3)),
    }
    assert not Deadline.objects.filter(subject=f"letter:{undated.pk}").exists()
    assert Deadline.objects.filter(opened_at__isnull=True).count() == 0
    with on(MONDAY):
        assert letter_deadlines_sync() == {"opened": 0, "closed": 0}  # nothing twice


def test_sync_closes_as_met_the_deadlines_of_letters_that_moved_on(cast):
    issued = waiting_letter(cast, status=Status.PROVINCE_REVIEW, due_on=date(2026, 3, 5))
    redated = waiting_letter(cast, status=Status.PROVINCE_REVIEW, due_on=date(2026, 3, 5))
    forwarded = waiting_letter(cast, status=Status.PROVINCE_REVIEW, due_on=date(2026, 3, 5))
    still = waiting_letter(cast, status=Status.PROVINCE_REVIEW, due_on=date(2026, 3, 5))
    recovery = waiting_letter(
        cast, status=Status.PROVINCE_REVIEW, due_on=date(2026, 3, 3), form=FormKind.RECOVER_DEVICE
    )
    other = Deadline.objects.create(  # another sweep's deadline: not this step's to close
        kind=Deadline.Kind.DEVICE_RETURN,
        subject="obligation:999999",
        due_on=date(2026, 3, 5),
        actor=Deadline.Actor.CLERK,
        agency_id=cast.agency_a.pk,
    )
    with on(MONDAY):
        letter_deadlines_sync()
    CertRequest.objects.filter(pk=issued.pk).update(status=Status.ISSUED)
    CertRequest.objects.filter(pk=redated.pk).update(due_on=date(2026, 3, 6))
    CertRequest.objects.filter(pk__in=[forwarded.pk, recovery.pk]).update(
        status=Status.FORWARDED, forwarded_at=timezone.now()
    )
    with on(date(2026, 3, 3)):
        assert letter_deadlines_sync() == {"opened": 2, "closed": 3}
    met = _at(date(2026, 3, 3))
    assert _deadlines(issued) == [
        ("province_review", "provincial_officer", "met", date(2026, 3, 5), met)
    ]
    assert _deadlines(redated) == [
        ("province_review", "provincial_officer", "met", date(2026, 3, 5), met),
        ("province_review", "provincial_officer", "open", date(2026, 3, 6), None),
    ]
    assert _deadlines(forwarded) == [
        ("province_review", "provincial_officer", "met", date(2026, 3, 5), met),
        ("ca_processing", "ca_operator", "open", date(2026, 3, 5), None),
    ]
    assert _deadlines(still) == [
        ("province_review", "provincial_officer", "open", date(2026, 3, 5), None)
    ]
    # A recovery letter runs against its one working day wherever it waits.
    assert _deadlines(recovery) == [
        ("recovery", "provincial_officer", "open", date(2026, 3, 3), None)
    ]
    other.refresh_from_db()
    assert (other.state, other.closed_at) == ("open", None)


# --- letter_notifications_close -------------------------------------------------------------


def _notice(user, kind, subject):
    return Notification.objects.create(
        user=user, message="Thông báo", kind=kind, subject=subject, key=f"{subject}:{kind}"
    )


def _closed(*notices):
    return [Notification.objects.get(pk=n.pk).closed_at is not None for n in notices]


def test_notices_close_once_their_reason_is_gone_and_are_counted_across_kinds(cast):
    signing = waiting_letter(cast, status=Status.AWAITING_HEAD, due_on=None)
    signed = waiting_letter(cast, status=Status.PROVINCE_REVIEW, due_on=None)
    running = Deadline.objects.create(
        kind=Deadline.Kind.PROVINCE_REVIEW,
        subject="letter:1",
        due_on=date(2026, 3, 5),
        actor=Deadline.Actor.PROVINCE,
        agency_id=cast.agency_a.pk,
    )
    met = Deadline.objects.create(
        kind=Deadline.Kind.PROVINCE_REVIEW,
        subject="letter:2",
        due_on=date(2026, 3, 5),
        actor=Deadline.Actor.PROVINCE,
        agency_id=cast.agency_a.pk,
        closed_at=timezone.now(),
    )
    with on(MONDAY):
        valid = f.certificate_valid_for(cast, days_left=20)
        ending = f.certificate_valid_for(cast)
        revoked = f.certificate_valid_for(
            cast,
            status=CertStatus.REVOKED,
            revoked_at=timezone.now(),
            revocation_reason=RevocationReason.SUPERSEDED,
        )
        renewed = f.certificate_valid_for(cast)
        expired = f.certificate_valid_for(cast, status=CertStatus.EXPIRED)
    Certificate.objects.filter(pk=renewed.pk).update(
        status=CertStatus.REVOKED,
        revoked_at=_at(MONDAY),
        revocation_reason=RevocationReason.SUPERSEDED,
        superseded_by=valid,
    )
    Certificate.objects.filter(pk=ending.pk).update(not_after=_at(MONDAY, 10))
    clerk = cast.clerk_a
    keep = [
        _notice(cast.head_a, "awaiting_head", f"letter:{signing.pk}"),
        _notice(clerk, "deadline", f"deadline:{running.pk}"),
        _notice(clerk, "renewal", f"certificate:{valid.pk}"),
        _notice(clerk, "renewal", f"certificate:{ending.pk}"),  # ends at 10:00, still valid
        _notice(clerk, "", ""),
    ]
    close = [
        _notice(cast.head_a, "awaiting_head", f"letter:{signed.pk}"),
        _notice(clerk, "deadline", f"deadline:{met.pk}"),
        _notice(clerk, "renewal", f"certificate:{revoked.pk}"),
        _notice(clerk, "renewal", f"certificate:{renewed.pk}"),
        _notice(clerk, "renewal", f"certificate:{expired.pk}"),
    ]
    with on(MONDAY):
        assert letter_notifications_close() == 5
    assert _closed(*keep) == [False] * 5
    assert _closed(*close) == [True] * 5
    with on(date(2026, 3, 3)):  # the next day `ending` has run out
        assert letter_notifications_close() == 1
    assert _closed(*keep) == [False, False, False, True, False]


# --- renewals_overtaken_notify ---------------------------------------------------------------


def _renewal(cast, letter, certificate, **fields):
    services.row_save(
        cert_request=letter, by=cast.clerk_a, data={"certificate": certificate, "renew": True}
    )
    row = RequestRow.objects.filter(cert_request=letter).order_by("-pk").first()
    if fields:
        RequestRow.objects.filter(pk=row.pk).update(**fields)
    return row


def test_a_pending_or_accepted_renewal_under_the_floor_is_told_to_clerks_and_heads(
    cast, django_assert_num_queries
):
    now = _at(date(2026, 3, 20))  # the sweep's moment, not the clock's
    limit = now + timedelta(days=30)
    with on(MONDAY):
        under = f.certificate_valid_for(cast)
        accepted = f.certificate_valid_for(cast)
        at_floor = f.certificate_valid_for(cast)
        refused = f.certificate_valid_for(cast)
        changed = f.certificate_valid_for(cast)
        issued_letter_cert = f.certificate_valid_for(cast)
        draft_cert = f.certificate_valid_for(cast)
        letter = f.letter_draft(cast, form=FormKind.RENEW_CHANGE)
        told_row = _renewal(cast, letter, under)
        accepted_row = _renewal(cast, letter, accepted, outcome=Outcome.ACCEPTED)
        _renewal(cast, letter, at_floor)
        _renewal(cast, letter, refused, outcome=Outcome.REFUSED)
        _renewal(cast, letter, changed, renew=False)
        issued = f.letter_draft(cast, form=FormKind.RENEW_CHANGE)
        issued_row = _renewal(cast, issued, issued_letter_cert)
        draft = f.letter_draft(cast, form=FormKind.RENEW_CHANGE)
        _renewal(cast, draft, draft_cert)
    Certificate.objects.filter(pk__in=[under.pk, accepted.pk, refused.pk, changed.pk]).update(
        not_after=limit - timedelta(seconds=1)
    )
    Certificate.objects.filter(pk__in=[issued_letter_cert.pk, draft_cert.pk]).update(
        not_after=limit - timedelta(days=1)
    )
    Certificate.objects.filter(pk=at_floor.pk).update(not_after=limit)
    CertRequest.objects.filter(pk=letter.pk).update(status=Status.PROVINCE_REVIEW, number="7/STC")
    CertRequest.objects.filter(pk=issued.pk).update(status=Status.ISSUED, number="8/STC")
    f.MembershipFactory(  # an agency member who left: not told
        organization=cast.agency_a,
        role=Role.AGENCY_CLERK,
        user=f.UserFactory(username="clerk_left", is_active=False),
    )
    f.MembershipFactory(organization=cast.agency_a, role=Role.SUBSCRIBER)  # not the agency's staff
    # on PostgreSQL one INSERT … SELECT, then the e-mails' read (elsewhere a statement a row)
    with on_postgresql_in(2, django_assert_num_queries):
        assert renewals_overtaken_notify(now=now) == 6
    told = Notification.objects.filter(kind="renewal_overtaken")
    got = {(n.user.username, n.key): n for n in told}
    assert sorted(got) == sorted(
        (user, f"row:{row.pk}:renewal_overtaken")
        for user in ("clerk_a", "head_a")
        for row in (told_row, accepted_row, issued_row)
    )
    notice = got[("head_a", f"row:{told_row.pk}:renewal_overtaken")]
    assert notice.message == (
        f"Yêu cầu gia hạn chứng thư số {under.serial} trong văn bản số 7/STC không thể thực "
        "hiện vì chứng thư còn dưới 30 ngày: đề nghị lập văn bản đề nghị cấp mới."
    )
    assert notice.message_data == {
        "code": OVERTAKEN,
        "params": {"serial": under.serial, "number": "7/STC", "min": 30},
    }
    assert notice.url == reverse("requests_app:detail", args=[letter.pk])
    assert notice.subject == f"letter:{letter.pk}"
    other = got[("clerk_a", f"row:{issued_row.pk}:renewal_overtaken")]
    assert other.url == reverse("requests_app:detail", args=[issued.pk])
    assert other.subject == f"letter:{issued.pk}"
    assert renewals_overtaken_notify(now=now) == 0  # once per row


def test_a_renewal_just_over_the_floor_is_not_told_yet(cast):
    now = _at(date(2026, 3, 20))
    with on(MONDAY):
        certificate = f.certificate_valid_for(cast)
        letter = f.letter_draft(cast, form=FormKind.RENEW_CHANGE)
        _renewal(cast, letter, certificate)
    CertRequest.objects.filter(pk=letter.pk).update(status=Status.AWAITING_HEAD, number="9/STC")
    Certificate.objects.filter(pk=certificate.pk).update(
        not_after=now + timedelta(days=30, seconds=1)
    )
    assert renewals_overtaken_notify(now=now) == 0
    assert renewals_overtaken_notify(now=now + timedelta(seconds=2)) == 2


# --- deadlines_sweep --------------------------------------------------------------------------


def test_the_sweep_runs_every_step_at_the_moment_it_is_given(cast):
    with on(MONDAY):
        late = waiting_letter(cast, status=Status.PROVINCE_REVIEW, due_on=date(2026, 3, 5))
        certificate = f.certificate_valid_for(cast, days_left=35)
        renewing = f.letter_draft(cast, form=FormKind.RENEW_CHANGE)
        _renewal(cast, renewing, certificate)
        signed = waiting_letter(cast, status=Status.ISSUED, due_on=None)
        _notice(cast.head_a, "awaiting_head", f"letter:{signed.pk}")
        CertRequest.objects.filter(pk=renewing.pk).update(status=Status.ISSUED, number="7/STC")
        # The clock says Monday 2/3; the sweep is asked for Monday 9/3: two working days
        # late (6 and 9 March), and the certificate under 30 days from then.
        result = deadlines_sweep(now=_at(date(2026, 3, 9)))
    deadline = Deadline.objects.get(subject=f"letter:{late.pk}")
    assert (deadline.level, deadline.state) == (2, "escalated")
    assert result == {
        "letters_opened": 1,
        "letters_closed": 0,
        "devices_opened": 0,
        "devices_closed": 0,
        "raised": 1,
        "notified": result["notified"],
        "overtaken": 2,
        "closed": 1,
    }
    assert result["notified"] == Notification.objects.filter(kind="deadline").count() > 0


# --- letter_step and letter_clock -------------------------------------------------------------


def _letter_in(cast, status, *, due_on=date(2026, 3, 5), form=FormKind.ISSUE_PERSON, forwarded):
    letter = waiting_letter(cast, status=status, due_on=due_on, form=form, forwarded=forwarded)
    return CertRequest.objects.get(pk=letter.pk)


def test_the_step_a_letter_waits_on_and_who_must_act(cast):
    province, ca = "provincial_officer", "ca_operator"
    assert letter_step(_letter_in(cast, Status.PROVINCE_REVIEW, forwarded=False)) == (
        "province_review",
        province,
    )
    # Sent back to the province after forwarding: the province's step again.
    assert letter_step(_letter_in(cast, Status.PROVINCE_REVIEW, forwarded=True)) == (
        "province_review",
        province,
    )
    assert letter_step(_letter_in(cast, Status.FORWARDED, forwarded=True)) == ("ca_processing", ca)
    assert letter_step(_letter_in(cast, Status.IN_PROCESS, forwarded=False)) == (
        "province_review",
        province,
    )
    recover = FormKind.RECOVER_DEVICE
    assert letter_step(_letter_in(cast, Status.PROVINCE_REVIEW, form=recover, forwarded=False)) == (
        "recovery",
        province,
    )
    assert letter_step(_letter_in(cast, Status.FORWARDED, form=recover, forwarded=True)) == (
        "recovery",
        ca,
    )
    assert letter_step(_letter_in(cast, Status.DONE, forwarded=True)) is None
    assert (
        letter_step(_letter_in(cast, Status.PROVINCE_REVIEW, due_on=None, forwarded=False)) is None
    )


def _deadline(letter, kind, due_on, *, level=0, closed=False, opened_day=1):
    return Deadline.objects.create(
        kind=kind,
        subject=f"letter:{letter.pk}",
        due_on=due_on,
        actor=Deadline.Actor.PROVINCE,
        agency_id=letter.agency_id,
        level=level,
        opened_at=_at(date(2026, 2, opened_day)),
        closed_at=_at(date(2026, 3, 1)) if closed else None,
        state="met" if closed else "open",
    )


def test_the_clock_counts_working_days_to_the_due_date_and_shows_the_running_level(cast):
    letter = _letter_in(cast, Status.PROVINCE_REVIEW, forwarded=False)
    stale = _deadline(letter, "province_review", date(2026, 3, 4), level=4, opened_day=1)
    met = _deadline(letter, "ca_processing", date(2026, 3, 5), level=1, closed=True, opened_day=2)
    _deadline(letter, "province_review", date(2026, 3, 5), level=2, opened_day=3)
    Deadline.objects.create(  # another subject's deadline
        kind="province_review",
        subject="letter:999999",
        due_on=date(2026, 3, 5),
        actor=Deadline.Actor.PROVINCE,
        agency_id=letter.agency_id,
        level=3,
    )
    # Monday 9/3, due Thursday 5/3: two working days late (6 and 9 March).
    assert letter_clock(letter, today=date(2026, 3, 9)) == {
        "current": {
            "kind": "Sở KH&CN xem xét",
            "actor": "Sở KH&CN",
            "due_on": date(2026, 3, 5),
            "left": -2,
            "overdue": 2,
            "level": 2,
        },
        "past": [met],
    }
    Deadline.objects.filter(pk=stale.pk).delete()
    # Monday 2/3: three working days left (3, 4, 5 March), nothing overdue.
    clock = letter_clock(letter, today=date(2026, 3, 2))
    assert (clock["current"]["left"], clock["current"]["overdue"]) == (3, 0)
    assert clock["current"]["level"] == 2


def test_the_clock_of_a_letter_no_deadline_runs_for_yet_is_at_level_0(cast):
    letter = _letter_in(
        cast,
        Status.FORWARDED,
        due_on=date(2026, 3, 5),
        form=FormKind.RECOVER_DEVICE,
        forwarded=True,
    )
    assert letter_clock(letter, today=date(2026, 3, 5)) == {
        "current": {
            "kind": "Khôi phục thiết bị (1 ngày làm việc)",
            "actor": "CA",
            "due_on": date(2026, 3, 5),
            "left": 0,
            "overdue": 0,
            "level": 0,
        },
        "past": [],
    }


def test_a_letter_that_waits_no_more_has_only_its_past_deadlines(cast):
    letter = _letter_in(cast, Status.DONE, forwarded=True)
    met = _deadline(letter, "province_review", date(2026, 3, 5), closed=True)
    assert letter_clock(letter, today=date(2026, 3, 9)) == {"current": None, "past": [met]}


def test_the_overtaken_notice_is_written_in_the_portals_default_language(cast, settings):
    settings.LANGUAGE_CODE = "en"
    now = _at(date(2026, 3, 20))
    with on(MONDAY):
        certificate = f.certificate_valid_for(cast)
        letter = f.letter_draft(cast, form=FormKind.RENEW_CHANGE)
        _renewal(cast, letter, certificate)
    CertRequest.objects.filter(pk=letter.pk).update(status=Status.AWAITING_HEAD, number="9/STC")
    Certificate.objects.filter(pk=certificate.pk).update(not_after=now)
    assert renewals_overtaken_notify(now=now) == 2
    assert Notification.objects.filter(kind="renewal_overtaken").first().message == (
        f"The renewal of certificate {certificate.serial} in letter no. 9/STC can no longer be"
        " done, less than 30 days are left: please file a request for a new issue."
    )


# --- return_deadlines_sync (devices) -------------------------------------------------------


def _return_deadlines():
    return {
        d.subject: (d.kind, d.actor, d.state, d.due_on, d.level, d.agency_id, d.label, d.url)
        for d in Deadline.objects.filter(kind=Deadline.Kind.DEVICE_RETURN)
    }


def test_return_sync_opens_one_deadline_per_open_obligation_in_two_statements(
    cast, django_assert_num_queries
):
    first = return_obligation(cast, due_on=date(2026, 3, 6))
    second = return_obligation(cast, due_on=date(2026, 3, 9))
    closed = return_obligation(cast, due_on=date(2026, 3, 6), closed=True)
    with on(MONDAY), on_postgresql_in(2, django_assert_num_queries):
        assert return_deadlines_sync() == {"opened": 2, "closed": 0}

    def row(obligation):
        device = obligation.device
        return (
            "device_return", "agency_clerk", "open", obligation.due_on, 0, cast.agency_a.pk,
            f"Bàn giao lại thiết bị {device.serial}",
            reverse("devices:detail", args=[device.pk]),
        )  # fmt: skip

    assert _return_deadlines() == {
        f"obligation:{first.pk}": row(first),
        f"obligation:{second.pk}": row(second),
    }
    assert f"obligation:{closed.pk}" not in _return_deadlines()
    with on(MONDAY):
        assert return_deadlines_sync() == {"opened": 0, "closed": 0}  # nothing twice


def test_return_sync_closes_as_met_the_deadline_of_a_closed_or_moved_obligation(cast):
    handed_back = return_obligation(cast, due_on=date(2026, 3, 6))
    moved = return_obligation(cast, due_on=date(2026, 3, 6))
    waiting = return_obligation(cast, due_on=date(2026, 3, 6))
    with on(MONDAY):
        return_deadlines_sync()
    ReturnObligation.objects.filter(pk=handed_back.pk).update(closed_at=timezone.now())
    ReturnObligation.objects.filter(pk=moved.pk).update(due_on=date(2026, 3, 10))
    with on(MONDAY):
        assert return_deadlines_sync() == {"opened": 1, "closed": 2}
    states = {
        (d.subject, d.due_on): (d.state, d.closed_at is not None)
        for d in Deadline.objects.filter(kind=Deadline.Kind.DEVICE_RETURN)
    }
    assert states == {
        (f"obligation:{handed_back.pk}", date(2026, 3, 6)): ("met", True),
        (f"obligation:{moved.pk}", date(2026, 3, 6)): ("met", True),
        (f"obligation:{moved.pk}", date(2026, 3, 10)): ("open", False),
        (f"obligation:{waiting.pk}", date(2026, 3, 6)): ("open", False),
    }
