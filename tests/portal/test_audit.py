import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.admin.sites import site as admin_site
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from portal.audit import AuditChainError, audit_record, audit_verify
from portal.middleware import RequestContextMiddleware
from portal.models import GENESIS_HASH, AuditChainHead, AuditEvent
from tests import factories as f
from tests.audit_guard import audit_guard_suspended
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db

TABLE = "portal_auditevent"
assert AuditEvent._meta.db_table == TABLE


def record_chain(actor, count=5):
    org = f.AgencyFactory()
    return [
        audit_record(
            actor=actor,
            action="organization.update",
            obj=org,
            before={"name": f"Tên cũ {i}"},
            after={"name": f"Tên mới {i}"},
            reason=f"Lần sửa thứ {i}",
        )
        for i in range(1, count + 1)
    ]


def verify_output():
    out = StringIO()
    call_command("audit_verify", stdout=out)
    return out.getvalue().strip()


def test_audit_record_fills_the_event_from_the_actor_and_the_object(cast):
    org = cast.agency_a
    event = audit_record(
        actor=cast.clerk_a,
        action="organization.update",
        obj=org,
        before={"name": "Sở cũ"},
        after={"name": org.name},
        reason="Đổi tên theo quyết định",
    )
    event = AuditEvent.objects.get(pk=event.pk)
    assert event.seq == 1
    assert event.prev_hash == GENESIS_HASH
    assert len(event.hash) == 64
    assert event.actor_id == cast.clerk_a.pk
    assert event.actor_label == "clerk_a"
    assert event.object_type == "agencies.organization"
    assert event.object_id == str(org.pk)
    assert event.object_repr == "Sở Tài chính tỉnh Lai Châu"
    assert event.before == {"name": "Sở cũ"}
    assert event.reason == "Đổi tên theo quyết định"
    assert event.occurred_at.utcoffset().total_seconds() == 0


def test_audit_record_takes_the_request_id_and_ip_from_the_request_being_served(cast):
    def view(request):
        audit_record(actor=cast.clerk_a, action="session.login")
        return HttpResponse()

    request = RequestFactory().get("/", HTTP_X_REQUEST_ID="req-42", REMOTE_ADDR="10.1.2.3")
    RequestContextMiddleware(view)(request)

    event = AuditEvent.objects.get()
    assert (event.request_id, event.ip) == ("req-42", "10.1.2.3")
    assert audit_verify().ok


def test_behind_the_tls_proxy_the_audit_records_the_address_the_proxy_appended(cast, settings):
    settings.PORTAL_CLIENT_IP_FROM_PROXY = True

    def view(request):
        audit_record(actor=cast.clerk_a, action="session.login")
        return HttpResponse()

    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7"
    )
    RequestContextMiddleware(view)(request)

    assert AuditEvent.objects.get().ip == "203.0.113.7"


def test_audit_record_without_actor_or_object_is_a_system_event(db):
    event = audit_record(actor=None, action="crl.publish")
    assert (event.actor_id, event.actor_label, event.object_type, event.object_id) == (
        None,
        "",
        "",
        "",
    )
    assert audit_verify().ok


def test_the_chain_verifies_after_several_records(cast):
    events = record_chain(cast.clerk_a, count=5)

    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]
    head = AuditChainHead.objects.get()
    assert (head.last_seq, head.last_hash) == (5, events[-1].hash)
    result = audit_verify()
    assert (result.ok, result.checked, result.first_broken_seq) == (True, 5, None)
    assert verify_output() == "OK: 5 events verified"


def test_an_empty_trail_verifies(db):
    assert verify_output() == "OK: 0 events verified"


def test_values_that_json_cannot_hold_are_stored_as_hashed_and_still_verify(cast):
    key = uuid.UUID("12345678-1234-5678-1234-567812345678")
    event = audit_record(
        actor=cast.ca_operator,
        action="certificate.revoke",
        after={
            "valid_to": date(2027, 3, 31),
            "revoked_at": datetime(2026, 11, 21, 8, 30),
            "fee": Decimal("1250000.50"),
            "key": key,
            "ratio": 2.5,
            "big": 1e20,
            "tags": ("a", "b"),
            "nested": {"z": 1, "a": [None, True]},
        },
    )

    stored = AuditEvent.objects.get(pk=event.pk).after
    assert stored["valid_to"] == "2027-03-31"
    assert stored["fee"] == "1250000.50"
    assert stored["key"] == str(key)
    assert stored["big"] == 10**20
    assert stored["tags"] == ["a", "b"]
    assert stored == event.after
    assert audit_verify().ok


def test_audit_record_costs_three_queries(cast, django_assert_num_queries):
    audit_record(actor=cast.clerk_a, action="warm.up")
    with django_assert_num_queries(3):
        audit_record(actor=cast.clerk_a, action="organization.update", obj=cast.agency_a)


