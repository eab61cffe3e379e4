"""The OpenAPI schema documents the flows' write endpoints with their problem responses and
the Idempotency-Key header, and the upload as a multipart file."""

import pytest
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.django_db

ALL = {"400", "401", "403", "404", "409", "422"}
# path -> the problem responses its POST documents at least
WRITES = {
    "/api/v1/van-ban/{id}/ban-da-ky/": ALL,
    "/api/v1/thiet-bi/ban-giao/": ALL,
    "/api/v1/thiet-bi/ban-giao-lai/": ALL,
    "/api/v1/thiet-bi/{id}/bao-mat/": ALL,
    "/api/v1/sap-nhap/": ALL,
    "/api/v1/sap-nhap/{id}/thuc-hien/": ALL,
    "/api/v1/sap-nhap/{id}/huy/": ALL,
    "/api/v1/thong-bao/{id}/da-doc/": {"401", "404"},
    "/api/v1/thong-bao/da-doc/": {"401"},
}


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


@pytest.mark.parametrize(("path", "problems"), WRITES.items())
def test_each_write_documents_its_problems_and_the_key(schema, path, problems):
    post = schema["paths"][path]["post"]
    assert problems <= set(post["responses"])
    assert "Idempotency-Key" in [p["name"] for p in post["parameters"]]
    assert post["summary"]


def test_the_upload_is_a_multipart_file(schema):
    body = schema["paths"]["/api/v1/van-ban/{id}/ban-da-ky/"]["post"]["requestBody"]
    assert "multipart/form-data" in body["content"]


def test_the_read_only_lists_are_documented(schema):
    assert {"/api/v1/han-xu-ly/", "/api/v1/thong-bao/", "/api/v1/sap-nhap/{id}/"} <= set(
        schema["paths"]
    )
