"""The notification centre people read: the unread count in the navigation, filters, "mark all
read", preferences, the daily digest; the head's dashboard lists the letters waiting for them
and every tile is a link."""

from datetime import date

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation

from portal.models import DigestSent, Notification, NotificationPreference
from portal.notifications import daily_digest_send, notify
from requests_app import notify as letter_notify
from requests_app import services
from requests_app.choices import FormKind
from tests import factories as f
from tests.helpers import sign_in
from tests.requests_app.letters import draft

pytestmark = pytest.mark.django_db


def _notices(user, n, **fields):
    Notification.objects.bulk_create(
        Notification(user=user, message=f"Thông báo {i}", **fields) for i in range(n)
    )


def test_the_navigation_shows_the_unread_count(cast, client):
    _notices(cast.clerk_a, 12)
    _notices(cast.clerk_a, 2, read_at=timezone.now())
    _notices(cast.clerk_a, 3, closed_at=timezone.now())  # their reason passed
    sign_in(client, cast.clerk_a)
    body = client.get(reverse("dashboard")).content.decode()
    assert 'data-unread-count="12">(12)</span>' in body
    assert "Thông báo <span" in body


def test_the_unread_count_is_read_with_the_user(cast, client):
    """portal.backends.PortalBackend reads the count in the user's own query: no page counts
    the notifications on its own."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _notices(cast.clerk_a, 4)
    sign_in(client, cast.clerk_a)
    with CaptureQueriesContext(connection) as queries:
        body = client.get(reverse("dashboard")).content.decode()
    assert 'data-unread-count="4">(4)</span>' in body
    notification_reads = [q["sql"] for q in queries if "portal_notification" in q["sql"]]
    assert len(notification_reads) == 1
    assert notification_reads[0].startswith('SELECT "auth_user"')


def test_no_count_is_shown_without_unread_notifications(cast, client):
    sign_in(client, cast.clerk_a)
    assert "data-unread-count" not in client.get(reverse("dashboard")).content.decode()


def test_the_list_filters_unread_and_kind(cast, client):
    _notices(cast.clerk_a, 2)
    _notices(cast.clerk_a, 1, read_at=timezone.now())
    _notices(cast.clerk_a, 1, kind="renewal", key="certificate:1:renewal:60")
    sign_in(client, cast.clerk_a)
    url = reverse("portal:notifications")
    assert len(client.get(url).context["notifications"]) == 4
    assert len(client.get(url, {"show": "unread"}).context["notifications"]) == 3
    renewal = client.get(url, {"kind": "renewal"}).context["notifications"]
    assert [n.kind for n in renewal] == ["renewal"]


def test_mark_all_read_clears_the_count(cast, client):
    _notices(cast.clerk_a, 3)
    sign_in(client, cast.clerk_a)
    client.post(reverse("portal:notifications_read_all"))
    assert "data-unread-count" not in client.get(reverse("dashboard")).content.decode()


def test_preferences_are_saved_and_e_mail_can_be_turned_off(
    cast, client, django_capture_on_commit_callbacks
):
    sign_in(client, cast.clerk_a)
    url = reverse("portal:notification_preferences")
    assert client.get(url).status_code == 200
    response = client.post(url, {"daily_digest": "on"})  # e-mail unticked
    assert response.status_code == 302
    preference = NotificationPreference.objects.get(user=cast.clerk_a)
    assert (preference.email, preference.daily_digest) == (False, True)
    cast.clerk_a.email = "clerk@laichau.gov.vn"
    cast.clerk_a.save()
    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[cast.clerk_a], message="Không gửi thư")
    assert mail.outbox == []


def test_the_daily_digest_is_sent_once_per_user_and_day(cast, django_capture_on_commit_callbacks):
    for user in (cast.clerk_a, cast.head_a):
        user.email = f"{user.username}@laichau.gov.vn"
        user.save()
    NotificationPreference.objects.create(user=cast.clerk_a, email=False, daily_digest=True)
    NotificationPreference.objects.create(user=cast.head_a, daily_digest=False)
    _notices(cast.clerk_a, 2)
    _notices(cast.head_a, 2)
    day = date(2026, 3, 2)
    with django_capture_on_commit_callbacks(execute=True):
        assert daily_digest_send(day=day) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert daily_digest_send(day=day) == 0
    assert [m.to for m in mail.outbox] == [["clerk_a@laichau.gov.vn"]]
    assert "02/03/2026" in mail.outbox[0].subject
    assert "Thông báo 0" in mail.outbox[0].body and "Thông báo 1" in mail.outbox[0].body
    assert DigestSent.objects.filter(user=cast.clerk_a, day=day).count() == 1


def test_the_heads_dashboard_lists_the_letters_waiting_for_their_signature(cast, client):
    letter = f.letter_draft(cast, subject="Cấp chứng thư cho Phòng Ngân sách")
    f.letter_row_add(letter, cast.clerk_a)
    services.cert_request_submit(cert_request=letter, by=cast.clerk_a)
    other = services.cert_request_create(
        agency=cast.agency_b, form=FormKind.ISSUE_PERSON, by=cast.clerk_b, **f.LETTER_CONTACT
    )
    f.letter_row_add(other, cast.clerk_b)
    services.cert_request_submit(cert_request=other, by=cast.clerk_b)  # another agency's
    sign_in(client, cast.head_a)
    response = client.get(reverse("dashboard"))
    assert [x.pk for x in response.context["awaiting_signature"]] == [letter.pk]
    body = response.content.decode()
    assert f'href="{reverse("requests_app:detail", args=[letter.pk])}"' in body
    assert f'data-letter="{other.pk}"' not in body
    assert 'data-unread-notifications="1"' in body  # "Văn bản chờ ký"


def test_a_clerk_has_no_signature_list(cast, client):
    sign_in(client, cast.clerk_a)
    assert client.get(reverse("dashboard")).context.get("awaiting_signature") is None


@pytest.mark.parametrize("persona", ["clerk_a", "head_a", "officer_1", "ca_operator", "admin"])
def test_every_dashboard_tile_is_a_link(cast, client, persona):
    import re

    f.certificate_valid_for(cast)
    sign_in(client, getattr(cast, persona))
    body = client.get(reverse("dashboard")).content.decode()
    tiles = re.findall(r'<div class="stat[^"]*"><dt>(.*?)</dt>', body)
    assert tiles
    assert all(tile.startswith("<a href=") for tile in tiles), tiles


def test_demo_accounts_have_an_address_so_make_run_prints_their_e_mails(
    django_capture_on_commit_callbacks,
):
    from django.contrib.auth import get_user_model

    from agencies.demo import load_demo

    accounts = load_demo()
    users = get_user_model().objects.filter(username__in=[a.username for a in accounts])
    assert all(user.email for user in users)
    with django_capture_on_commit_callbacks(execute=True):
        notify(users=list(users), message="Văn bản chờ ký: thử")
    assert len(mail.outbox) == len(accounts)


def _centre_in(client, language: str) -> str:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client.get(reverse("portal:notifications")).content.decode()


def test_a_notification_is_shown_in_each_readers_language(cast, client):
    letter = draft(cast, FormKind.ISSUE_PERSON)
    with translation.override("en"):  # told while someone reads in English: stored as data
        letter_notify.awaiting_head(letter)
    notice = Notification.objects.get(user=cast.head_a)
    assert notice.message.startswith("Văn bản chờ ký: ")  # e-mail and search: Vietnamese
    with translation.override("en"):
        form_en = str(FormKind.ISSUE_PERSON.label)
    with translation.override("vi"):
        form_vi = str(FormKind.ISSUE_PERSON.label)
    sign_in(client, cast.head_a)

    vietnamese = _centre_in(client, "vi")
    assert f"Văn bản chờ ký: {form_vi} – {cast.agency_a.name}" in vietnamese
    english = _centre_in(client, "en")
    assert f"Letter awaiting signature: {form_en} – {cast.agency_a.name}" in english
    assert "Văn bản chờ ký" not in english and form_vi not in english
    api = client.get("/api/v1/thong-bao/").json()["results"]
    assert api[0]["message"].startswith("Letter awaiting signature: ")


def test_a_notification_stored_before_its_data_keeps_showing_its_text(cast, client):
    _notices(cast.clerk_a, 1)
    sign_in(client, cast.clerk_a)
    assert "Thông báo 0" in _centre_in(client, "en")
