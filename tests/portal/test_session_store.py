"""A session cookie Django could never have made is no session, never a 500."""

import pytest
from django.conf import settings

from tests.helpers import sign_in

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "key", ["abcdefgh\x00ijkl", "ABCDEFGHIJKLMNOP", "abc", "a" * 41, "ab cd efgh"]
)
def test_a_malformed_session_cookie_is_an_anonymous_request(client, key):
    client.cookies[settings.SESSION_COOKIE_NAME] = key
    response = client.get("/")
    assert response.status_code == 302  # to the sign-in page, as without a session
    assert "/dang-nhap/" in response["Location"]


def test_a_real_session_still_signs_in(client, cast):
    sign_in(client, cast.clerk_a)
    assert client.get("/").status_code == 200
