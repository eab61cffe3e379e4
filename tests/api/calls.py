"""Plain helpers of the API tests: a client that calls with a persona's personal token."""

from rest_framework.test import APIClient

from agencies.accounts.tokens import api_token_create


def token_for(user, *, days=30) -> str:
    _row, token = api_token_create(owner=user, name="Hệ thống quản lý văn bản", days=days, by=user)
    return token


def api_as(user) -> APIClient:
    """An API client that authenticates with a fresh personal token of `user` (no session)."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
    return client


def act(client, letter, verb, **data):
    return client.post(f"/api/v1/van-ban/{letter.pk}/{verb}/", data, format="json")


def rows_of(client, answer) -> list[dict]:
    """Every row of the letter an answer carries, following its `rows_url` and each page's
    `next` (the letter itself carries only `row_count`, docs/scale.md §12.6)."""
    letter = answer.json()
    response = client.get(letter["rows_url"])
    rows = []
    while True:
        assert response.status_code == 200, response.content
        rows.extend(response.json()["results"])
        if not response.json()["next"]:
            break
        response = client.get(response.json()["next"])
    assert len(rows) == letter["row_count"]
    return rows
