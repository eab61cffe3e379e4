"""Headers the fuzz suite found answered with a server error (tests/fuzz/
test_paths_and_headers.py), each now a clean answer that changes nothing."""

import pytest

from portal.models import AuditEvent
from tests.api.calls import token_for

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("forwarded", ["1e999", "1.2.3.4, junk", "fe80::1%eth0", ","])
def test_behind_the_proxy_a_forwarded_entry_that_is_no_address_is_ignored(
    client, cast, settings, forwarded
):
    settings.PORTAL_CLIENT_IP_FROM_PROXY = True
    response = client.get(
        "/api/v1/van-ban/",
        HTTP_AUTHORIZATION=f"Bearer {token_for(cast.clerk_a)}",
        HTTP_X_FORWARDED_FOR=forwarded,
        REMOTE_ADDR="10.0.0.7",
    )
    assert response.status_code == 200
    assert str(AuditEvent.objects.get(action="api_token.use").ip) == "10.0.0.7"


@pytest.mark.parametrize("request_id", ["a\nb", "x\r\nSet-Cookie: a=1", "\x00", "é" * 3, "x" * 65])
def test_a_request_id_that_is_no_plain_token_is_replaced_not_echoed(client, request_id):
    response = client.get("/dang-nhap/", HTTP_X_REQUEST_ID=request_id)
    assert response.status_code == 200
    assert response["X-Request-ID"] != request_id
    assert len(response["X-Request-ID"]) == 32


def test_a_plain_request_id_from_the_proxy_is_kept(client):
    response = client.get("/dang-nhap/", HTTP_X_REQUEST_ID="req-42.a")
    assert response["X-Request-ID"] == "req-42.a"