def test_an_event_rolls_back_with_the_callers_transaction(cast):
    audit_record(actor=cast.clerk_a, action="kept")
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(actor=cast.clerk_a, action="rolled.back")
        raise RuntimeError("the caller's change failed")

    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["kept"]
    assert audit_record(actor=cast.clerk_a, action="next").seq == 2
    assert audit_verify().ok


def test_deleting_a_user_leaves_their_events_and_the_chain_intact(cast):
    user = f.UserFactory(username="nguoi_da_nghi")
    event = audit_record(actor=user, action="organization.update", obj=cast.agency_a)
    user.delete()

    event = AuditEvent.objects.get(pk=event.pk)
    assert event.actor_label == "nguoi_da_nghi"
    assert audit_verify().ok


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("after", {"name": "Tên giả mạo"}),
        ("before", None),
        ("reason", "Lý do khác"),
        ("action", "organization.create"),
        ("actor_id", 999_999),
        ("actor_label", "nguoi_khac"),
        ("object_type", "agencies.person"),
        ("object_id", "999999"),
        ("object_repr", "Sở khác"),
        ("occurred_at", datetime(2020, 1, 1, tzinfo=UTC)),
        ("request_id", "req-khac"),
        ("ip", "10.9.9.9"),
    ],
)
def test_audit_verify_detects_a_tampered_event(cast, field, value):
    record_chain(cast.clerk_a, count=5)
    with audit_guard_suspended():
        AuditEvent.objects.filter(seq=3).update(**{field: value})

    with pytest.raises(CommandError, match=r"BROKEN at seq 3: content does not match"):
        verify_output()


def test_audit_verify_detects_a_tampered_reason_even_with_the_hash_recomputed(cast):
    from portal.audit import event_hash

    record_chain(cast.clerk_a, count=4)
    with audit_guard_suspended():
        forged = AuditEvent.objects.get(seq=2)
        forged.reason = "Lý do khác"
        AuditEvent.objects.filter(seq=2).update(reason=forged.reason, hash=event_hash(forged))

    result = audit_verify()
    assert (result.ok, result.first_broken_seq) == (False, 3)
    assert "prev_hash" in result.message


def test_audit_verify_detects_a_deleted_event_in_the_middle(cast):
    record_chain(cast.clerk_a, count=5)
    with audit_guard_suspended():
        AuditEvent.objects.filter(seq=3).delete()

    with pytest.raises(CommandError, match=r"BROKEN at seq 3: event missing"):
        verify_output()


def test_audit_verify_detects_a_deleted_last_event(cast):
    record_chain(cast.clerk_a, count=5)
    with audit_guard_suspended():
        AuditEvent.objects.filter(seq=5).delete()

    with pytest.raises(CommandError, match=r"BROKEN at seq 5: event missing"):
        verify_output()


def test_audit_verify_detects_two_reordered_events(cast):
    record_chain(cast.clerk_a, count=5)
    with audit_guard_suspended():
        AuditEvent.objects.filter(seq=3).update(seq=1_000_000)
        AuditEvent.objects.filter(seq=4).update(seq=3)
        AuditEvent.objects.filter(seq=1_000_000).update(seq=4)

    with pytest.raises(CommandError, match=r"BROKEN at seq 3: prev_hash does not match"):
        verify_output()


def test_audit_verify_detects_an_event_appended_behind_the_heads_back(cast):
    events = record_chain(cast.clerk_a, count=3)
    rogue = AuditEvent.objects.get(pk=events[-1].pk)
    rogue.pk, rogue.seq, rogue.prev_hash = None, 4, events[-1].hash
    rogue.save(force_insert=True)

    result = audit_verify()
    assert (result.ok, result.first_broken_seq) == (False, 4)
    assert "beyond the chain head" in result.message


def test_audit_verify_detects_a_deleted_chain_head_and_recording_refuses_to_fork(cast):
    record_chain(cast.clerk_a, count=2)
    AuditChainHead.objects.all().delete()

    with pytest.raises(CommandError, match=r"BROKEN at seq 1: the chain head row is missing"):
        verify_output()
    with pytest.raises(AuditChainError):
        audit_record(actor=cast.clerk_a, action="organization.update")


def test_the_database_refuses_an_update_through_the_orm_and_raw_sql(cast):
    event = record_chain(cast.clerk_a, count=1)[0]

    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(reason="sửa lén")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE portal_auditevent SET reason = %s", ["sửa lén"])

    assert AuditEvent.objects.get(pk=event.pk).reason == "Lần sửa thứ 1"
    assert audit_verify().ok


def test_the_database_refuses_a_delete_through_the_orm_and_raw_sql(cast):
    event = record_chain(cast.clerk_a, count=1)[0]

    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM portal_auditevent")

    assert AuditEvent.objects.filter(pk=event.pk).exists()
    assert audit_verify().ok


