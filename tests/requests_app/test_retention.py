"""The letters' retention sweep, with time travel (docs/retention.md): drafts never submitted
deleted after their period and fresh ones kept; letters closed longer ago than the records'
period de-identified with their rows; people with nothing younger de-identified while those
with a valid certificate, an open letter, a device or a recent sign-in keep their data; the
statistics unchanged; the audit chain verifying; twice, at once or on a real worker, nothing
more changes."""

import importlib
import threading
from datetime import timedelta

import pytest
from celery.signals import task_postrun
from django.apps import apps as django_apps
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from agencies.models import Person
from certificates.choices import CertStatus
from certificates.models import Certificate
from dashboard import statistics
from devices.choices import DeviceStatus
from devices.models import CustodyRecord
from orgmerge.choices import ActionKind, MergerCase
from orgmerge.models import MergerPlan, PlannedAction
from portal.audit import audit_verify
from portal.field_crypto import blind_index, decrypt
from portal.models import AuditEvent
from portal.retention import years_before
from requests_app.choices import FormKind, Status
from requests_app.models import CertRequest, RequestRow, Transition
from requests_app.services.retention import requests_retention_sweep
from tests import factories as f
from tests.helpers import postgresql_only

H = CustodyRecord.HolderKind
TASK = "requests_app.tasks.retention_sweep_task"


def _letter(cast, person, *, status, closed=True):
    letter = CertRequest.objects.create(
        form=FormKind.ISSUE_PERSON,
        agency=cast.agency_a,
        status=status,
        created_by=cast.clerk_a,
        contact_name="Nguyễn Thị Thu Hà",
        contact_national_id="001190000001",
        contact_mobile="0912100101",
        contact_email="ha@laichau.gov.vn",
        done_at=timezone.now() if closed and status == Status.DONE else None,
    )
    if person is not None:
        RequestRow.objects.create(
            cert_request=letter,
            position=1,
            person=person,
            full_name=person.full_name,
            national_id=person.national_id,
            date_of_birth=person.date_of_birth,
            id_issue_date=person.id_issue_date,
            id_issue_place=person.id_issue_place,
            mobile=person.mobile,
            email=person.official_email,
            position_title=person.position,
        )
    return letter


def _person_with_certificate(cast, *, ends):
    person = f.PersonFactory(organization=cast.agency_a)
    f.CertificateFactory(
        person=person,
        not_before=timezone.now(),
        not_after=ends,
        status=CertStatus.VALID if ends > timezone.now() else CertStatus.EXPIRED,
    )
    return person


class World:
    """Twelve years of a small agency, built by travelling through them."""

    def __init__(self, cast, time_machine):
        now = timezone.now()
        long_ago = years_before(moment=now, years=12)
        time_machine.move_to(long_ago)
        # Their certificate ended, their device went back and their letter closed 11 years ago.
        self.old = _person_with_certificate(cast, ends=years_before(moment=now, years=11))
        device = f.DeviceFactory(
            agency=cast.agency_a, holder=self.old, status=DeviceStatus.RETURNED_TO_CA
        )
        CustodyRecord.objects.create(
            device=device,
            status=DeviceStatus.HANDED_TO_SUBSCRIBER,
            holder_kind=H.SUBSCRIBER,
            person=self.old,
            held_from=long_ago,
            held_until=years_before(moment=now, years=11),
        )
        CustodyRecord.objects.create(
            device=device,
            status=DeviceStatus.RETURNED_TO_CA,
            holder_kind=H.CA,
            held_from=years_before(moment=now, years=11),
        )
        self.old_letter = _letter(cast, self.old, status=Status.DONE)
        self.refused_letter = _letter(cast, None, status=Status.REFUSED)
        # Kept: a valid certificate, one that ended two years ago, an open letter, a device in
        # their hands, a recent sign-in.
        self.valid = _person_with_certificate(cast, ends=now + timedelta(days=365))
        self.recent = _person_with_certificate(cast, ends=now - timedelta(days=730))
        self.waiting = f.PersonFactory(organization=cast.agency_a)
        self.open_letter = _letter(cast, self.waiting, status=Status.IN_PROCESS)
        self.holding = f.PersonFactory(organization=cast.agency_a)
        CustodyRecord.objects.create(
            device=f.DeviceFactory(agency=cast.agency_a, holder=self.holding),
            status=DeviceStatus.HANDED_TO_SUBSCRIBER,
            holder_kind=H.SUBSCRIBER,
            person=self.holding,
            held_from=long_ago,
        )
        self.signing_in = f.PersonFactory(organization=cast.agency_a, user=f.UserFactory())
        time_machine.move_to(now - timedelta(days=200))
        self.old_draft = _letter(
            cast, f.PersonFactory(organization=cast.agency_a), status=Status.DRAFT
        )
        self.returned_draft = _letter(cast, None, status=Status.DRAFT)
        Transition.objects.create(
            cert_request=self.returned_draft,
            from_status=Status.AWAITING_HEAD,
            to_status=Status.DRAFT,
            action="return",
        )
        time_machine.move_to(now - timedelta(days=365))
        self.fresh_person = f.PersonFactory(organization=cast.agency_a)
        time_machine.move_to(now - timedelta(days=10))
        self.fresh_draft = _letter(cast, None, status=Status.DRAFT)
        time_machine.move_to(now)
        self.signing_in.user.last_login = now - timedelta(days=3)
        self.signing_in.user.save(update_fields=["last_login"])
        self.kept = [self.valid, self.recent, self.waiting, self.holding, self.signing_in]
        self.kept.append(self.fresh_person)


