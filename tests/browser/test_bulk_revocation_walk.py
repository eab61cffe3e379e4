"""A bulk revocation from a search to the CRL, in a real Chromium (docs/bulk.md,
docs/approvals.md): the demo's CA operator filters the register by an agency a merger has
retired, revokes its 300 certificates from the bulk page, a second CA operator (another account,
another browser) approves the request from the approvers' queue with password and code, a real
Celery worker on Redis revokes them in batches while the job page follows by htmx polling, the
issuing CA's current CRL lists all 300 serials, and the requester finds the outcome on the job
page and in their notifications. Screenshots go to var/screenshots/bulk-*.png."""

import re
from datetime import timedelta

import pytest
from cryptography import x509
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone
from playwright.sync_api import expect

from agencies.choices import OrgKind
from agencies.demo import DEMO_PASSWORD, load_demo
from agencies.models import Organization
from bulk.choices import JobStatus
from bulk.models import BulkJob
from certificates.choices import CertStatus, RevocationReason
from certificates.models import Certificate
from tests import factories as f
from tests.browser.walks import approve_from_the_queue
from tests.bulk.world import certificates_of
from tests.helpers import running_worker, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REQUESTER, APPROVER = "cuc.cts", "cuc.cts.2"
MERGED = "Trung tâm Kiểm soát bệnh tật tỉnh Lai Châu"
SUCCESSOR = "Sở Y tế tỉnh Lai Châu"
PROVINCE = "Tỉnh Lai Châu"
COUNT = 300
REASON_TEXT = "Trung tâm đã sáp nhập vào Sở Y tế; chứng thư mang tên cơ quan cũ."


@pytest.fixture
def world(redis_app, ca, settings):
    """The demo, an agency of Lai Châu with 300 valid certificates of the issuing CA, retired
    by a merger into the health department (its row as the merger's apply leaves a merged
    agency: `valid_to` and `superseded_by`, orgmerge/services/apply.py); the demo's second
    CA operator (`cuc.cts.2`) approves."""
    if connection.vendor == "sqlite":
        pytest.skip("the worker and the browser share a PostgreSQL database in this walk")
    settings.PORTAL_BULK_BATCH = 50  # six batches: the counts move while the page polls
    load_demo()
    province = Organization.objects.get(kind=OrgKind.PROVINCE, name=PROVINCE)
    successor = Organization.objects.get(name=SUCCESSOR)
    merged = f.AgencyFactory(parent=province, name=MERGED)
    ids = certificates_of(merged, COUNT, issuer=ca.issuing)
    # The certificates stay with the retired agency here: the merger's apply would move them
    # to the successor (docs/orgmerge.md), and the walk is the revocation of what it left.
    Organization.objects.filter(pk=merged.pk).update(
        valid_to=timezone.localdate() - timedelta(days=1), superseded_by=successor
    )
    serials = set(Certificate.objects.filter(pk__in=ids).values_list("serial", flat=True))
    return province, merged, ca.issuing, serials


