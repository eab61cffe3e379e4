"""Session lifetime: 30 minutes idle (the window slides with activity), 12 hours in all, a
deactivated user's sessions ended at once, and an htmx request meeting an ended session sent
to the sign-in page as a whole page (agencies/accounts/sessions.py)."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from agencies.models import UserSession
from portal.models import AuditEvent
from tests.helpers import HTMX, is_login_redirect, sign_in

pytestmark = pytest.mark.django_db

EXPIRED = "Phiên làm việc đã hết hạn hoặc đã kết thúc. Vui lòng đăng nhập lại."


@pytest.fixture
def signed_in(cast, client, time_machine):
    """The clerk signed in at a fixed moment; the clock then moves only when told."""
    time_machine.move_to(timezone.now(), tick=False)
    sign_in(client, cast.clerk_a)
    return client


def dashboard(client):
    return client.get(reverse("dashboard"))


def after(time_machine, **delta):
    time_machine.shift(timedelta(**delta))


def test_a_session_idle_for_31_minutes_is_signed_out(signed_in, time_machine):
    assert dashboard(signed_in).status_code == 200

    after(time_machine, minutes=31)

    assert is_login_redirect(dashboard(signed_in))


def test_a_session_is_still_valid_after_29_minutes_with_activity_in_between(
    signed_in, time_machine
):
    for _ in range(3):  # 87 minutes after sign-in, never idle for more than 29
        after(time_machine, minutes=29)
        assert dashboard(signed_in).status_code == 200


def test_a_session_is_signed_out_after_12_hours_even_when_active(signed_in, time_machine):
    for _ in range(11 * 60 // 20 + 2):  # every 20 minutes, up to 11 h 40
        assert dashboard(signed_in).status_code == 200
        after(time_machine, minutes=20)
    assert dashboard(signed_in).status_code == 200  # 11 h 40 after sign-in

    after(time_machine, minutes=21)  # 12 h 01

    assert is_login_redirect(dashboard(signed_in))


def test_the_idle_limit_follows_its_setting(signed_in, time_machine, settings):
    settings.SESSION_COOKIE_AGE = 5 * 60
    settings.PORTAL_SESSION_MAX_HOURS = 1
    after(time_machine, minutes=4)
    assert dashboard(signed_in).status_code == 200  # saved with the shorter idle window
    after(time_machine, minutes=4)
    assert dashboard(signed_in).status_code == 200
    after(time_machine, minutes=4)
    assert dashboard(signed_in).status_code == 200  # active, 12 minutes after sign-in

    after(time_machine, minutes=6)

    assert is_login_redirect(dashboard(signed_in))


def test_the_absolute_limit_follows_its_setting(signed_in, time_machine, settings):
    settings.PORTAL_SESSION_MAX_HOURS = 1
    for _ in range(3):
        after(time_machine, minutes=20)
        assert dashboard(signed_in).status_code == 200

    after(time_machine, minutes=1)  # 61 minutes after sign-in

    assert is_login_redirect(dashboard(signed_in))


def test_the_login_page_says_the_session_expired(signed_in, time_machine):
    dashboard(signed_in)
    after(time_machine, minutes=31)

    page = signed_in.get(reverse("dashboard"), follow=True)

    assert page.redirect_chain[-1][0].startswith(reverse("login"))
    assert EXPIRED in page.content.decode()


def test_a_visitor_who_never_signed_in_is_not_told_a_session_expired(client):
    page = client.get(reverse("dashboard"), follow=True)

    assert EXPIRED not in page.content.decode()


def test_an_htmx_request_meeting_an_expired_session_redirects_the_whole_page(
    signed_in, time_machine
):
    dashboard(signed_in)
    after(time_machine, minutes=31)
    page_url = "http://testserver" + reverse("requests_app:list") + "?trang=2"

    response = signed_in.get(reverse("dashboard"), HTTP_HX_CURRENT_URL=page_url, **HTMX)

    assert response.status_code == 200
    target = urlsplit(response["HX-Redirect"])
    assert target.path == reverse("login")
    assert parse_qs(target.query)["next"] == [reverse("requests_app:list") + "?trang=2"]


def test_a_deactivated_users_next_request_is_anonymous(cast, signed_in):
    key = signed_in.session.session_key
    assert dashboard(signed_in).status_code == 200

    cast.clerk_a.is_active = False
    cast.clerk_a.save()

    assert not Session.objects.filter(session_key=key).exists()
    assert is_login_redirect(dashboard(signed_in))


def test_reactivating_a_user_does_not_bring_back_their_old_sessions(cast, signed_in):
    cast.clerk_a.is_active = False
    cast.clerk_a.save()
    cast.clerk_a.is_active = True
    cast.clerk_a.save()

    assert is_login_redirect(dashboard(signed_in))


def test_deactivating_a_user_ends_every_one_of_their_sessions_and_no_one_elses(cast):
    phone, laptop, colleague = Client(), Client(), Client()
    sign_in(phone, cast.clerk_a)
    sign_in(laptop, cast.clerk_a)
    sign_in(colleague, cast.clerk_b)
    assert UserSession.objects.filter(user=cast.clerk_a).count() == 2

    cast.clerk_a.is_active = False
    cast.clerk_a.save()

    assert is_login_redirect(dashboard(phone))
    assert is_login_redirect(dashboard(laptop))
    assert dashboard(colleague).status_code == 200
    assert not UserSession.objects.filter(user=cast.clerk_a).exists()


def test_signing_out_forgets_the_sessions_key(cast, signed_in):
    signed_in.post(reverse("logout"))

    assert not UserSession.objects.filter(user=cast.clerk_a).exists()


def test_ending_every_session_signs_the_user_out_in_every_browser(cast):
    here, elsewhere = Client(), Client()
    sign_in(here, cast.clerk_a)
    sign_in(elsewhere, cast.clerk_a)

    response = here.post(reverse("sign_out_everywhere"))

    assert is_login_redirect(response)
    assert is_login_redirect(dashboard(here))
    assert is_login_redirect(dashboard(elsewhere))
    assert AuditEvent.objects.filter(action="account.sessions_ended", actor=cast.clerk_a).exists()


def test_a_session_whose_key_changed_with_the_password_still_ends_with_its_user(cast, client):
    sign_in(client, cast.admin)
    response = client.post(
        reverse("admin:auth_user_password_change", args=[cast.admin.pk]),
        {
            "password1": "Mat-khau-moi-2026!",
            "password2": "Mat-khau-moi-2026!",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302
    key = client.session.session_key
    assert UserSession.objects.filter(session_key=key, user=cast.admin).exists()

    cast.admin.is_active = False
    cast.admin.save()

    assert not Session.objects.filter(session_key=key).exists()