@pytest.fixture
def world(cast, time_machine):
    return World(cast, time_machine)


def _figures(user):
    return [(t.key, t.headers, t.rows) for t in statistics.compute(user)]


@pytest.mark.django_db
def test_a_draft_never_submitted_goes_after_its_period_and_fresh_or_returned_ones_stay(world):
    assert requests_retention_sweep()["drafts"] == 1

    assert not CertRequest.objects.filter(pk=world.old_draft.pk).exists()
    assert not RequestRow.objects.filter(cert_request_id=world.old_draft.pk).exists()
    assert (
        CertRequest.objects.filter(pk__in=[world.fresh_draft.pk, world.returned_draft.pk]).count()
        == 2
    )


@pytest.mark.django_db
def test_a_person_with_nothing_younger_than_the_period_is_de_identified(world):
    assert requests_retention_sweep()["persons"] == 1

    old = type(world.old).objects.get(pk=world.old.pk)
    assert old.national_id == f"X{old.pk:011d}"
    assert (old.date_of_birth, old.id_issue_date, old.id_issue_place) == (None, None, "")
    assert (old.mobile, old.official_email) == ("", "")
    assert old.deidentified_at is not None
    assert (old.full_name, old.position, old.organization_id) == (
        world.old.full_name,
        world.old.position,
        world.old.organization_id,
    )
    assert old.certificates.count() == 1


@pytest.mark.django_db
def test_minimising_stores_the_neutral_values_encrypted_and_replaces_their_blind_index(world):
    """The columns are encrypted (docs/privacy-at-rest.md): the neutral ID is stored as a
    token, found by its own index, and the old index (or a letter row's) finds nothing."""
    old_index = blind_index(world.old.national_id)
    requests_retention_sweep()

    neutral = f"X{world.old.pk:011d}"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT national_id, national_id_index FROM agencies_person WHERE id = %s",
            [world.old.pk],
        )
        stored, index = cursor.fetchone()
    assert stored != neutral and decrypt(stored) == neutral
    assert index == blind_index(neutral)
    assert Person.objects.with_national_id(neutral).get().pk == world.old.pk
    assert not Person.objects.filter(national_id_index=old_index).exists()
    letter = CertRequest.objects.get(pk=world.old_letter.pk)
    assert letter.contact_national_id_index == ""
    assert letter.rows.get().national_id_index == ""


@pytest.mark.django_db
def test_people_with_a_valid_certificate_an_open_letter_a_device_or_a_sign_in_are_kept(world):
    requests_retention_sweep()

    for person in world.kept:
        kept = type(person).objects.get(pk=person.pk)
        assert (kept.national_id, kept.mobile, kept.official_email, kept.deidentified_at) == (
            person.national_id,
            person.mobile,
            person.official_email,
            None,
        ), person.full_name


