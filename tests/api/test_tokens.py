"""Personal API tokens: hashed at rest, shown once, expiring, revocable, acting as their owner
with the owner's scope and roles, every use audited; errors as problem details."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from agencies.accounts.tokens import api_token_create, api_token_revoke
from agencies.models import ApiToken
from portal.errors import DomainError
from portal.models import AuditEvent
from requests_app.choices import Status
from tests.api.calls import act, api_as, token_for
from tests.requests_app.letters import letter_at

pytestmark = pytest.mark.django_db


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_the_secret_is_not_stored_only_its_hash_and_prefix(cast):
    row, token = api_token_create(owner=cast.clerk_a, name="VPĐT", days=30, by=cast.clerk_a)
    stored = ApiToken.objects.filter(pk=row.pk).values().get()
    assert token not in str(stored)
    assert token.split("_", 2)[2] not in str(stored)
    assert token.startswith(f"cap_{row.prefix}_")


def test_a_token_lists_what_its_owner_sees(cast):
    letter_at(cast, Status.DRAFT)
    response = bearer(token_for(cast.clerk_a)).get("/api/v1/van-ban/")
    assert response.status_code == 200
    assert len(response.json()["results"]) == 1
    other = bearer(token_for(cast.clerk_b)).get("/api/v1/van-ban/")
    assert other.json()["results"] == [], other.json()


def test_every_use_of_a_token_is_audited(cast):
    client = bearer(token_for(cast.clerk_a))
    client.get("/api/v1/van-ban/")
    client.get("/api/v1/van-ban/")
    assert AuditEvent.objects.filter(action="api_token.use").count() == 2
    assert ApiToken.objects.get().last_used_at is not None


@pytest.mark.parametrize("spoil", ["expired", "revoked", "wrong secret", "garbage"])
def test_an_expired_revoked_or_forged_token_is_a_401_problem(cast, spoil):
    row, token = api_token_create(owner=cast.clerk_a, name="VPĐT", days=30, by=cast.clerk_a)
    if spoil == "expired":
        ApiToken.objects.filter(pk=row.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    elif spoil == "revoked":
        api_token_revoke(token=row, by=cast.clerk_a)
    elif spoil == "wrong secret":
        token = token[:-4] + "AAAA"
    else:
        token = "not-a-token"
    response = bearer(token).get("/api/v1/van-ban/")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == 401 and problem["code"] == "token_invalid"
    assert "thu hồi" in problem["detail"]


def test_a_call_without_credentials_is_a_401_problem_asking_for_a_bearer_token(db):
    response = APIClient().get("/api/v1/van-ban/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert set(response.json()) >= {"type", "title", "status", "detail", "code"}


def test_another_agencys_token_does_not_find_our_letter(cast):
    letter = letter_at(cast, Status.DRAFT)
    response = act(api_as(cast.clerk_b), letter, "submit")
    assert response.status_code == 404
    assert response.json()["status"] == 404


def test_a_clerks_token_cannot_issue(cast):
    letter = letter_at(cast, Status.AWAITING_HEAD)
    response = act(api_as(cast.clerk_a), letter, "issue", password="mat-khau-thu-nghiem")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


@pytest.mark.parametrize("days", [0, 366])
def test_a_token_must_expire_within_a_year(cast, days):
    with pytest.raises(DomainError):
        api_token_create(owner=cast.clerk_a, name="VPĐT", days=days, by=cast.clerk_a)


def test_nobody_revokes_someone_elses_token(cast):
    row, _token = api_token_create(owner=cast.clerk_a, name="VPĐT", days=30, by=cast.clerk_a)
    with pytest.raises(DomainError):
        api_token_revoke(token=row, by=cast.clerk_b)
    assert ApiToken.objects.get().revoked_at is None
