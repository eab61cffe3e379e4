"""A merger from the wizard to the drafted letters in the head's queue, in a real Chromium:
the demo's provincial officer merges the finance and health departments of Lai Châu under a
new name, reviews the preview, asks to apply it, the administrator approves the request
(four eyes, docs/approvals.md), the worker on Redis does the work, and the finance
department's head finds the Mẫu 04 and Mẫu 05 waiting for their signature. Screenshots go to
var/screenshots/merger-*.png."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone
from playwright.sync_api import expect

from agencies.demo import DEMO_PASSWORD, load_demo
from agencies.models import Organization
from certificates.choices import SubjectKind
from requests_app.choices import FormKind, Status
from requests_app.models import CertRequest
from tests import factories as f
from tests.helpers import totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FINANCE, HEALTH = "Sở Tài chính tỉnh Lai Châu", "Sở Y tế tỉnh Lai Châu"
NEW_NAME = "Sở Tài chính và Y tế tỉnh Lai Châu"
OFFICER, HEAD, ADMIN = "so.khcn", "lanhdao.stc", "quantri"


@pytest.fixture
def demo(redis_worker):
    if connection.vendor == "sqlite":
        pytest.skip("the worker and the browser share a PostgreSQL database in this walk")
    load_demo()
    finance = Organization.objects.get(name=FINANCE)
    health = Organization.objects.get(name=HEALTH)
    later = timezone.now() + timedelta(days=400)
    for org in (finance, health):
        f.CertificateFactory(
            subject_kind=SubjectKind.ORGANIZATION,
            person=None,
            subject_organization=org,
            agency=org,
            not_after=later,
        )
        for person in org.people.all()[:2]:
            f.CertificateFactory(person=person, agency=org, not_after=later)
    return finance, health


def test_an_officer_merges_two_departments_and_the_head_finds_the_letters(
    demo, as_user, live_server, screenshot
):
    finance, health = demo
    page = as_user(OFFICER)
    page.get_by_role("link", name="Sáp nhập").click()
    page.get_by_role("link", name="Lập phương án mới").click()
    page.get_by_label("(a) Sáp nhập thành cơ quan, tổ chức với tên mới").check()
    # The wizard labels each organisation "name · code" (`Organization.name_with_code`).
    for org in (finance, health):
        assert org.name_with_code.startswith(org.name)
        page.get_by_label(org.name_with_code, exact=True).check()
        expect(page.locator(f"input[name='sources'][value='{org.pk}']")).to_be_checked()
    page.get_by_label("Tên cơ quan mới (trường hợp a)").fill(NEW_NAME)
    page.get_by_label("Ngày có hiệu lực").fill(
        (timezone.localdate() + timedelta(days=7)).strftime("%d/%m/%Y")
    )
    screenshot(page, "merger-wizard")
    page.get_by_role("button", name="Lập phương án và xem trước").click()

    expect(page.locator(".messages")).to_contain_text("Đã lập phương án")
    expect(page.locator("[data-total='change_info']")).not_to_have_text("0")
    expect(page.locator("[data-total='revoke']")).to_have_text("1")
    screenshot(page, "merger-preview")

    page.get_by_label("Nhập lại mật khẩu để xác nhận").fill(DEMO_PASSWORD)
    page.get_by_label("Mã xác thực 6 chữ số").fill(
        totp_code(get_user_model().objects.get(username=OFFICER))
    )
    page.get_by_role("button", name="Thực hiện phương án").click()
    expect(page.locator(".messages")).to_contain_text("Đã lập đề nghị phê duyệt")

    # A second person approves: the administrator, from the approvers' queue.
    admin = as_user(ADMIN)
    admin.get_by_role("link", name="Phê duyệt").click()
    admin.get_by_role("link", name=re.compile(r"^\d+$")).first.click()
    admin.get_by_label("Nhập lại mật khẩu để xác nhận").first.fill(DEMO_PASSWORD)
    admin.get_by_label("Mã xác thực 6 chữ số").first.fill(
        totp_code(get_user_model().objects.get(username=ADMIN))
    )
    admin.get_by_role("button", name="Phê duyệt").click()
    expect(admin.locator(".messages")).to_contain_text("Đã phê duyệt")
    screenshot(admin, "merger-approved")
    # The worker applies it; the page shows the result once it reloads.
    for _ in range(60):
        page.reload()
        if page.locator("[data-summary]").count():
            break
        page.wait_for_timeout(500)
    expect(page.locator("[data-summary]")).to_contain_text(NEW_NAME)
    screenshot(page, "merger-applied")

    target = Organization.objects.get(name=NEW_NAME)
    letters = CertRequest.objects.filter(agency=target, status=Status.AWAITING_HEAD)
    assert set(letters.values_list("form", flat=True)) == {FormKind.RENEW_CHANGE, FormKind.REVOKE}

    head = as_user(HEAD)
    head.goto(f"{live_server.url}/van-ban/?status=awaiting_head")
    for letter in letters:
        expect(head.locator(f"a[href='/van-ban/{letter.pk}/']").first).to_be_visible()
    screenshot(head, "merger-head-queue")
