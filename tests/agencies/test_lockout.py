"""Sign-in lockout (django-axes, agencies/accounts/lockout.py): five wrong passwords lock the
account for the cool-off; the client address only at a much higher count
(PORTAL_LOGIN_ADDRESS_FAILURE_LIMIT), so that one person cannot lock out an office behind a
shared address; an administrator can unlock."""

import json

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.urls import reverse

from portal.models import AuditEvent
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db

PASSWORD = "mat-khau-thu-nghiem"  # tests/factories.py UserFactory


def attempt(client, username, password, address="10.1.1.1", **extra):
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
        **extra,
    )


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def fail(client, username, times, address="10.1.1.1"):
    for _ in range(times):
        attempt(client, username, "sai-mat-khau", address)


def test_the_sixth_attempt_after_five_failures_is_locked_out_even_with_the_right_password(
    client, cast
):
    fail(client, "clerk_a", 5)
    response = attempt(client, "clerk_a", PASSWORD)
    assert response.status_code == 429
    assert not signed_in(client)


def test_four_failures_still_let_the_right_password_in(client, cast):
    fail(client, "clerk_a", 4)
    response = attempt(client, "clerk_a", PASSWORD)
    assert response.status_code == 302
    assert signed_in(client)


def test_five_failures_from_one_address_do_not_lock_another_account_behind_it(client, cast):
    for number in range(5):
        attempt(client, f"khong-ton-tai-{number}", "sai-mat-khau", "10.2.2.2")
    fail(client, "clerk_a", 5, "10.2.2.2")
    assert attempt(client, "clerk_b", PASSWORD, "10.2.2.2").status_code == 302
    assert signed_in(client)


def test_the_address_limit_locks_that_address_out_for_every_username(client, cast, settings):
    settings.PORTAL_LOGIN_ADDRESS_FAILURE_LIMIT = 12
    for number in range(12):
        attempt(client, f"khong-ton-tai-{number}", "sai-mat-khau", "10.2.2.2")
    assert attempt(client, "clerk_b", PASSWORD, "10.2.2.2").status_code == 429
    assert not signed_in(client)
    assert attempt(client, "clerk_b", PASSWORD, "10.3.3.3").status_code == 302
    assert signed_in(client)


def test_an_account_failed_from_five_addresses_is_locked_from_any_address(client, cast):
    for number in range(5):
        attempt(client, "clerk_a", "sai-mat-khau", f"10.4.4.{number}")
    assert attempt(client, "clerk_a", PASSWORD, "10.9.9.9").status_code == 429
    assert not signed_in(client)


def test_the_lockout_page_tells_in_vietnamese_how_long_to_wait_and_whom_to_ask(client, cast):
    fail(client, "clerk_a", 5)
    response = attempt(client, "clerk_a", PASSWORD)
    body = response.content.decode()
    assert response.status_code == 429
    assert "Tạm khóa đăng nhập" in body
    assert "thử lại sau 30 phút" in body
    assert "liên hệ quản trị hệ thống" in body
    assert "Account locked" not in body


def test_an_administrator_deleting_the_attempts_in_the_admin_unlocks_the_account(client, cast):
    fail(client, "clerk_a", 5)
    assert attempt(client, "clerk_a", PASSWORD).status_code == 429
    sign_in(client, cast.admin)
    ids = list(AccessAttempt.objects.filter(username="clerk_a").values_list("pk", flat=True))
    response = client.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
    )
    assert response.status_code == 302
    client.logout()
    assert attempt(client, "clerk_a", PASSWORD).status_code == 302
    assert signed_in(client)


def test_manage_py_axes_reset_username_unlocks_the_account(client, cast):
    fail(client, "clerk_a", 5, "10.5.5.5")
    call_command("axes_reset_username", "clerk_a")
    assert attempt(client, "clerk_a", PASSWORD, "10.6.6.6").status_code == 302


def test_a_lockout_is_audited_with_the_username_and_address_and_no_password(client, cast):
    fail(client, "clerk_a", 5, "10.7.7.7")
    event = AuditEvent.objects.get(action="account.locked_out")
    assert event.actor_id == cast.clerk_a.pk
    assert event.after == {"username": "clerk_a", "ip_address": "10.7.7.7"}
    trail = json.dumps(list(AuditEvent.objects.values("before", "after", "reason")))
    attempts = json.dumps(list(AccessAttempt.objects.values("get_data", "post_data")))
    assert "sai-mat-khau" not in trail + attempts


def test_a_lockout_of_an_unknown_username_is_audited_without_an_actor(client, cast):
    fail(client, "khong-ton-tai", 5, "10.8.8.8")
    event = AuditEvent.objects.get(action="account.locked_out")
    assert event.actor_id is None
    assert event.after == {"username": "khong-ton-tai", "ip_address": "10.8.8.8"}


def test_without_the_proxy_setting_a_forwarded_address_is_ignored(client, cast, settings):
    settings.PORTAL_CLIENT_IP_FROM_PROXY = False
    settings.PORTAL_LOGIN_ADDRESS_FAILURE_LIMIT = 5
    for number in range(5):
        attempt(client, f"x{number}", "sai", "10.0.0.1", HTTP_X_FORWARDED_FOR=f"172.16.0.{number}")
    # All five came from REMOTE_ADDR 10.0.0.1, whatever the header claimed.
    assert attempt(client, "clerk_a", PASSWORD, "10.0.0.1").status_code == 429


def test_behind_the_tls_proxy_the_address_the_proxy_appended_counts(client, cast, settings):
    settings.PORTAL_CLIENT_IP_FROM_PROXY = True
    settings.PORTAL_LOGIN_ADDRESS_FAILURE_LIMIT = 5
    for number in range(5):
        # A client forging the header only adds entries to the left of the proxy's own.
        attempt(
            client,
            f"x{number}",
            "sai",
            "10.0.0.1",
            HTTP_X_FORWARDED_FOR=f"1.1.1.{number}, 203.0.113.7",
        )
    locked = attempt(client, "clerk_a", PASSWORD, "10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert locked.status_code == 429
    other = attempt(client, "clerk_a", PASSWORD, "10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.8")
    assert other.status_code == 302
