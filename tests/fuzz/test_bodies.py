"""Every admin page posted the malformed bodies of tests/fuzz/bodies.py, and the API endpoints
that answered JSON nested too deeply with a 500 called with a personal token: never a server
error (docs/security.md §6). The portal's own routes get the same bodies from the route
table's sweep (tests/test_routes.py::test_no_route_answers_a_malformed_body_with_a_server_error)."""

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from tests import factories as f
from tests.api.calls import token_for
from tests.fuzz.bodies import DEEP_JSON, PROBLEM_DETAIL, SHAPES, browser, post, wrong_answer

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_no_admin_page_answers_a_malformed_body_with_a_server_error(cast, shape):
    client = browser(cast.admin)
    wrong = []
    for model in admin.site._registry:
        for page in ("changelist", "add"):
            name = f"admin:{model._meta.app_label}_{model._meta.model_name}_{page}"
            url = reverse(name)
            if problem := wrong_answer(name, url, shape, post(client, url, shape)):
                wrong.append(problem)
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("url", ["/api/v1/thiet-bi/nhap-kho/", "/api/v1/thiet-bi/{}/bao-mat/"])
def test_json_nested_too_deeply_is_a_vietnamese_400_problem_with_an_api_token(cast, url):
    """The two endpoints the fuzz run found answering 500, called as an office's system calls
    them (a personal token, no session: no CSRF check reads the body first)."""
    device = f.DeviceFactory(agency=cast.agency_a, holder=cast.subscriber)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token_for(cast.ca_operator)}")
    response = client.generic(
        "POST", url.format(device.pk), DEEP_JSON[1], content_type=DEEP_JSON[0]
    )
    assert response.status_code == 400, response.content[:300]
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "parse_error"
    assert problem["title"] == "Dữ liệu gửi lên không hợp lệ"
    assert problem["detail"].startswith(PROBLEM_DETAIL)


def test_a_form_posted_without_its_multipart_boundary_is_a_400_that_says_so(cast):
    """Django's parser refuses the body (read by the CSRF check before any view): the 400 page
    says the body could not be read, not that the address was wrong."""
    client = browser(cast.clerk_a)
    response = post(client, reverse("requests_app:create"), "no-boundary")
    page = response.content.decode()
    assert response.status_code == 400
    assert "Yêu cầu không hợp lệ" in page
    assert "sai cú pháp nên không đọc được; không có gì bị thay đổi" in page
    assert "điều kiện tìm kiếm" not in page
