"""A real Chromium (Debian's, at /usr/bin/chromium) driven by Playwright's sync API.

The session's one Chromium, the `browser` fixture, is in tests/conftest.py (the signing client's
tests drive it too); here: the axe audit of every page, pages and screenshots.
"""

from pathlib import Path

import pytest

from tests.browser.axe import AxeAudit
from tests.helpers import browser_second_step

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@pytest.fixture(autouse=True)
def axe_audit(request, monkeypatch):
    """axe-core on every page each browser test visits (tests/browser/axe.py): the test fails
    on any critical or serious violation. Every context the test opens is audited until it
    closes; a test that opens no browser is left alone."""
    if "browser" not in request.fixturenames:
        yield None
        return
    browser = request.getfixturevalue("browser")
    audit = AxeAudit()
    opened = []
    new_context = browser.new_context

    def audited_context(*args, **kwargs):
        context = new_context(*args, **kwargs)
        audit.attach(context)
        close = context.close

        def audited_close(*close_args, **close_kwargs):
            audit.finish(context)
            return close(*close_args, **close_kwargs)

        context.close = audited_close
        opened.append(context)
        return context

    monkeypatch.setattr(browser, "new_context", audited_context)
    yield audit
    for context in opened:
        if context.pages:  # still open: the test did not close it
            audit.finish(context)
    assert audit.failures() == {}, "axe: critical or serious accessibility violations"


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def screenshot():
    """Save a full-page screenshot under var/screenshots/<name>.png; returns the path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def as_user(browser, live_server):
    """A page logged in through the real form as a demo account, each account in its own
    browser context (own cookies), so several roles can act side by side. Accounts with a
    second factor type the current code of the demo authenticator (agencies/demo.py)."""
    from agencies.demo import DEMO_PASSWORD

    contexts = []

    def open_as(username: str):
        context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="vi-VN")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.goto(f"{live_server.url}/dang-nhap/")
        page.get_by_label("Tên đăng nhập").fill(username)
        page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Đăng nhập").click()
        # The second step, as a person does it: the code their authenticator app shows.
        browser_second_step(page, live_server.url, username)
        page.wait_for_url(f"{live_server.url}/")
        return page

    yield open_as
    for context in contexts:
        context.close()