@pytest.mark.django_db
def test_a_letter_closed_longer_ago_than_the_period_is_de_identified_with_its_rows(world):
    assert requests_retention_sweep()["letters"] == 2

    letter = CertRequest.objects.get(pk=world.old_letter.pk)
    assert (letter.contact_national_id, letter.contact_mobile, letter.contact_email) == ("", "", "")
    assert letter.contact_name == "Nguyễn Thị Thu Hà" and letter.status == Status.DONE
    row = letter.rows.get()
    assert (row.national_id, row.date_of_birth, row.mobile, row.email) == ("", None, "", "")
    assert row.full_name == world.old.full_name
    still = CertRequest.objects.get(pk=world.open_letter.pk)
    assert still.contact_national_id == "001190000001" and still.deidentified_at is None
    assert still.rows.get().national_id == world.waiting.national_id


@pytest.mark.django_db
def test_de_identification_leaves_every_statistic_unchanged(world, cast):
    users = [cast.ca_operator, cast.officer_1, cast.clerk_a]
    before = {user.pk: _figures(user) for user in users}

    swept = requests_retention_sweep()

    assert swept["persons"] == 1 and swept["letters"] == 2
    draft = str(Status.DRAFT.label)
    for user in users:
        after = _figures(user)
        for (key, headers, rows), (key_after, headers_after, rows_after) in zip(
            before[user.pk], after, strict=True
        ):
            assert (key, headers) == (key_after, headers_after)
            if key == "van-ban" and user == cast.clerk_a:
                # The one figure a sweep moves: the agency's drafts in progress, less the
                # abandoned draft deleted (docs/retention.md).
                rows = [[label, n - 1 if label == draft else n] for label, n in rows]
            assert rows == rows_after, (user.username, key)


@pytest.mark.django_db
def test_each_batch_is_audited_and_the_chain_still_verifies(world, settings):
    settings.PORTAL_RETENTION_BATCH = 1

    requests_retention_sweep()

    events = AuditEvent.objects.filter(action__startswith="retention.").order_by("seq")
    assert [(e.action, e.after["model"], e.after["count"]) for e in events] == [
        ("retention.delete", "requests_app.certrequest", 1),
        ("retention.deidentify", "requests_app.certrequest+requestrow", 1),
        ("retention.deidentify", "requests_app.certrequest+requestrow", 1),
        ("retention.deidentify", "agencies.person", 1),
    ]
    person = events.last()
    assert person.actor_id is None and person.after["ids"] == [world.old.pk]
    assert person.reason == "PORTAL_RETENTION_RECORD_YEARS" and "33/2024" in person.after["law"]
    assert world.old.national_id not in str(person.after)
    assert audit_verify().ok
    call_command("audit_verify")


@pytest.mark.django_db
def test_a_second_sweep_changes_nothing_more(world):
    requests_retention_sweep()
    events = AuditEvent.objects.count()
    people = list(type(world.old).objects.order_by("pk").values())

    assert requests_retention_sweep() == {"drafts": 0, "letters": 0, "persons": 0}
    assert AuditEvent.objects.count() == events
    assert list(type(world.old).objects.order_by("pk").values()) == people


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_handle_each_row_once(cast, time_machine, settings):
    postgresql_only("row locks of two sweeps at once (SQLite serialises whole-database writes)")
    settings.PORTAL_RETENTION_BATCH = 2
    now = timezone.now()
    time_machine.move_to(years_before(moment=now, years=12))
    old = [
        _person_with_certificate(cast, ends=years_before(moment=now, years=11)) for _ in range(9)
    ]
    letters = [_letter(cast, person, status=Status.DONE) for person in old]
    time_machine.move_to(now)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(requests_retention_sweep())
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors, errors
    assert sum(r["persons"] for r in results) == 9
    assert sum(r["letters"] for r in results) == 9
    for model, expected in (
        ("agencies.person", [p.pk for p in old]),
        ("requests_app.certrequest+requestrow", [letter.pk for letter in letters]),
    ):
        named = [
            pk
            for event in AuditEvent.objects.filter(after__model=model)
            for pk in event.after["ids"]
        ]
        assert sorted(named) == sorted(expected), model
    assert requests_retention_sweep() == {"drafts": 0, "letters": 0, "persons": 0}
    assert audit_verify().ok


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_sweep_and_a_second_delivery_changes_nothing(
    redis_worker, cast, time_machine
):
    world = World(cast, time_machine)
    finished = []

    def done(sender=None, retval=None, **_):
        if sender is not None and sender.name == TASK:
            finished.append(retval)

    task_postrun.connect(done, weak=False)
    try:
        redis_worker.send_task(TASK)
        redis_worker.send_task(TASK)
        deadline = timezone.now() + timedelta(seconds=60)
        while len(finished) < 2 and timezone.now() < deadline:
            threading.Event().wait(0.2)
    finally:
        task_postrun.disconnect(done)

    assert finished == [
        {"drafts": 1, "letters": 2, "persons": 1},
        {"drafts": 0, "letters": 0, "persons": 0},
    ]
    assert type(world.old).objects.get(pk=world.old.pk).deidentified_at is not None
    assert audit_verify().ok


