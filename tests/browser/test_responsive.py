"""Pages that fit, in a real Chromium at 1366×900 and on a 390×844 phone: the
clerk's letter editor, the CA's page of a forwarded letter and the device list. Layout
properties are asserted, and each page is compared with its kept reference image in
tests/browser/screens/ (redraw with `UPDATE_GOLDEN=1`, as the PDF golden images). A per-row
decision updates the counters without a reload."""

import os
from datetime import datetime
from io import BytesIO
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from PIL import Image, ImageChops, ImageStat
from playwright.sync_api import expect

from agencies.demo import load_demo
from agencies.models import Organization
from devices.choices import DeviceKind
from devices.services import device_register_stock
from requests_app import services
from requests_app.choices import FormKind, Outcome, Status
from requests_app.models import CertRequest, RequestRow
from tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENS = Path(__file__).resolve().parent / "screens"
# Mean grey-level difference (0–255) a page may drift from its reference: dates and times
# of day change a few digits, a layout change moves whole blocks.
TOLERANCE = 2.0
VIEWPORTS = {"desktop": (1366, 900), "phone": (390, 844)}
CLERK, OFFICER, CA = "canbo.stc", "so.khcn", "cuc.cts"
FINANCE = "Sở Tài chính tỉnh Lai Châu"
SHOWN_AT = timezone.make_aware(datetime(2026, 3, 2, 9, 30))


@pytest.fixture
def world():
    """A draft of the finance department with three rows, a forwarded letter whose rows the
    Sở decided (one refused) with a device as one row's result, a letter under the Sở's review,
    and devices in the CA's stock. States are set directly: the pages, not the workflow, are
    under test here (the walks are in test_request_walks.py)."""
    load_demo()
    users = {u.username: u for u in get_user_model().objects.all()}
    finance = Organization.objects.get(name=FINANCE)
    clerk = users[CLERK]

    def letter(n_rows):
        cert_request = services.cert_request_create(
            agency=finance, form=FormKind.ISSUE_PERSON, by=clerk, **f.LETTER_CONTACT
        )
        for i in range(n_rows):
            f.letter_row_add(
                cert_request,
                clerk,
                full_name=("Lò Thị Mai", "Hoàng Văn Thưởng Nguyễn", "Tòng Thị Phương")[i],
                national_id=f"01219000123{i}",
                email=f"nguoi{i}@laichau.gov.vn",
                work_agency="Văn phòng Sở Tài chính tỉnh Lai Châu, Phòng Ngân sách",
            )
        return cert_request

    draft = letter(3)
    forwarded = letter(2)
    reviewed = letter(2)
    devices = [
        device_register_stock(kind=DeviceKind.USB_TOKEN, serial=f"VT2611{n:04d}", by=users[CA])
        for n in range(1, 4)
    ]
    # Dates shown on the pages are fixed, so the screens do not drift with the day the
    # suite runs; only the forwarding time is today's, which keeps the CA's clock in time.
    now = timezone.now()
    CertRequest.objects.filter(pk__in=[draft.pk, forwarded.pk, reviewed.pk]).update(
        created_at=SHOWN_AT
    )
    CertRequest.objects.filter(pk=forwarded.pk).update(
        status=Status.FORWARDED, number="15/STC-VP", issued_on=SHOWN_AT.date(), forwarded_at=now
    )
    first, second = forwarded.rows.order_by("position")
    RequestRow.objects.filter(pk=first.pk).update(
        outcome=Outcome.PENDING,
        decided_by=users[OFFICER],
        decided_at=SHOWN_AT,
        result_device=devices[0],
    )
    RequestRow.objects.filter(pk=second.pk).update(
        outcome=Outcome.REFUSED,
        outcome_note="Số định danh không khớp",
        decided_by=users[OFFICER],
        decided_at=SHOWN_AT,
        is_open=False,
    )
    CertRequest.objects.filter(pk=reviewed.pk).update(
        status=Status.PROVINCE_REVIEW, number="16/STC-VP", issued_on=SHOWN_AT.date()
    )
    return SimpleNamespace(draft=draft, forwarded=forwarded, reviewed=reviewed, devices=devices)


def matches_reference(page, name: str, focus: str) -> None:
    """The viewport, scrolled to the `focus` element (the list the page is about), matches
    its kept reference within TOLERANCE."""
    page.locator(focus).first.evaluate("el => el.scrollIntoView({block: 'start'})")
    shot = page.screenshot(animations="disabled", caret="hide")
    image = Image.open(BytesIO(shot)).convert("L")
    reference = SCREENS / f"{name}.png"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        SCREENS.mkdir(exist_ok=True)
        image.save(reference)
    expected = Image.open(reference).convert("L")
    assert image.size == expected.size
    assert ImageStat.Stat(ImageChops.difference(image, expected)).mean[0] <= TOLERANCE


def body_overflows(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth > document.documentElement.clientWidth"
    )


def nav_last_tab_reachable(page) -> bool:
    last = page.locator(".site-nav li").last
    box = last.bounding_box()
    width = page.viewport_size["width"]
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width


