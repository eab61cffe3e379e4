"""Accessibility in a real Chromium: axe-core audits every page the browser tests visit
(tests/browser/axe.py, the `axe_audit` fixture); here, that the audit does see the pages and
fails on what it must, and that the keyboard focus ring stands out (WCAG 2.2, 1.4.11 and
2.4.13: at least 3:1 against the background it is drawn on)."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BROKEN = """<!DOCTYPE html><html lang="vi"><head><title>Thử</title></head><body><main>
<h1>Thử</h1><ul role="status"><li>Đã lưu.</li></ul></main></body></html>"""


def test_the_audit_checks_each_page_the_test_visits(page, live_server, axe_audit):
    page.goto(f"{live_server.url}/dang-nhap/")
    axe_audit.wait_for_report(page, since=0)
    assert f"{live_server.url}/dang-nhap/" in axe_audit.checked
    assert axe_audit.checked[f"{live_server.url}/dang-nhap/"] == []


def test_the_audit_fails_on_a_list_whose_list_role_is_taken_away(page, live_server, axe_audit):
    """The flash messages' old markup: `<ul role="status">` (axe: listitem, serious)."""

    def serve(route):
        route.fulfill(status=200, content_type="text/html; charset=utf-8", body=BROKEN)

    page.route(f"{live_server.url}/thu-axe/", serve)
    page.goto(f"{live_server.url}/thu-axe/")
    axe_audit.wait_for_report(page, since=0)
    found = axe_audit.checked.pop(f"{live_server.url}/thu-axe/")  # the page was made broken
    assert {(v["id"], v["impact"]) for v in found} >= {("listitem", "serious")}
