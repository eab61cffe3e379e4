"""The notification centre's pages: each user sees only their own notifications, unread
first; opening one marks it read and follows its link, never off-site."""

import pytest
from django.urls import reverse

from portal.models import Notification
from tests.helpers import PERSONAS, is_login_redirect, login, sign_in

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_user_sees_only_their_own_notifications(cast, client, persona):
    for user in (cast.clerk_a, cast.officer_1, cast.ca_operator):
        Notification.objects.create(user=user, message=f"Thông báo cho {user.username}")
    response = login(client, cast, persona).get(reverse("portal:notifications"))
    if persona == "anonymous":
        assert is_login_redirect(response)
        return
    assert response.status_code == 200
    shown = [n.message for n in response.context["notifications"]]
    mine = Notification.objects.filter(user=getattr(cast, persona))
    assert shown == list(mine.values_list("message", flat=True))
    assert all(persona in message for message in shown)


def test_nobody_marks_someone_elses_notification_read(cast, client):
    theirs = Notification.objects.create(user=cast.officer_1, message="Văn bản mới")
    sign_in(client, cast.clerk_a)
    url = reverse("portal:notification_read", args=[theirs.pk])
    assert client.post(url).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    client.post(reverse("portal:notifications_read_all"))
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_the_notifications_page_lists_unread_first_and_marks_them_read(cast, client):
    old_read = Notification.objects.create(user=cast.clerk_a, message="Đã đọc rồi")
    services_url = reverse("requests_app:detail", args=[1])
    newer_unread = Notification.objects.create(user=cast.clerk_a, message="Mới", url=services_url)
    older_unread = Notification.objects.create(user=cast.clerk_a, message="Cũ hơn")
    Notification.objects.filter(pk=old_read.pk).update(read_at="2026-01-01T00:00Z")
    Notification.objects.filter(pk=older_unread.pk).update(created_at="2026-01-02T00:00Z")
    sign_in(client, cast.clerk_a)

    response = client.get(reverse("portal:notifications"))
    assert [n.pk for n in response.context["notifications"]] == [
        newer_unread.pk,
        older_unread.pk,
        old_read.pk,
    ]
    assert response.context["unread"] == 2

    # Opening one marks it read and follows its link.
    response = client.post(
        reverse("portal:notification_read", args=[newer_unread.pk]), {"open": "1"}
    )
    assert response.status_code == 302 and response.url == services_url
    newer_unread.refresh_from_db()
    assert newer_unread.read_at is not None

    client.post(reverse("portal:notifications_read_all"))
    assert not Notification.objects.filter(user=cast.clerk_a, read_at__isnull=True).exists()


def test_a_notification_never_redirects_off_site(cast, client):
    evil = Notification.objects.create(user=cast.clerk_a, message="x", url="//evil.example/")
    sign_in(client, cast.clerk_a)
    response = client.post(reverse("portal:notification_read", args=[evil.pk]), {"open": "1"})
    assert response.url == reverse("portal:notifications")