def test_a_ca_operator_revokes_a_merged_agencys_300_certificates_with_a_second_approval(
    world, redis_app, as_user, live_server, screenshot
):
    province, merged, issuing, serials = world
    users = get_user_model().objects

    # The requester filters the register by the merged agency, as a person does: the province
    # first, then the agency among the province's.
    page = as_user(REQUESTER)
    page.get_by_role("link", name="Chứng thư số").first.click()
    page.get_by_label("Tỉnh, thành phố").select_option(label=PROVINCE)
    page.get_by_role("button", name="Lọc").click()
    agency = page.get_by_label("Cơ quan quản lý")
    expect(agency.locator(f"option[value='{merged.pk}']")).to_have_count(1)
    agency.select_option(str(merged.pk))
    page.get_by_label("Trạng thái").select_option(CertStatus.VALID)
    page.get_by_role("button", name="Lọc").click()
    expect(page.locator("#ket-qua")).to_contain_text(MERGED)
    screenshot(page, "bulk-1-register")

    page.get_by_role("link", name="Thao tác hàng loạt").click()
    page.wait_for_url(re.compile(r".*/hang-loat/moi/\?.*"))
    expect(page.locator("#bulk-count")).to_have_attribute("data-count", str(COUNT))
    expect(
        page.get_by_role("heading", name=f"Bộ lọc tìm thấy {COUNT} chứng thư số")
    ).to_be_visible()
    page.get_by_label("Thao tác").select_option(label="Thu hồi chứng thư số")
    page.get_by_label("Căn cứ thu hồi (Điều 17)").select_option(RevocationReason.AGENCY_REQUEST)
    page.get_by_label("Lý do, nội dung đề nghị").fill(REASON_TEXT)
    # a revocation cannot be undone: the password (and the code) typed again
    page.get_by_label("Nhập lại mật khẩu để xác nhận").fill(DEMO_PASSWORD)
    page.get_by_label("Mã xác thực 6 chữ số").fill(
        totp_code(get_user_model().objects.get(username=REQUESTER))
    )
    screenshot(page, "bulk-2-preview")
    page.get_by_role("button", name=f"Thực hiện cho {COUNT} chứng thư").click()
    page.wait_for_url(re.compile(r".*/hang-loat/\d+/$"))
    expect(page.locator(".messages")).to_contain_text("đang chờ phê duyệt")
    job = BulkJob.objects.get()
    assert (job.status, job.total) == (JobStatus.WAITING_APPROVAL, COUNT)
    expect(page.locator("#bulk-progress")).to_have_attribute("data-status", "waiting_approval")
    screenshot(page, "bulk-3-waiting")

    # A second CA operator, in another browser, approves from the queue.
    approver = as_user(APPROVER)
    approve_from_the_queue(approver, job.approval_id, users.get(username=APPROVER))
    screenshot(approver, "bulk-4-approved")
    # The approval leads to the job it queued.
    approver.get_by_role("link", name=re.compile(r"Việc hàng loạt #\d+")).first.click()
    approver.wait_for_url(f"{live_server.url}/hang-loat/{job.pk}/")
    expect(approver.locator("#bulk-filter")).to_have_text(
        f"Tỉnh, thành phố: {PROVINCE}; Cơ quan quản lý: {MERGED}; Trạng thái: Còn hiệu lực"
    )

    # The requester's page polls; nothing is done until a worker carries out the approval's
    # run (which queues the job) and then the job itself.
    polls = []
    page.on(
        "request",
        lambda request: polls.append(request.url) if "/tien-do/" in request.url else None,
    )
    page.reload()
    expect(page.locator("#bulk-progress .import-count")).to_contain_text(f"Đã xử lý 0 / {COUNT}")
    expect(page.locator("#bulk-progress progress")).to_have_attribute("value", "0")
    with running_worker(redis_app):
        expect(page.locator("#bulk-progress")).to_have_attribute(
            "data-status", "done", timeout=60_000
        )
        progress = page.locator("#bulk-progress progress")
        expect(progress).to_have_attribute("value", str(COUNT))
        expect(progress).to_have_attribute("max", str(COUNT))
        expect(page.locator("#bulk-progress .import-count")).to_contain_text(
            f"Đã xử lý {COUNT} / {COUNT} — thành công {COUNT}, không thực hiện được 0, bỏ qua 0"
        )
        # 0 / 300 became 300 / 300 without a reload: htmx's polling brought it (the six
        # batches often end within one poll, so no intermediate count is asserted).
        assert polls, "the job page did not poll"
        screenshot(page, "bulk-5-done")

        # The CRL publication the job queued at its end: the issuing CA's current CRL.
        listed = set()
        for _ in range(60):
            response = page.request.get(f"{live_server.url}/ca/{issuing.pk}/crl")
            assert response.ok, response.status
            crl = x509.load_der_x509_crl(response.body())
            listed = {f"{entry.serial_number:X}" for entry in crl}
            if serials <= listed:
                break
            page.wait_for_timeout(500)
    assert serials <= listed, f"{len(serials - listed)} serials missing from the CRL"
    assert Certificate.objects.filter(agency=merged, status=CertStatus.REVOKED).count() == COUNT

    # The requester: the job page with each item's outcome, and the notification.
    page.get_by_role("link", name="Tải lại trang để xem từng đối tượng").click()
    expect(page.locator("#bulk-outcome")).to_contain_text(
        f"Đã thực hiện {COUNT}, không thực hiện được 0, bỏ qua 0."
    )
    expect(page.locator("#bulk-items tbody tr[data-status='done']")).to_have_count(50)
    expect(page.locator("#bulk-items tbody tr:not([data-status='done'])")).to_have_count(0)
    page.goto(f"{live_server.url}/thong-bao/")
    # Told of the approval, then of the outcome: the latter once, leading to the job.
    about_job = page.locator("li[data-notification]").filter(has_text=f"Việc hàng loạt #{job.pk}")
    expect(about_job.filter(has_text=f"Đề nghị #{job.approval_id} (")).to_have_count(1)
    notice = about_job.filter(has_text=f"Đã thực hiện {COUNT}, không thực hiện được 0")
    expect(notice).to_have_count(1)
    screenshot(page, "bulk-6-notification")
    notice.get_by_role("button", name=re.compile(f"Việc hàng loạt #{job.pk}")).click()
    page.wait_for_url(f"{live_server.url}/hang-loat/{job.pk}/")
