"""What schemathesis found (tests/api/test_schemathesis.py), each kept fixed: an empty link is
a documented null, a body of the wrong kind a documented 415 problem in Vietnamese, an id that
is not a number a 404 (it was a 500), a hostile query string on the API a problem (it was the
HTML page), a page past the end of a numbered list a documented 404 in Vietnamese."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from tests import factories as f
from tests.api.calls import api_as

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def components():
    return SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]


@pytest.mark.parametrize(
    "component, field",
    [
        ("Certificate", "device"),
        ("Device", "agency"),
        ("Device", "holder"),
        ("Row", "certificate"),
        ("Row", "result_certificate"),
    ],
)
def test_a_link_that_may_be_empty_is_documented_as_nullable(components, component, field):
    assert components[component]["properties"][field].get("nullable") is True


def test_a_certificate_without_a_device_is_listed_with_a_null_device(cast):
    person = f.PersonFactory(organization=cast.agency_a)
    f.CertificateFactory(person=person, agency=cast.agency_a, device=None)
    rows = api_as(cast.clerk_a).get("/api/v1/chung-thu/").json()["results"]
    assert [r["device"] for r in rows] == [None]


def test_a_body_that_is_not_json_is_a_documented_415_problem_in_vietnamese(cast):
    response = api_as(cast.clerk_a).post("/api/v1/van-ban/", "form=01", content_type="text/plain")
    assert response.status_code == 415
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["detail"].startswith("Kiểu nội dung không được hỗ trợ")
    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    assert "415" in paths["/api/v1/van-ban/"]["post"]["responses"]
    assert "415" in paths["/api/v1/van-ban/{id}/{verb}/"]["post"]["responses"]


def test_malformed_json_is_a_400_problem_in_vietnamese(cast):
    response = api_as(cast.clerk_a).post(
        "/api/v1/van-ban/", "{khong phai json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["detail"].startswith("Nội dung gửi lên không đọc được")


def test_a_notification_id_that_is_not_a_number_is_a_404_not_a_500(cast):
    client = api_as(cast.clerk_a)
    assert client.post("/api/v1/thong-bao/abc/da-doc/", {}, format="json").status_code == 404


def test_a_hostile_query_string_on_the_api_is_a_problem_not_an_html_page(cast):
    response = api_as(cast.clerk_a).get("/api/v1/sap-nhap/", QUERY_STRING="q=a%00b")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["detail"].startswith("Yêu cầu không hợp lệ")


@pytest.mark.parametrize("url", ["/api/v1/han-xu-ly/", "/api/v1/thong-bao/"])
def test_a_page_past_the_end_of_a_numbered_list_is_a_documented_404_in_vietnamese(cast, url):
    response = api_as(cast.clerk_a).get(url, {"page": 99})
    assert response.status_code == 404
    assert response.json()["detail"] == "Không có trang này."
    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    assert "404" in paths[url]["get"]["responses"]
