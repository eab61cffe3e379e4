"""The API documentation page (/api/tai-lieu/) renders the schema with the vendored Swagger UI:
it answers 200, loads only the portal's own static files (no CDN), carries no inline script or
style, and is sent under the site's Content-Security-Policy."""

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

from tests.helpers import sign_in

pytestmark = pytest.mark.django_db

URL = "/api/tai-lieu/"


def assets(html: str) -> list[str]:
    return re.findall(r'<(?:script|link)\b[^>]*?(?:src|href)="([^"]+)"', html)


def test_the_docs_page_answers_200_and_loads_only_local_static_files(client):
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    found = assets(html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in found)
    assert any(a.endswith("swagger-ui.css") for a in found)
    for asset in found:
        assert asset.startswith("/static/"), asset
        assert finders.find(asset.removeprefix("/static/")), asset
    assert "//" not in "".join(found)  # no scheme-relative or absolute address either


def test_the_docs_page_has_no_inline_script_or_style_and_is_sent_under_the_csp(client):
    response = client.get(URL)
    html = response.content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert "<style" not in html and " style=" not in html
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy


def test_the_docs_page_points_swagger_ui_at_the_json_schema(client):
    html = client.get(URL).content.decode()
    assert 'data-schema-url="/api/schema/?format=json"' in html
    schema = client.get("/api/schema/", {"format": "json"})
    assert schema.status_code == 200
    assert "/api/v1/van-ban/{id}/{verb}/" in schema.json()["paths"]


def test_the_swagger_ui_licence_is_vendored_beside_it():
    assert "Apache License" in Path(finders.find("vendor/swagger-ui/LICENSE")).read_text()


def test_the_api_tokens_page_links_to_the_docs_page(client, cast):
    sign_in(client, cast.clerk_a)
    assert f'href="{URL}"' in client.get("/tai-khoan/khoa-api/").content.decode()
