"""The error pages speak Vietnamese and offer a way back: 400, 403, 404, CSRF failure, 500."""

import pytest
from django.test import Client
from django.urls import reverse

from requests_app.choices import Status
from tests.helpers import sign_in
from tests.requests_app.letters import letter_at

pytestmark = pytest.mark.django_db


def test_an_unknown_address_is_a_vietnamese_404_with_a_way_back(client, cast):
    sign_in(client, cast.clerk_a)
    response = client.get("/khong-co-trang-nay/")
    page = response.content.decode()
    assert response.status_code == 404
    assert "Không tìm thấy trang" in page
    assert f'href="{reverse("dashboard")}"' in page


def test_a_forbidden_action_is_a_vietnamese_403(client, cast):
    letter = letter_at(cast, Status.PROVINCE_REVIEW)
    sign_in(client, cast.clerk_a)
    response = client.post(reverse("requests_app:action", args=[letter.pk, "forward"]))
    assert response.status_code == 403
    assert "Không có quyền truy cập" in response.content.decode()


def test_a_form_posted_without_its_csrf_token_is_a_vietnamese_page(cast):
    client = Client(enforce_csrf_checks=True)
    sign_in(client, cast.clerk_a)
    response = client.post(reverse("portal:notifications_read_all"))
    page = response.content.decode()
    assert response.status_code == 403
    assert "Phiên làm việc đã hết hạn" in page
    assert "không có gì bị thay đổi" in page


def test_a_server_error_is_a_vietnamese_page_that_needs_nothing_to_render(rf):
    from django.views.defaults import server_error

    response = server_error(rf.get("/"))
    assert response.status_code == 500
    assert "Lỗi hệ thống" in response.content.decode()


def test_the_favicon_address_leads_to_the_portals_icon(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 301
    assert response.url.endswith("img/favicon.svg")
    assert client.get(response.url).status_code == 200


def test_a_bad_request_is_a_vietnamese_400_with_a_way_back(client, cast):
    sign_in(client, cast.clerk_a)
    response = client.get(reverse("dashboard") + "?q=" + "x" * 600)
    page = response.content.decode()
    assert response.status_code == 400
    assert "Yêu cầu không hợp lệ" in page
    assert f'href="{reverse("dashboard")}"' in page


def test_under_debug_an_unknown_address_is_still_the_vietnamese_404(client, cast, settings):
    settings.DEBUG = True  # as under `make run`
    sign_in(client, cast.clerk_a)
    response = client.get("/khong-co-trang-nay/")
    page = response.content.decode()
    assert response.status_code == 404
    assert "Không tìm thấy trang" in page
    assert "URLconf" not in page  # Django's debug page lists the URL patterns


def test_under_debug_a_view_that_finds_nothing_is_the_vietnamese_404(client, cast, settings):
    settings.DEBUG = True
    sign_in(client, cast.clerk_a)
    response = client.get(reverse("requests_app:detail", args=[999999]))
    assert response.status_code == 404
    assert "Không tìm thấy trang" in response.content.decode()
