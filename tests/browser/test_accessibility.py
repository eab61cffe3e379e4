"""Accessibility in a real Chromium: axe-core audits every page the browser tests visit
(tests/browser/axe.py, the `axe_audit` fixture); here, that the audit does see the pages and
fails on what it must, and that the keyboard focus ring stands out (WCAG 2.2, 1.4.11 and
2.4.13: at least 3:1 against the background it is drawn on)."""

import pytest
from django.urls import reverse

from agencies.demo import load_demo

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


# --- the focus ring -------------------------------------------------------------------------
# What the focused element's ring is drawn on, as rendered: the element found just outside the
# ring on each side (elementsFromPoint), its background composited over its ancestors'.
RING = """
(el) => {
  const style = getComputedStyle(el);
  const parse = (c) => {
    const m = c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return [0, 0, 0, 0];
    const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const behind = (node) => {
    const layers = [];
    for (let n = node; n && n.nodeType === 1; n = n.parentElement) {
      const c = parse(getComputedStyle(n).backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] >= 1) break;
    }
    let colour = [255, 255, 255];
    for (const [r, g, b, a] of layers.reverse()) {
      colour = [r * a + colour[0] * (1 - a), g * a + colour[1] * (1 - a), b * a + colour[2] * (1 - a)];
    }
    return colour;
  };
  const box = el.getBoundingClientRect();
  const offset = parseFloat(style.outlineOffset), width = parseFloat(style.outlineWidth);
  const result = {
    element: el.outerHTML.slice(0, 120),
    style: style.outlineStyle,
    width,
    ring: parse(style.outlineColor).slice(0, 3),
    backgrounds: [],
  };
  if (offset + width <= 0) {  // drawn inside the element: on its own background
    result.backgrounds.push(behind(el));
    return result;
  }
  const gap = offset + width + 2;
  const points = [
    [box.left - gap, box.top + box.height / 2], [box.right + gap, box.top + box.height / 2],
    [box.left + box.width / 2, box.top - gap], [box.left + box.width / 2, box.bottom + gap],
  ];
  for (const [x, y] of points) {
    if (x < 0 || y < 0 || x >= innerWidth || y >= innerHeight) continue;
    const hit = document.elementsFromPoint(x, y).find((n) => n !== el && !el.contains(n));
    if (hit) result.backgrounds.push(behind(hit));
  }
  return result;
}
"""


def luminance(rgb) -> float:
    def channel(value):
        value /= 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(one, other) -> float:
    light, dark = sorted((luminance(one), luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_contrast_is_measured_as_wcag_defines_it():
    assert round(contrast((255, 255, 255), (0, 0, 0)), 1) == 21.0
    assert round(contrast((0xE9, 0xC4, 0x6A), (255, 255, 255)), 1) == 1.7  # the old gold ring


def focus_rings(page, tabs: int = 45) -> list[dict]:
    rings = []
    page.locator("body").focus()
    for _ in range(tabs):
        page.keyboard.press("Tab")
        handle = page.evaluate_handle("document.activeElement")
        if page.evaluate("(el) => el === document.body", handle):
            break
        rings.append(page.evaluate(RING, handle))
    return rings


@pytest.fixture
def clerk_page(as_user):
    load_demo()
    return as_user("canbo.stc")


def test_the_focus_ring_stands_out_3_to_1_against_what_it_is_drawn_on(
    clerk_page, live_server, screenshot
):
    page = clerk_page
    weak = []
    checked = 0
    for name in ("dashboard", "requests_app:list", "requests_app:create", "devices:list"):
        page.goto(f"{live_server.url}{reverse(name)}")
        for ring in focus_rings(page):
            assert ring["style"] != "none" and ring["width"] >= 2, ring["element"]
            for background in ring["backgrounds"]:
                checked += 1
                ratio = contrast(ring["ring"], background)
                if ratio < 3:
                    weak.append((name, ring["element"], round(ratio, 2), background))
    assert checked > 50
    assert weak == []
    page.goto(f"{live_server.url}{reverse('dashboard')}")
    for _ in range(4):  # the skip link, the two language buttons, the account link
        page.keyboard.press("Tab")
    screenshot(page, "focus-ring-header")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    screenshot(page, "focus-ring-navigation")
