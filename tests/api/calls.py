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
