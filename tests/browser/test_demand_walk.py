"""A demand campaign walked in a real Chromium (docs/architecture.md §11): on the demo's
nationwide campaign the finance department's clerk fills the prefilled table and hands it to
the head, the head signs and sends it at their desk, and the Sở KH&CN's officer sees who has
answered, reminds the others and signs the province's summary at theirs. Screenshots go to
var/screenshots/demand-*.png."""

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from playwright.sync_api import expect

from agencies.choices import OrgKind
from agencies.models import Organization
from certificates.signing import verify_pdf
from demand.choices import RegistrationStatus
from demand.demo import load_demand_demo
from demand.models import Campaign, DemandDocument, ProvinceSummary, Registration
from portal.models import Notification
from requests_app.demo import load_full_demo
from tests.demand.world import sign_registration, sign_summary
from tests.helpers import off_the_browser_loop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FINANCE = "Sở Tài chính tỉnh Lai Châu"


@pytest.fixture
def campaign():
    if connection.vendor == "sqlite":
        pytest.skip("the browser and the test share a PostgreSQL database in this walk")
    load_full_demo()
    load_demand_demo()
    return Campaign.objects.get()


def test_a_clerk_fills_the_head_signs_and_the_province_sends_its_summary(
    campaign, as_user, live_server, screenshot
):
    year = campaign.start_year + 2
    clerk = as_user("canbo.stc")
    clerk.get_by_role("link", name="Nhu cầu CTS").click()
    clerk.get_by_role("link", name=campaign.title).click()
    expect(clerk.get_by_role("heading", name=f"Bản đăng ký nhu cầu: {FINANCE}")).to_be_visible()
    expect(clerk.get_by_text("chứng thư số còn hiệu lực").first).to_be_visible()
    clerk.get_by_label(f"Chứng thư số cho cá nhân: SIM PKI {year}").fill("4")
    clerk.locator("tr[data-line=person_sim] input[name=note_person_sim]").fill(
        "Lãnh đạo ký trên điện thoại"
    )
    clerk.get_by_role("button", name="Lưu bản đăng ký").click()
    expect(clerk.get_by_text("Đã lưu bản đăng ký.")).to_be_visible()
    screenshot(clerk, "demand-clerk-table")
    clerk.get_by_role("button", name="Trình lãnh đạo ký").click()
    expect(clerk.get_by_text("Đã trình lãnh đạo ký.")).to_be_visible()

    head = as_user("lanhdao.stc")
    head.goto(f"{live_server.url}/nhu-cau/{campaign.pk}/dang-ky/")
    expect(head.locator("tr[data-line=person_sim] input").nth(2)).to_have_value("4")
    # The head's "Ký" drives the signing client on their computer (static/js/desk-signing.js,
    # walked with a real client and token in tests/browser/test_desk_signing.py); here the
    # test stands in for the client and the token (tests/desk.py).
    expect(head.locator("[data-desk-sign]")).to_be_visible()
    registration = Registration.objects.get(agency__name=FINANCE)
    head_user = get_user_model().objects.get(username="lanhdao.stc")
    off_the_browser_loop(
        lambda: sign_registration(registration, head_user, revision=registration.revision)
    )
    head.reload()
    expect(head.get_by_role("link", name="Tải bản đã ký")).to_be_visible()
    screenshot(head, "demand-head-sent")
    registration = Registration.objects.get(agency__name=FINANCE)
    assert registration.status == RegistrationStatus.SENT

    officer = as_user("so.khcn")
    officer.get_by_role("link", name="Nhu cầu CTS").click()
    officer.get_by_role("link", name=campaign.title).click()
    expect(officer.get_by_role("heading", name="Đã gửi: 1/")).to_be_visible()
    officer.get_by_role("button", name="Nhắc các cơ quan chưa gửi").click()
    expect(officer.get_by_text("Đã nhắc")).to_be_visible()
    reminded = Notification.objects.filter(key__contains=":remind:")
    assert reminded.exists()
    assert not reminded.filter(user__username__in=["canbo.stc", "lanhdao.stc"]).exists()
    expect(officer.locator("[data-desk-sign]")).to_be_visible()
    officer_user = get_user_model().objects.get(username="so.khcn")
    province = Organization.objects.get(kind=OrgKind.PROVINCE, name="Tỉnh Lai Châu")
    off_the_browser_loop(lambda: sign_summary(campaign, province, officer_user))
    officer.reload()
    expect(officer.get_by_role("link", name="Tải báo cáo đã ký")).to_be_visible()
    screenshot(officer, "demand-officer-summary")
    with officer.expect_download() as download:
        officer.get_by_role("link", name="Tải báo cáo đã ký").click()
    pdf = Path(download.value.path()).read_bytes()
    summary = ProvinceSummary.objects.get()
    assert pdf == bytes(DemandDocument.objects.get(summary=summary).content)
    reports = off_the_browser_loop(lambda: verify_pdf(pdf))
    assert reports and all(r.ok for r in reports)
    assert summary.totals["person_sim"][str(year)] == 4
