"""A query string the portal can never serve — a NUL byte, a value past the limit — is a 400
page in Vietnamese on every list, picker and API list, never a 500, and changes nothing."""

import pytest
from django.urls import reverse

from tests.factories import letter_draft
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db

LISTS = [
    "requests_app:list",
    "certificates:list",
    "devices:list",
    "requests_app:ca_queue",
    "portal:notifications",
]
API_LISTS = ["/api/v1/chung-thu/", "/api/v1/thiet-bi/", "/api/v1/van-ban/"]
HOSTILE = [{"q": "Hằng\x00"}, {"q": "x" * 501}, {"status\x00": "1"}, {"page": "1\x00"}]


@pytest.mark.parametrize("query", HOSTILE, ids=["nul", "oversized", "nul-key", "nul-page"])
@pytest.mark.parametrize("url", [*LISTS, *API_LISTS])
def test_a_list_answers_a_hostile_query_string_with_400(client, cast, url, query):
    sign_in(client, cast.ca_operator)
    response = client.get(reverse(url) if ":" in url else url, query)
    assert response.status_code == 400
    if ":" in url:
        assert "Yêu cầu không hợp lệ" in response.content.decode()


@pytest.mark.parametrize("kind", ["person", "certificate", "device"])
def test_a_picker_answers_a_nul_search_with_400(client, cast, kind):
    letter = letter_draft(cast)
    sign_in(client, cast.clerk_a)
    response = client.get(reverse("requests_app:pick", args=[letter.pk, kind]), {"q": "a\x00"})
    assert response.status_code == 400


def test_a_search_at_the_limit_is_still_served(client, cast):
    sign_in(client, cast.ca_operator)
    response = client.get(reverse("certificates:list"), {"q": "x" * 500})
    assert response.status_code == 200