def single_line(locator) -> bool:
    """The element's text is one line high (a serial broken in the middle would be two);
    measured on the text itself, since a table cell stretches to its row's height."""
    return locator.evaluate(
        """el => {
            const range = document.createRange();
            range.selectNodeContents(el);
            const height = range.getBoundingClientRect().height;
            return height > 0 && height < parseFloat(getComputedStyle(el).lineHeight) * 1.5;
        }"""
    )


def within_viewport(page, locator) -> bool:
    box = locator.bounding_box()
    return box is not None and box["x"] + box["width"] <= page.viewport_size["width"]


def open_at(page, url: str, viewport: str) -> None:
    width, height = VIEWPORTS[viewport]
    page.set_viewport_size({"width": width, "height": height})
    page.goto(url)
    page.wait_for_load_state("networkidle")


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_clerks_letter_editor_fits_and_matches_its_reference(
    world, as_user, live_server, viewport
):
    page = as_user(CLERK)
    open_at(page, f"{live_server.url}/van-ban/{world.draft.pk}/soan/", viewport)
    expect(page.locator("#rows-body tr").first).to_be_visible()
    assert nav_last_tab_reachable(page)
    if viewport == "phone":
        assert not body_overflows(page)
    # The sticky edit column stays in view at every width.
    assert within_viewport(page, page.locator("#rows-body tr").first.locator("td.actions"))
    # Section 1 is complete, so it folds to one line and the list comes first.
    expect(page.locator("details.fold")).not_to_have_attribute("open", "")
    expect(page.locator("details.fold summary")).to_contain_text("ha@laichau.gov.vn")
    matches_reference(page, f"editor-{viewport}", "#rows-body")


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_cas_forwarded_letter_shows_the_result_and_the_sos_decisions(
    world, as_user, live_server, viewport
):
    page = as_user(CA)
    open_at(page, f"{live_server.url}/van-ban/{world.forwarded.pk}/", viewport)
    rows = world.forwarded.rows.order_by("position")
    first, second = (page.locator(f"#dong-{row.pk}") for row in rows)
    expect(first.locator("td.outcome")).to_contain_text("Sở KH&CN đã chấp nhận")
    expect(second.locator("td.outcome")).to_contain_text("Sở KH&CN đã từ chối")
    expect(second.locator("td.outcome")).to_contain_text("Số định danh không khớp")
    serial = first.locator("td.result .mono")
    expect(serial).to_have_text(world.devices[0].serial)
    assert single_line(serial)
    assert nav_last_tab_reachable(page)
    # The result is in view at both widths: next to the outcome on a desktop, in the row's
    # card on a phone.
    assert within_viewport(page, first.locator("td.result"))
    if viewport == "phone":
        assert not body_overflows(page)
    matches_reference(page, f"ca-letter-{viewport}", ".rows-table")


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_device_list_keeps_serials_on_one_line_and_fits(world, as_user, live_server, viewport):
    page = as_user(CA)
    open_at(page, f"{live_server.url}/thiet-bi/", viewport)
    serial = page.locator("td.mono", has_text=world.devices[1].serial)
    expect(serial).to_be_visible()
    assert single_line(serial)
    assert nav_last_tab_reachable(page)
    if viewport == "phone":
        assert not body_overflows(page)
    matches_reference(page, f"device-list-{viewport}", "#ket-qua")


def test_a_row_decision_updates_the_counters_without_a_reload(world, as_user, live_server):
    page = as_user(OFFICER)
    open_at(page, f"{live_server.url}/van-ban/{world.reviewed.pk}/", "desktop")
    expect(page.locator('[data-count="pending"]')).to_have_text("Chờ xem xét: 2")
    page.evaluate("window.portalNotReloaded = true")

    page.get_by_role("button", name="Chấp nhận dòng 1").click()

    expect(page.locator('[data-count="province-accepted"]')).to_have_text(
        "Sở KH&CN đã chấp nhận: 1"
    )
    expect(page.locator('[data-count="pending"]')).to_have_text("Chờ xem xét: 1")
    assert page.evaluate("window.portalNotReloaded === true")


def test_a_hidden_column_stays_hidden_after_a_reload_and_the_result_stays(
    world, as_user, live_server
):
    page = as_user(CA)
    open_at(page, f"{live_server.url}/van-ban/{world.forwarded.pk}/", "desktop")
    first = page.locator(f"#dong-{world.forwarded.rows.order_by('position').first().pk}")
    expect(first.locator('[data-column="email"]')).to_be_visible()

    page.get_by_text("Chọn cột hiển thị").click()
    page.get_by_label("Thư điện tử công vụ", exact=True).uncheck()
    expect(first.locator('[data-column="email"]')).to_be_hidden()
    page.reload()
    expect(first.locator('[data-column="email"]')).to_be_hidden()
    expect(page.locator('th[data-column="email"]')).to_be_hidden()
    expect(first.locator("td.result")).to_be_visible()

    page.get_by_text("Chọn cột hiển thị").click()
    page.get_by_role("button", name="Hiện tất cả các cột").click()
    expect(first.locator('[data-column="email"]')).to_be_visible()
