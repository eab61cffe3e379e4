"""Devices in a real Chromium: a clerk hands tokens to their subscribers (the Mẫu 07 goes to
the CA when the head signs it, and the CA operator then sees it with its two valid signatures),
reports one lost (Mẫu 09, then straight to the drafted Mẫu 05 revocation), and returns devices
in a Mẫu 08 the head signs and the CA signs in turn. Screenshots go to
var/screenshots/devices-*.png.

The documents are signed only at the signers' desks: each signer's page offers the desk
signing button, and the test then signs through the portal's own desk services
(tests/paperwork/device_signing_world.py over tests/desk.py, the test standing in for the
signing client and the token); the real client in the browser is driven by
tests/browser/test_desk_signing.py, through the same page script."""

import re
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from agencies.demo import load_demo
from agencies.models import Organization, Person
from certificates.choices import RevocationReason, SubjectKind
from certificates.services import ca_initialize, certificate_issue
from devices.choices import DeviceKind, DeviceStatus
from devices.models import Device, HandoverNotice, LossReport
from devices.services import device_deliver_for_certificate, device_register_stock
from requests_app.choices import FormKind, Status
from requests_app.demo import demo_device_signers
from requests_app.models import CertRequest
from tests.helpers import off_the_browser_loop
from tests.paperwork.device_signing_world import agency_signs, receiver_signs

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FINANCE = "Sở Tài chính tỉnh Lai Châu"
CLERK, HEAD, CA = "canbo.stc", "lanhdao.stc", "cuc.cts"
HOLDERS = ("Trần Đức Minh", "Phạm Thị Hường")


@pytest.fixture
def world(redis_worker):
    """The demo organisations and accounts, a simulated CA, tokens in its stock, and two
    certificates issued on tokens delivered to the finance department, not yet handed over;
    a real worker on Redis for the letters the flows draft."""
    load_demo()
    ca_initialize()
    users = {u.username: u for u in get_user_model().objects.all()}
    finance = Organization.objects.get(name=FINANCE)
    for n in range(1, 5):
        device_register_stock(kind=DeviceKind.USB_TOKEN, serial=f"VT2611{n:03d}", by=users[CA])
    people = {p.full_name: p for p in Person.objects.filter(full_name__in=HOLDERS)}
    devices, certificates = {}, {}
    for name in HOLDERS:
        device = device_deliver_for_certificate(
            kind=DeviceKind.USB_TOKEN, agency=finance, holder=people[name], by=users[CA],
            document_ref="12/STC-CKS",
        )  # fmt: skip
        certificates[name] = certificate_issue(
            subject_kind=SubjectKind.PERSON, agency=finance, person=people[name], device=device,
            by=users[CA],
        )  # fmt: skip
        devices[name] = device
    demo_device_signers()  # the head's certificate, the agency's seal, the CA operator's
    return SimpleNamespace(finance=finance, devices=devices, certificates=certificates)