def test_the_guard_is_back_after_a_test_tampered_with_the_table(cast):
    event = record_chain(cast.clerk_a, count=1)[0]
    with audit_guard_suspended():
        pass

    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE is PostgreSQL's")
def test_postgresql_refuses_to_truncate_a_non_empty_trail_but_lets_the_test_runner_flush(cast):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f'TRUNCATE "{TABLE}"')  # empty: what the test runner's flush does

    record_chain(cast.clerk_a, count=1)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f'TRUNCATE "{TABLE}"')
    assert AuditEvent.objects.count() == 1


def test_the_admin_shows_the_trail_read_only(cast, client):
    audit_record(actor=cast.clerk_a, action="organization.update", obj=cast.agency_a)
    event = AuditEvent.objects.get()
    sign_in(client, cast.admin)

    listing = client.get(reverse("admin:portal_auditevent_changelist"))
    detail = client.get(reverse("admin:portal_auditevent_change", args=[event.pk]))
    add = client.get(reverse("admin:portal_auditevent_add"))
    delete = client.get(reverse("admin:portal_auditevent_delete", args=[event.pk]))
    post = client.post(
        reverse("admin:portal_auditevent_change", args=[event.pk]), {"reason": "sửa"}
    )

    assert listing.status_code == 200
    assert "organization.update" in listing.content.decode()
    assert detail.status_code == 200
    assert (add.status_code, delete.status_code, post.status_code) == (403, 403, 403)
    assert AuditEvent.objects.get(pk=event.pk).reason == ""
    model_admin = admin_site._registry[AuditEvent]
    assert "action" in model_admin.list_filter
    assert "occurred_at" in model_admin.list_filter


def test_audit_record_many_extends_the_chain_once_and_it_verifies(cast, django_assert_num_queries):
    from portal.audit_batch import AuditEntry, audit_record_many

    record_chain(cast.clerk_a, count=2)
    orgs = [f.AgencyFactory() for _ in range(3)]
    entries = [
        AuditEntry(action="organization.update", obj=org, after={"name": org.name}) for org in orgs
    ]
    with django_assert_num_queries(3):  # lock the head, one INSERT, move the head
        written = audit_record_many(actor=cast.clerk_a, entries=entries, reason="Theo lô")
    assert written == 3
    events = list(AuditEvent.objects.order_by("seq"))
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert [e.object_id for e in events[2:]] == [str(org.pk) for org in orgs]
    assert {e.reason for e in events[2:]} == {"Theo lô"}
    assert AuditChainHead.objects.get().last_seq == 5
    assert audit_verify().ok


def test_audit_record_many_with_no_entries_writes_nothing(cast):
    from portal.audit_batch import audit_record_many

    assert audit_record_many(actor=cast.clerk_a, entries=[]) == 0
    assert not AuditEvent.objects.exists()


_flat_values = st.one_of(
    st.text(),
    st.integers(),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.dates(),
)


@hypothesis_settings(max_examples=300, deadline=None)
@given(value=st.dictionaries(st.text(), _flat_values) | st.dictionaries(st.integers(), st.text()))
def test_jsonable_shortcut_for_plain_values_equals_the_json_round_trip(value):
    from django.core.serializers.json import DjangoJSONEncoder

    from portal.audit import integral_floats_to_int, jsonable
    from portal.lib.safetext import safe_json

    # NUL and lone surrogates are made safe on both roads (portal/lib/safetext.py).
    round_trip = safe_json(
        integral_floats_to_int(json.loads(json.dumps(value, cls=DjangoJSONEncoder)))
    )
    result = jsonable(value)

    assert result == round_trip
    assert json.dumps(result, sort_keys=True) == json.dumps(round_trip, sort_keys=True)
    assert result is not value


def test_a_batch_of_plain_and_dated_snapshots_verifies(cast):
    from portal.audit_batch import AuditEntry, AuditObject, audit_record_many

    audit_record_many(
        actor=None,
        entries=[
            AuditEntry("x.plain", cast.agency_a, before={"status": "valid", "n": 0, "ok": True}),
            AuditEntry(
                "x.dated",
                AuditObject(AuditEvent, 7, "văn bản số 7"),
                after={"on": date(2026, 11, 13), "status": None, "big": 10**20},
            ),
        ],
    )

    plain, dated = AuditEvent.objects.order_by("-seq")[:2][::-1]
    assert plain.before == {"status": "valid", "n": 0, "ok": True}
    assert (dated.object_type, dated.object_id, dated.object_repr) == (
        "portal.auditevent",
        "7",
        "văn bản số 7",
    )
    assert dated.after == {"on": "2026-11-13", "status": None, "big": 10**20}
    assert audit_verify().ok
