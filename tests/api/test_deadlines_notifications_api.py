"""Read-only over the API: the open deadlines of the agencies in a user's scope
(/api/v1/han-xu-ly/) and a user's own notifications (/api/v1/thong-bao/), with marking them
read through the same service as the notification centre."""

import pytest

from portal.models import Notification
from portal.notifications import notify
from requests_app import services
from requests_app.choices import Status
from requests_app.deadlines import letter_deadlines_sync
from tests.api.calls import api_as
from tests.api.spoiled import NOBODY, client_for
from tests.requests_app.letters import letter_at

pytestmark = pytest.mark.django_db
DEADLINES, NOTIFICATIONS = "/api/v1/han-xu-ly/", "/api/v1/thong-bao/"


@pytest.fixture
def waiting(cast):
    """A letter of agency A waiting at the Sở KH&CN, its deadline opened by the sweep."""
    letter = letter_at(cast, Status.PROVINCE_REVIEW)
    letter_deadlines_sync()
    return letter


def told(user, message="Văn bản chờ ký", **fields) -> Notification:
    notify(users=[user], message=message, url="/van-ban/1/", **fields)
    return Notification.objects.filter(user=user).latest("pk")


# --- deadlines -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("who", "count"),
    [
        ("clerk_a", 1),
        ("head_a", 1),
        ("officer_1", 1),
        ("ca_operator", 1),
        ("clerk_b", 0),
        ("clerk_c", 0),
        ("officer_2", 0),
        ("subscriber_user", 0),
    ],
)
def test_a_deadline_is_seen_by_whoever_has_its_agency_in_scope(cast, waiting, who, count):
    response = api_as(getattr(cast, who)).get(DEADLINES)
    assert response.status_code == 200
    assert response.json()["count"] == count
    if count:
        deadline = response.json()["results"][0]
        assert (deadline["subject"], deadline["kind"]) == (
            f"letter:{waiting.pk}",
            "province_review",
        )
        assert deadline["actor"] == "provincial_officer"


@pytest.mark.parametrize(
    ("who", "expected"), [("clerk_a", 200), ("clerk_b", 404), ("officer_2", 404)]
)
def test_one_deadline_out_of_scope_is_a_404(cast, waiting, who, expected):
    client = api_as(cast.clerk_a)
    pk = client.get(DEADLINES).json()["results"][0]["id"]
    assert client_for(cast, who).get(f"{DEADLINES}{pk}/").status_code == expected


@pytest.mark.parametrize("who", NOBODY)
def test_deadlines_need_a_live_token(cast, waiting, who):
    assert client_for(cast, who).get(DEADLINES).status_code == 401


def test_a_closed_deadline_leaves_the_list(cast, waiting):
    services.cert_request_refuse(cert_request=waiting, by=cast.officer_1, note="Thiếu hồ sơ")
    letter_deadlines_sync()
    assert api_as(cast.clerk_a).get(DEADLINES).json()["count"] == 0


def test_the_deadline_list_keeps_its_query_budget(cast, django_assert_max_num_queries):
    for _ in range(3):
        letter_at(cast, Status.PROVINCE_REVIEW)
    letter_deadlines_sync()
    client = api_as(cast.officer_1)
    with django_assert_max_num_queries(11):
        response = client.get(DEADLINES)
    assert response.json()["count"] == 3


# --- notifications -------------------------------------------------------------------------
def test_a_user_lists_their_own_notifications_only(cast):
    mine = told(cast.clerk_a, kind=Notification.Kind.AWAITING_HEAD)
    told(cast.clerk_b, message="Của người khác")
    response = api_as(cast.clerk_a).get(NOTIFICATIONS)
    assert response.status_code == 200
    assert [n["id"] for n in response.json()["results"]] == [mine.pk]


def test_the_list_filters_unread_and_by_kind(cast):
    read = told(cast.clerk_a, kind=Notification.Kind.RENEWAL)
    unread = told(cast.clerk_a, kind=Notification.Kind.AWAITING_HEAD)
    Notification.objects.filter(pk=read.pk).update(read_at=unread.created_at)
    client = api_as(cast.clerk_a)
    unread_ids = [n["id"] for n in client.get(NOTIFICATIONS, {"show": "unread"}).json()["results"]]
    assert unread_ids == [unread.pk]
    renewal = client.get(NOTIFICATIONS, {"kind": "renewal"}).json()["results"]
    assert [n["id"] for n in renewal] == [read.pk]
    assert client.get(NOTIFICATIONS, {"kind": "khong-co"}).status_code == 400


def test_marking_one_read_changes_only_that_one(cast):
    one, other = told(cast.clerk_a), told(cast.clerk_a, message="Thông báo khác")
    response = api_as(cast.clerk_a).post(f"{NOTIFICATIONS}{one.pk}/da-doc/")
    assert response.status_code == 200, response.json()
    assert response.json() == {"marked": 1, "unread": 1}
    one.refresh_from_db(), other.refresh_from_db()
    assert one.read_at is not None and other.read_at is None


def test_marking_all_read(cast):
    told(cast.clerk_a), told(cast.clerk_a, message="Thông báo khác")
    response = api_as(cast.clerk_a).post(f"{NOTIFICATIONS}da-doc/")
    assert response.json() == {"marked": 2, "unread": 0}
    assert not Notification.objects.filter(user=cast.clerk_a, read_at__isnull=True).exists()


@pytest.mark.parametrize(
    ("who", "expected"),
    [("clerk_a", 200), ("clerk_b", 404), ("head_a", 404), ("ca_operator", 404)]
    + [(w, 401) for w in NOBODY],
)
def test_another_users_notification_is_a_404_and_stays_unread(cast, who, expected):
    notification = told(cast.clerk_a)
    response = client_for(cast, who).post(f"{NOTIFICATIONS}{notification.pk}/da-doc/")
    assert response.status_code == expected
    notification.refresh_from_db()
    assert (notification.read_at is not None) == (expected == 200)


def test_a_retried_mark_read_with_the_same_key_answers_alike(cast):
    notification, client = told(cast.clerk_a), api_as(cast.clerk_a)
    url = f"{NOTIFICATIONS}{notification.pk}/da-doc/"
    first = client.post(url, HTTP_IDEMPOTENCY_KEY="doc-1")
    read_at = Notification.objects.get(pk=notification.pk).read_at
    again = client.post(url, HTTP_IDEMPOTENCY_KEY="doc-1")
    assert again.json() == first.json() == {"marked": 1, "unread": 0}
    assert again["Idempotent-Replayed"] == "true"
    assert Notification.objects.get(pk=notification.pk).read_at == read_at


def test_the_notification_list_keeps_its_query_budget(cast, django_assert_max_num_queries):
    for n in range(20):
        told(cast.clerk_a, message=f"Thông báo {n}")
    client = api_as(cast.clerk_a)
    with django_assert_max_num_queries(9):
        response = client.get(NOTIFICATIONS)
    assert response.json()["count"] == 20
