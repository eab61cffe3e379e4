"""The API documentation page (/api/tai-lieu/) in a real Chromium under the site's
Content-Security-Policy: the vendored Swagger UI draws every operation of the schema, with no
CSP violation, no console error and no request leaving the portal.
Screenshot: var/screenshots/api-docs.png."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Injected by the browser's debugging protocol (which the policy does not govern) before any
# page script: records every violation the page reports.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


def documented_operations() -> list[tuple[str, str]]:
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    return [(path, method) for path, item in paths.items() for method in item]


def test_swagger_ui_draws_every_operation_without_a_csp_violation(page, live_server, screenshot):
    errors, requested = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("request", lambda r: requested.append(r.url))
    page.context.add_init_script(RECORD_VIOLATIONS)

    page.goto(f"{live_server.url}/api/tai-lieu/")
    operations = page.locator(".opblock")
    expect(operations.first).to_be_visible()
    assert operations.count() == len(documented_operations())
    expect(page.get_by_text("/api/v1/van-ban/{id}/{verb}/")).to_be_visible()
    page.wait_for_load_state("networkidle")
    screenshot(page, "api-docs")

    assert page.evaluate("window.__cspViolations") == []
    assert errors == []
    assert [u for u in requested if not u.startswith(live_server.url)] == []
