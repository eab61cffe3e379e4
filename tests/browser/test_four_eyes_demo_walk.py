"""The four-eyes path a new user walks with the demo accounts (README "Demo accounts",
docs/approvals.md), in a real Chromium on the demo `seed_demo` loads: the CA operator `cuc.cts`
revokes the finance department's organisation certificate (its seal), found in the register,
from the bulk page; the job waits; the second CA operator `cuc.cts.2` approves it on the request's page,
typing the password and the code again as the page asks; a real Celery worker carries it
out, and the certificate's page shows it revoked. Screenshots go to var/screenshots/
four-eyes-*.png."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from playwright.sync_api import expect

from agencies.demo import DEMO_PASSWORD
from agencies.models import Organization
from bulk.choices import JobStatus
from bulk.models import BulkJob
from certificates.choices import CertStatus, RevocationReason, SubjectKind
from certificates.models import Certificate
from requests_app.demo import load_full_demo
from tests.browser.walks import approve_from_the_queue
from tests.helpers import off_the_browser_loop, running_worker, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REQUESTER, APPROVER = "cuc.cts", "cuc.cts.2"
PROVINCE = "Tỉnh Lai Châu"
FINANCE = "Sở Tài chính tỉnh Lai Châu"


@pytest.fixture
def seals(redis_app):
    """The demo (built off the browser's event loop: its letters are signed in-process) and
    the finance department's valid organisation certificates."""
    if connection.vendor == "sqlite":
        pytest.skip("the worker and the browser share a PostgreSQL database in this walk")
    off_the_browser_loop(load_full_demo)
    finance = Organization.objects.get(name=FINANCE)
    seals = Certificate.objects.filter(
        agency=finance, subject_kind=SubjectKind.ORGANIZATION, status=CertStatus.VALID
    )
    assert seals.exists()
    return finance, list(seals.order_by("pk"))


def test_a_ca_operator_revokes_an_organisation_certificate_a_second_one_approves(
    seals, redis_app, as_user, live_server, screenshot
):
    finance, certificates = seals
    users = get_user_model().objects

    # cuc.cts finds the finance department's seal in the register by its serial
    seal = certificates[0]
    page = as_user(REQUESTER)
    page.get_by_role("link", name="Chứng thư số").first.click()
    page.get_by_label("Số hiệu, tên, cơ quan hoặc thư điện tử").fill(seal.serial)
    page.get_by_label("Trạng thái").select_option(CertStatus.VALID)
    page.get_by_role("button", name="Lọc").click()
    expect(page.locator("#ket-qua tbody tr")).to_have_count(1)
    expect(page.locator("#ket-qua")).to_contain_text(seal.serial)
    expect(page.get_by_role("link", name="Thao tác hàng loạt")).to_have_attribute(
        "href", re.compile(seal.serial)
    )

    # … and asks for their revocation: an organisation's certificate waits for another one
    page.get_by_role("link", name="Thao tác hàng loạt").click()
    page.wait_for_url(re.compile(r".*/hang-loat/moi/\?.*"))
    expect(page.locator("#bulk-count")).to_have_attribute("data-count", "1")
    expect(page.get_by_text("chờ một cán bộ Cục CTS&BMTT khác phê duyệt")).to_be_visible()
    page.get_by_label("Thao tác").select_option(label="Thu hồi chứng thư số")
    page.get_by_label("Căn cứ thu hồi (Điều 17)").select_option(RevocationReason.KEY_COMPROMISE)
    page.get_by_label("Lý do, nội dung đề nghị").fill("Token của con dấu số bị mất.")
    page.get_by_label("Nhập lại mật khẩu để xác nhận").fill(DEMO_PASSWORD)
    page.get_by_label("Mã xác thực 6 chữ số").fill(totp_code(users.get(username=REQUESTER)))
    page.get_by_role("button", name=re.compile(r"Thực hiện cho \d+ chứng thư")).click()
    page.wait_for_url(re.compile(r".*/hang-loat/\d+/$"))
    expect(page.locator(".messages")).to_contain_text("đang chờ phê duyệt")
    job = BulkJob.objects.get()
    assert job.status == JobStatus.WAITING_APPROVAL
    assert job.approval.get_action_display() == "Thu hồi chứng thư số của tổ chức"
    expect(page.locator("#bulk-progress")).to_have_attribute("data-status", "waiting_approval")
    screenshot(page, "four-eyes-1-waiting")
    # the requester cannot decide it: the request's page offers them no decision
    page.goto(f"{live_server.url}/phe-duyet/{job.approval_id}/")
    expect(page.locator("#approval-status")).to_have_attribute("data-status", "pending")
    expect(page.get_by_role("button", name="Phê duyệt", exact=True)).to_have_count(0)

    # cuc.cts.2 approves on the request's page, with the password and code typed again
    approver = as_user(APPROVER)
    approve_from_the_queue(approver, job.approval_id, users.get(username=APPROVER))
    screenshot(approver, "four-eyes-2-approved")

    # a worker carries it out; the certificate's page shows it revoked
    with running_worker(redis_app):
        page.goto(f"{live_server.url}/hang-loat/{job.pk}/")
        expect(page.locator("#bulk-progress")).to_have_attribute(
            "data-status", "done", timeout=60_000
        )
    screenshot(page, "four-eyes-3-done")
    seal.refresh_from_db()
    assert seal.status == CertStatus.REVOKED
    page.goto(f"{live_server.url}/chung-thu/{seal.serial}/")
    expect(page.locator(f".badge-{CertStatus.REVOKED}")).to_have_text("Đã thu hồi")
    screenshot(page, "four-eyes-4-revoked")
