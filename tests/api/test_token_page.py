"""The API tokens page under Tài khoản: create after the password, shown once, list, revoke."""

import pytest
from django.urls import reverse

from agencies.models import ApiToken
from portal.models import AuditEvent
from tests.helpers import PASSWORD, count_queries, is_login_redirect, login, sign_in

pytestmark = pytest.mark.django_db

URL = "/tai-khoan/khoa-api/"


def test_a_token_is_created_only_after_the_password_and_shown_once(client, cast):
    sign_in(client, cast.clerk_a)
    refused = client.post(URL, {"name": "VPĐT", "days": 90, "reauth_password": "sai"})
    assert ApiToken.objects.count() == 0
    assert "Mật khẩu xác nhận không đúng" in refused.content.decode()
    created = client.post(URL, {"name": "VPĐT", "days": 90, "reauth_password": PASSWORD})
    token = created.context["token"]
    assert token and token in created.content.decode()
    assert token not in client.get(URL).content.decode()
    assert AuditEvent.objects.filter(action="api_token.create").count() == 1


def test_a_token_longer_than_a_year_is_refused_with_a_message(client, cast):
    sign_in(client, cast.clerk_a)
    client.post(URL, {"name": "VPĐT", "days": 400, "reauth_password": PASSWORD})
    assert ApiToken.objects.count() == 0


def test_the_owner_revokes_a_token_and_nobody_else_can(client, cast):
    sign_in(client, cast.clerk_a)
    client.post(URL, {"name": "VPĐT", "days": 30, "reauth_password": PASSWORD})
    token = ApiToken.objects.get()
    revoke = reverse("accounts:api_token_revoke", args=[token.pk])
    other = sign_in(client.__class__(), cast.clerk_b)
    assert other.post(revoke).status_code == 404
    assert client.post(revoke).status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEvent.objects.filter(action="api_token.revoke").count() == 1


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("anonymous", "login"),
        ("clerk_a", 200),
        ("head_a", 200),
        ("officer_1", 200),
        ("ca_operator", 200),
    ],
)
def test_every_signed_in_user_has_the_page(client, cast, persona, expected):
    response = login(client, cast, persona).get(URL)
    if expected == "login":
        assert is_login_redirect(response)
    else:
        assert response.status_code == expected


def test_the_page_keeps_its_query_budget(client, cast):
    sign_in(client, cast.clerk_a)
    for n in range(5):
        client.post(URL, {"name": f"Khóa {n}", "days": 30, "reauth_password": PASSWORD})
    assert count_queries(client, URL) <= 12


def test_an_administrator_revokes_a_token_in_the_admin_with_an_audit_event(client, cast):
    from agencies.accounts.tokens import api_token_create

    row, _token = api_token_create(owner=cast.clerk_a, name="VPĐT", days=30, by=cast.clerk_a)
    sign_in(client, cast.admin)
    url = reverse("admin:agencies_apitoken_changelist")
    assert client.get(url).status_code == 200
    client.post(url, {"action": "revoke", "_selected_action": [row.pk]})
    row.refresh_from_db()
    assert row.revoked_at is not None
    assert AuditEvent.objects.filter(action="api_token.revoke", actor=cast.admin).exists()
