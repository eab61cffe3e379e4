"""In a real browser (docs/privacy.md §masking): the clerk's submitted letter shows the row's ID
number masked (a draft shows its author the values, §6); "Hiện" opens the reason's form in place, the reason reveals the number and the
access is recorded; the agency head sees the same page without the control; and without
JavaScript the same link leads to a page with the form and back.

Screenshots: var/screenshots/reveal-*.png."""

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from agencies.demo import DEMO_PASSWORD, load_demo
from agencies.models import Organization
from privacy.models import Access
from requests_app import services
from requests_app.choices import FormKind
from tests import factories as f
from tests.helpers import browser_second_step

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CLERK, HEAD = "canbo.stc", "lanhdao.stc"
ROW_ID = "001190012345"


@pytest.fixture
def letter():
    load_demo()
    clerk = get_user_model().objects.get(username=CLERK)
    finance = Organization.objects.get(name="Sở Tài chính tỉnh Lai Châu")
    letter = services.cert_request_create(
        agency=finance, form=FormKind.ISSUE_PERSON, by=clerk, **f.LETTER_CONTACT
    )
    f.letter_row_add(letter, clerk, national_id=ROW_ID)
    services.cert_request_submit(cert_request=letter, by=clerk)
    return letter


def test_the_clerk_reveals_an_id_number_in_place_with_a_reason(
    as_user, live_server, letter, screenshot
):
    page = as_user(CLERK)
    page.goto(f"{live_server.url}/van-ban/{letter.pk}/")
    cell = page.locator('#bang-dong td[data-column="national_id"]')
    expect(cell).to_contain_text("********2345")
    assert ROW_ID not in page.content()
    wider = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    assert page.evaluate(wider) <= 0, "the controls' hidden labels widen no page"
    screenshot(page, "reveal-1-masked")
    cell.get_by_role("link", name=re.compile("Hiện")).click()
    reason = cell.get_by_role("textbox")
    expect(reason).to_be_visible()
    screenshot(page, "reveal-2-reason")
    cell.get_by_role("button", name="Xem").click()
    expect(cell.locator(".field-error")).to_contain_text("Hãy nêu lý do")
    assert not Access.objects.exists()
    cell.get_by_role("textbox").fill("Đối chiếu căn cước theo đề nghị của Cục CTS&BMTT")
    cell.get_by_role("button", name="Xem").click()
    expect(cell).to_contain_text(ROW_ID)
    assert page.evaluate(wider) <= 0
    screenshot(page, "reveal-3-revealed")
    access = Access.objects.get()
    assert access.reason == "Đối chiếu căn cước theo đề nghị của Cục CTS&BMTT"
    assert access.fields == ["requests_app.RequestRow.national_id"]


def test_the_head_sees_the_number_masked_and_no_control(as_user, live_server, letter):
    page = as_user(HEAD)
    page.goto(f"{live_server.url}/van-ban/{letter.pk}/")
    cell = page.locator('#bang-dong td[data-column="national_id"]')
    expect(cell).to_contain_text("********2345")
    expect(cell.get_by_role("link")).to_have_count(0)


def test_without_javascript_the_reveal_is_a_page_that_leads_back(
    browser, live_server, letter, screenshot
):
    context = browser.new_context(java_script_enabled=False, locale="vi-VN")
    page = context.new_page()
    page.goto(f"{live_server.url}/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill(CLERK)
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    browser_second_step(page, live_server.url, CLERK)
    page.goto(f"{live_server.url}/van-ban/{letter.pk}/")
    page.locator('#bang-dong td[data-column="national_id"]').get_by_role("link").click()
    page.get_by_label("Lý do cần xem đầy đủ").fill("Kiểm tra trước khi trình ký")
    page.get_by_role("button", name="Xem giá trị đầy đủ").click()
    expect(page.locator("[data-revealed]")).to_contain_text(ROW_ID)
    screenshot(page, "reveal-4-without-javascript")
    page.get_by_role("link", name="Quay lại trang trước").click()
    page.wait_for_url(re.compile(rf"/van-ban/{letter.pk}/$"))
    assert Access.objects.count() == 1
    context.close()