def test_the_clerk_hands_tokens_over_and_the_ca_receives_the_mau_07(
    world, as_user, live_server, screenshot
):
    page = as_user(CLERK)
    page.get_by_role("link", name="Thiết bị").first.click()
    page.get_by_role("link", name="Bàn giao cho thuê bao").click()
    page.wait_for_url(f"{live_server.url}/thiet-bi/ban-giao/")
    expect(page.locator("h1")).to_have_text("Bàn giao thiết bị cho thuê bao")
    first, second = (world.devices[name] for name in HOLDERS)

    # Both chosen, only one signed for: refused, in Vietnamese, and nothing changes.
    page.get_by_label(f"Bàn giao thiết bị {first.serial}").check()
    page.get_by_label(f"Bàn giao thiết bị {second.serial}").check()
    page.get_by_label(f"Thuê bao đã ký nhận thiết bị {first.serial}").check()
    page.get_by_role("button", name="Ghi nhận bàn giao và trình ký thông báo Mẫu 07").click()
    expect(page.get_by_role("alert").first).to_contain_text("phải có chữ ký nhận của thuê bao")
    screenshot(page, "devices-handover-refused")
    assert not HandoverNotice.objects.exists()

    page.get_by_label(f"Thuê bao đã ký nhận thiết bị {second.serial}").check()
    page.get_by_role("button", name="Ghi nhận bàn giao và trình ký thông báo Mẫu 07").click()
    page.wait_for_url(re.compile(r".*/thiet-bi/mau-07/\d+/$"))
    expect(page.locator(".messages")).to_contain_text("Đã ghi nhận bàn giao 2 thiết bị")
    document = page.locator('[data-document="mau-07"]')
    expect(document).to_contain_text("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    expect(document).to_contain_text("Số lượng: 02 (bằng chữ: hai) thiết bị")
    for name in HOLDERS:
        expect(document).to_contain_text(name)
        expect(document).to_contain_text(world.certificates[name].serial)
    screenshot(page, "devices-mau-07")
    assert set(
        Device.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", flat=True)
    ) == {DeviceStatus.HANDED_TO_SUBSCRIBER}
    notice = HandoverNotice.objects.get()
    expect(page.locator("[data-signing]")).to_contain_text("sau khi lãnh đạo cơ quan ký số")
    assert notice.sent_at is None

    # The head signs it at their desk (see the module), and it is sent.
    head_page = as_user(HEAD)
    head_page.goto(f"{live_server.url}/thiet-bi/mau-07/{notice.pk}/")
    expect(head_page.locator("[data-desk-signing] [data-desk-sign]")).to_be_visible()
    expect(head_page.get_by_role("button", name="Ký và gửi")).to_have_count(0)
    screenshot(head_page, "devices-mau-07-signing")
    off_the_browser_loop(lambda: agency_signs(notice, account(HEAD)))
    head_page.reload()
    expect(head_page.locator('[data-verification="valid"]')).to_have_text("2 chữ ký hợp lệ")
    expect(head_page.locator("[data-desk-signing]")).to_have_count(0)
    screenshot(head_page, "devices-mau-07-signed")

    # The CA operator sees the notice among those received.
    ca_page = as_user(CA)
    ca_page.goto(f"{live_server.url}/thiet-bi/mau-07/")
    expect(ca_page.locator("h1")).to_have_text("Thông báo Mẫu 07 đã nhận từ các cơ quan")
    row = ca_page.locator(f'[data-document="{notice.pk}"]')
    expect(row).to_contain_text(notice.number)
    expect(row).to_contain_text(FINANCE)
    screenshot(ca_page, "devices-mau-07-received-by-ca")
    row.get_by_role("link", name=notice.number).click()
    expect(ca_page.locator('[data-document="mau-07"]')).to_be_visible()
    expect(ca_page.locator('[data-verification="valid"]')).to_have_text("2 chữ ký hợp lệ")
    expect(ca_page.locator("[data-signature]")).to_have_count(2)

    printed = ca_page.context.new_page()
    printed.goto(f"{live_server.url}/thiet-bi/mau-07/{notice.pk}/in/")
    screenshot(printed, "devices-mau-07-print")


def test_the_clerk_reports_a_token_lost_and_lands_on_the_drafted_mau_05(
    world, as_user, live_server, screenshot
):
    from devices.services import handover_notice_create

    device = world.devices[HOLDERS[0]]
    certificate = world.certificates[HOLDERS[0]]
    clerk = get_user_model().objects.get(username=CLERK)
    from django.utils import timezone

    handover_notice_create(
        agency=world.finance, devices=[device], acknowledged={device.pk},
        handed_on=timezone.localdate(), by=clerk,
    )  # fmt: skip

    page = as_user(CLERK)
    page.goto(f"{live_server.url}/thiet-bi/")
    page.locator(f'[data-device="{device.serial}"]').get_by_role("link", name=device.serial).click()
    expect(page.locator("h1")).to_contain_text(device.serial)
    screenshot(page, "devices-detail-handed")
    page.get_by_role("link", name="Báo mất thiết bị (Mẫu 09)").click()
    expect(page.locator("h1")).to_have_text("Báo mất thiết bị (Mẫu 09)")
    page.get_by_label("Đại diện cơ quan (họ và tên)").fill("Nguyễn Thị Thu Hà")
    page.get_by_label("Chức vụ người đại diện").fill("Chánh Văn phòng")
    page.get_by_label("Ngày thất lạc (khi nào)").fill("19/11/2026")
    page.get_by_label("Giờ thất lạc").fill("08:30")
    page.get_by_label("Nơi thất lạc (ở đâu)").fill("Bến xe khách tỉnh Lai Châu")
    page.get_by_label("Hoàn cảnh thất lạc (như thế nào)").fill(
        "Thuê bao để quên túi đựng thiết bị trên xe khách tuyến Lai Châu – Điện Biên."
    )
    screenshot(page, "devices-loss-form")
    page.get_by_role("button", name="Lập biên bản Mẫu 09 và báo mất").click()

    page.wait_for_url(re.compile(r".*/van-ban/\d+/"))
    expect(page.locator(".messages")).to_contain_text("Đã lập biên bản Mẫu 09")
    expect(page.locator("body")).to_contain_text(certificate.serial)
    screenshot(page, "devices-loss-mau-05-draft")
    letter = CertRequest.objects.get(form=FormKind.REVOKE)
    assert letter.status == Status.DRAFT
    assert letter.rows.get().revoke_reason == RevocationReason.DEVICE_LOST
    report = LossReport.objects.get()
    assert report.revocation_request_id == letter.pk
    assert Device.objects.get(pk=device.pk).status == DeviceStatus.LOST

    page.goto(f"{live_server.url}/thiet-bi/mau-09/{report.pk}/")
    document = page.locator('[data-document="mau-09"]')
    expect(document).to_contain_text("Bến xe khách tỉnh Lai Châu")
    expect(document).to_contain_text("19/11/2026")
    expect(document).to_contain_text("08:30")
    expect(document).to_contain_text("Nguyễn Thị Thu Hà")
    screenshot(page, "devices-mau-09")


def test_the_clerk_returns_a_device_in_mau_08_and_the_ca_confirms(
    world, as_user, live_server, screenshot
):
    from django.utils import timezone

    from devices.choices import ReturnReason
    from devices.models import ReturnMinutes
    from devices.services import device_return_obligation_open, handover_notice_create

    clerk = get_user_model().objects.get(username=CLERK)
    devices = list(world.devices.values())
    handover_notice_create(
        agency=world.finance, devices=devices, acknowledged={d.pk for d in devices},
        handed_on=timezone.localdate(), by=clerk,
    )  # fmt: skip
    for name, device in world.devices.items():
        device_return_obligation_open(
            device=device, reason=ReturnReason.REVOKED, notified_on=timezone.localdate(),
            by=None, certificate_serial=world.certificates[name].serial,
        )  # fmt: skip

    page = as_user(CLERK)
    page.goto(f"{live_server.url}/thiet-bi/thu-hoi/")
    expect(page.locator("[data-obligation]")).to_have_count(2)
    screenshot(page, "devices-returns")
    page.get_by_role("link", name="Lập biên bản Mẫu 08").first.click()
    page.get_by_label("Đại diện bên giao", exact=True).fill("Nguyễn Thị Thu Hà")
    page.get_by_label("Chức vụ người đại diện bên giao").fill("Chánh Văn phòng")
    for device in devices:
        page.get_by_label(f"Bàn giao lại thiết bị {device.serial}").check()
    screenshot(page, "devices-mau-08-form")
    page.get_by_role("button", name="Lập biên bản Mẫu 08").click()
    page.wait_for_url(re.compile(r".*/thiet-bi/mau-08/\d+/$"))
    expect(page.locator("[data-signing]")).to_contain_text("Chờ lãnh đạo bên giao ký số")
    expect(page.locator('[data-document="mau-08"]')).to_contain_text(
        "Số lượng: 02 (bằng chữ: hai) thiết bị"
    )
    screenshot(page, "devices-mau-08")
    minutes = ReturnMinutes.objects.get()

    # The head signs first (the agency's side), then the CA signs, which confirms the receipt.
    head_page = as_user(HEAD)
    head_page.goto(f"{live_server.url}/thiet-bi/mau-08/{minutes.pk}/")
    expect(head_page.locator("[data-desk-signing] [data-desk-sign]")).to_be_visible()
    off_the_browser_loop(lambda: agency_signs(minutes, account(HEAD)))
    head_page.reload()
    expect(head_page.locator('[data-verification="valid"]')).to_have_text("2 chữ ký hợp lệ")

    ca_page = as_user(CA)
    ca_page.goto(f"{live_server.url}/thiet-bi/mau-08/{minutes.pk}/")
    expect(ca_page.locator("[data-countersign]")).to_be_visible()
    expect(ca_page.locator("[data-desk-signing] [data-desk-sign]")).to_be_visible()
    off_the_browser_loop(lambda: receiver_signs(minutes, account(CA)))
    ca_page.reload()
    expect(ca_page.locator('[data-verification="valid"]')).to_have_text("3 chữ ký hợp lệ")
    expect(ca_page.locator('[data-confirmed="true"]')).to_be_visible()
    expect(ca_page.locator('[data-document="mau-08"]')).to_contain_text("Vũ Đức Thắng")
    screenshot(ca_page, "devices-mau-08-confirmed")
    assert set(
        Device.objects.filter(pk__in=[d.pk for d in devices]).values_list("status", flat=True)
    ) == {DeviceStatus.RETURNED_TO_CA}


def account(username: str):
    return get_user_model().objects.get(username=username)
