"""Plain helpers of the API permission matrices: a client with no credentials, one whose
token has expired or was revoked, and the reauth fields the API takes (`password`, `otp`)
from `tests.helpers.reauth_for`."""

from datetime import timedelta

from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from agencies.accounts.tokens import api_token_create, api_token_revoke
from agencies.models import ApiToken
from tests.api.calls import api_as
from tests.helpers import reauth_for, sign_in

# Who, besides the personas, every matrix asks: no credentials, a dead token.
NOBODY = ("anonymous", "expired", "revoked")


def spoiled(user, how: str) -> APIClient:
    """A client for `user` whose token is `how`: "expired" or "revoked"."""
    row, token = api_token_create(owner=user, name="Hệ thống cũ", days=30, by=user)
    if how == "expired":
        ApiToken.objects.filter(pk=row.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    else:
        api_token_revoke(token=row, by=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def client_for(cast, who: str) -> APIClient:
    """A persona of the cast with a fresh token; "anonymous", or a dead token of clerk A."""
    if who == "anonymous":
        return APIClient()
    if who in ("expired", "revoked"):
        return spoiled(cast.clerk_a, who)
    return api_as(getattr(cast, who))


def api_reauth(user) -> dict:
    """The confirmation a reauth action over the API carries: the user's password and, for a
    user with a second factor (given one as their signed-in session would have), a code."""
    fields = reauth_for(sign_in(Client(), user))
    return {"password": fields["reauth_password"], "otp": fields.get("reauth_code", "")}