@pytest.mark.django_db
def test_people_recorded_before_the_date_existed_get_their_earliest_record_or_now(cast):
    backfill = importlib.import_module(
        "requests_app.migrations.0025_person_created_at_from_records"
    ).backfill
    now = timezone.now()
    # Each has two traces, the older in the kind of record looked at second.
    certified = _person_with_certificate(cast, ends=now + timedelta(days=30))
    Certificate.objects.filter(person=certified).update(
        created_at=years_before(moment=now, years=5)
    )
    letter = _letter(cast, certified, status=Status.DONE)
    CertRequest.objects.filter(pk=letter.pk).update(created_at=years_before(moment=now, years=9))
    in_a_letter = f.PersonFactory(organization=cast.agency_a)
    letter = _letter(cast, in_a_letter, status=Status.DONE)
    CertRequest.objects.filter(pk=letter.pk).update(created_at=years_before(moment=now, years=7))
    CustodyRecord.objects.create(
        device=f.DeviceFactory(agency=cast.agency_a, holder=in_a_letter),
        status=DeviceStatus.HANDED_TO_SUBSCRIBER,
        holder_kind=H.SUBSCRIBER,
        person=in_a_letter,
        held_from=years_before(moment=now, years=8),
    )
    nothing = f.PersonFactory(organization=cast.agency_a)
    Person.objects.update(created_at=None)

    backfill(django_apps, None, batch_size=2)  # key ranges of two: several batches

    dates = dict(Person.objects.values_list("pk", "created_at"))
    assert dates[certified.pk] == years_before(moment=now, years=9)
    assert dates[in_a_letter.pk] == years_before(moment=now, years=8)
    assert dates[nothing.pk] >= now
    assert None not in dates.values()


@pytest.mark.django_db
def test_a_draft_another_record_protects_is_kept_and_the_rest_of_its_batch_deleted(
    world, cast, time_machine
):
    time_machine.move_to(timezone.now() - timedelta(days=200))
    protected = _letter(cast, None, status=Status.DRAFT)
    time_machine.move_to(timezone.now() + timedelta(days=200))
    plan = MergerPlan.objects.create(
        case=MergerCase.NEW_NAME,
        target_name="Sở Mới",
        effective_on=timezone.localdate(),
        created_by=cast.officer_1,
    )
    PlannedAction.objects.create(
        plan=plan, kind=ActionKind.MOVE_LETTER, source=cast.agency_a, letter=protected
    )

    assert requests_retention_sweep()["drafts"] == 1

    assert CertRequest.objects.filter(pk=protected.pk).exists()
    assert not CertRequest.objects.filter(pk=world.old_draft.pk).exists()
    event = AuditEvent.objects.get(after__model="requests_app.certrequest")
    assert event.after["ids"] == [world.old_draft.pk]
    assert requests_retention_sweep()["drafts"] == 0


def _row_version(row) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT xmin::text FROM requests_app_requestrow WHERE id = %s", [row.pk])
        return int(cursor.fetchone()[0])


@pytest.mark.django_db
def test_a_row_holding_no_personal_data_is_not_written_again(world):
    """Only the rows with something to minimise get a new version (and an entry in each
    index): a row of an organisation, or one already minimised, is left as it is."""
    if connection.vendor != "postgresql":
        postgresql_only("row versions (xmin)")
    empty = RequestRow.objects.create(
        cert_request=world.old_letter, position=2, full_name="Văn phòng Sở", email=""
    )
    personal = world.old_letter.rows.get(position=1)
    before = _row_version(empty), _row_version(personal)

    assert requests_retention_sweep()["letters"] == 2

    assert _row_version(empty) == before[0]
    assert _row_version(personal) != before[1]
    assert RequestRow.objects.get(pk=personal.pk).national_id == ""
    assert CertRequest.objects.get(pk=world.old_letter.pk).deidentified_at is not None
