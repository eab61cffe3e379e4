"""Identity events in the audit trail: sign-in, sign-out, a failed sign-in, and every grant or
revocation of a right, the Django admin included, with the request's user as the actor
(agencies/accounts/signals.py)."""

import json

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_login_failed
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from agencies.choices import Role
from agencies.models import Membership
from portal.models import AuditEvent
from tests import factories as f
from tests.helpers import PASSWORD, sign_in

pytestmark = pytest.mark.django_db


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


def sign_in_through_the_form(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


# --- signing in and out --------------------------------------------------------------------
def test_signing_in_records_who_signed_in_and_from_where(cast, client):
    sign_in_through_the_form(client, "clerk_a", PASSWORD)

    [event] = events("account.login")
    assert (event.actor, event.object_id) == (cast.clerk_a, str(cast.clerk_a.pk))
    assert event.ip == "127.0.0.1" and event.request_id


def test_a_failed_sign_in_records_the_name_as_typed_and_never_the_password(cast, client):
    sign_in_through_the_form(client, "clerk_a", "Mat-Khau-Doan-Sai-123")

    [event] = events("account.login_failed")
    assert event.actor is None
    assert event.after == {"username": "clerk_a"}
    assert "Mat-Khau-Doan-Sai-123" not in json.dumps(
        [event.before, event.after, event.reason, event.object_repr]
    )
    assert not events("account.login")


def test_a_failed_sign_in_keeps_at_most_150_characters_of_the_name(db):
    user_login_failed.send(sender=__name__, credentials={"username": "x" * 5000}, request=None)

    [event] = events("account.login_failed")
    assert event.after == {"username": "x" * 150}


def test_a_name_longer_than_any_username_is_refused_by_the_form_before_any_check(db, client):
    response = sign_in_through_the_form(client, "x" * 5000, "bat-ky")

    assert response.status_code == 200
    assert "Tên đăng nhập dài quá 150 ký tự" in response.content.decode()
    assert not AccessAttempt.objects.exists()
    assert not events("account.login_failed")


def test_signing_out_is_recorded(cast, client):
    sign_in(client, cast.head_a)

    client.post(reverse("logout"))

    [event] = events("account.logout")
    assert event.actor == cast.head_a


# --- roles granted and revoked in the admin ------------------------------------------------
@pytest.fixture
def admin_client(cast, client):
    sign_in(client, cast.admin)
    return client


def test_a_role_granted_in_the_admin_is_recorded_with_the_administrator_as_actor(
    cast, admin_client
):
    newcomer = f.UserFactory(username="nguoi_moi")

    response = admin_client.post(
        reverse("admin:agencies_membership_add"),
        {"user": newcomer.pk, "role": Role.AGENCY_HEAD, "organization": cast.agency_a.pk},
    )

    assert response.status_code == 302
    [event] = events("account.role_granted")[-1:]
    membership = Membership.objects.get(user=newcomer)
    assert (event.actor, event.object_id) == (cast.admin, str(membership.pk))
    assert event.after == {
        "user": "nguoi_moi",
        "role": Role.AGENCY_HEAD,
        "organization": cast.agency_a.pk,
    }


def test_a_role_changed_in_the_admin_is_recorded_with_before_and_after(cast, admin_client):
    membership = Membership.objects.get(user=cast.clerk_a)

    admin_client.post(
        reverse("admin:agencies_membership_change", args=[membership.pk]),
        {"user": cast.clerk_a.pk, "role": Role.AGENCY_HEAD, "organization": cast.agency_a.pk},
    )

    [event] = events("account.role_changed")
    assert event.actor == cast.admin
    assert (event.before["role"], event.after["role"]) == (Role.AGENCY_CLERK, Role.AGENCY_HEAD)


def test_a_role_revoked_in_the_admin_is_recorded(cast, admin_client):
    membership = Membership.objects.get(user=cast.head_a)

    response = admin_client.post(
        reverse("admin:agencies_membership_delete", args=[membership.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()
    [event] = events("account.role_revoked")
    assert (event.actor, event.object_id) == (cast.admin, str(membership.pk))
    assert event.before == {
        "user": "head_a",
        "role": Role.AGENCY_HEAD,
        "organization": cast.agency_a.pk,
    }


def user_form(user, **changes) -> dict:
    """The admin's change form of `user`, as posted when nothing else is touched."""
    joined = timezone.localtime(user.date_joined)
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "date_joined_0": joined.strftime("%d/%m/%Y"),
        "date_joined_1": joined.strftime("%H:%M:%S"),
        "groups": [g.pk for g in user.groups.all()],
        "user_permissions": [],
    }
    for flag in ("is_active", "is_staff", "is_superuser"):
        if changes.get(flag, getattr(user, flag)):
            data[flag] = "on"
    if "groups" in changes:
        data["groups"] = changes["groups"]
    return data


def test_making_a_user_staff_in_the_admin_is_recorded(cast, admin_client):
    response = admin_client.post(
        reverse("admin:auth_user_change", args=[cast.clerk_a.pk]),
        user_form(cast.clerk_a, is_staff=True),
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    [event] = events("account.flags_changed")[-1:]
    assert (event.actor, event.object_id) == (cast.admin, str(cast.clerk_a.pk))
    assert (event.before["is_staff"], event.after["is_staff"]) == (False, True)


def test_deactivating_a_user_in_the_admin_is_recorded_and_ends_their_sessions(cast, admin_client):
    clerk_browser = Client()
    sign_in(clerk_browser, cast.clerk_a)

    admin_client.post(
        reverse("admin:auth_user_change", args=[cast.clerk_a.pk]),
        user_form(cast.clerk_a, is_active=False),
    )

    [event] = events("account.flags_changed")[-1:]
    assert event.actor == cast.admin
    assert event.after["is_active"] is False
    assert event.after["sessions_ended"] == 1
    assert clerk_browser.get(reverse("dashboard")).status_code == 302


def test_adding_a_user_to_a_group_in_the_admin_is_recorded(cast, admin_client):
    group = Group.objects.create(name="Kiểm tra nội bộ")

    admin_client.post(
        reverse("admin:auth_user_change", args=[cast.clerk_a.pk]),
        user_form(cast.clerk_a, groups=[group.pk]),
    )

    [event] = events("account.groups_changed")
    assert (event.actor, event.object_id) == (cast.admin, str(cast.clerk_a.pk))
    assert event.after == {"added": ["Kiểm tra nội bộ"]}


# --- outside a request ---------------------------------------------------------------------
def test_a_role_granted_by_code_outside_a_request_has_no_actor(cast):
    membership = Membership.objects.create(
        user=cast.clerk_b, role=Role.AGENCY_HEAD, organization=cast.agency_b
    )

    [event] = [e for e in events("account.role_granted") if e.object_id == str(membership.pk)]
    assert event.actor is None


def test_a_group_removed_from_its_side_is_recorded_for_each_user(cast):
    group = Group.objects.create(name="Nhóm tạm")
    cast.clerk_a.groups.add(group)
    cast.clerk_b.groups.add(group)

    group.user_set.clear()

    removed = [e for e in events("account.groups_changed") if "removed" in e.after]
    assert sorted(e.object_id for e in removed) == sorted(
        [str(cast.clerk_a.pk), str(cast.clerk_b.pk)]
    )
    assert all(e.after == {"removed": ["Nhóm tạm"]} for e in removed)


def test_saving_a_user_without_touching_their_rights_records_nothing(cast):
    before = AuditEvent.objects.count()
    cast.clerk_a.email = "clerk_a@laichau.gov.vn"
    cast.clerk_a.save()

    assert AuditEvent.objects.count() == before
