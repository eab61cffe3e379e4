"""The demo's remote-signing head (remote_signing/demo.py, README "Remote signing"): in a real
Chromium, `lanhdao.sxd.dn` signs and seals a Mẫu 01 of the Đà Nẵng construction department
at "Ký" with the demo PIN and a code of the published authenticator secret, as the README
tells a visitor of `make run` to; pdfsig reports both signatures valid.

Screenshot: var/screenshots/demo-remote-head-issued.png.
"""

from base64 import b32decode

import pytest
from django.contrib.auth import get_user_model
from django_otp.oath import TOTP
from playwright.sync_api import expect

from agencies.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET, load_demo
from devices.services import DEMO_PIN
from remote_signing.demo import DEMO_REMOTE_HEAD, demo_remote_head
from requests_app import services
from requests_app.choices import FormKind, Status
from tests.browser.walks import sent_with_signature_and_seal, sign_in_with
from tests.requests_app.letters import CONTACT, person_row

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _code() -> str:
    return f"{TOTP(b32decode(DEMO_TOTP_SECRET)).token():06d}"


def _issued_letter(head):
    """A Mẫu 01 of the head's department drafted by its demo clerk, issued by the head and
    rendered as the worker does: waiting for the head's signature."""
    clerk = get_user_model().objects.get(username="canbo.sxd.dn")
    agency = head.organization
    letter = services.cert_request_create(
        agency=agency, form=FormKind.ISSUE_PERSON, by=clerk, **CONTACT
    )
    services.row_save(
        cert_request=letter, by=clerk,
        data=person_row(province_name="Đà Nẵng", work_agency=agency.name),
    )  # fmt: skip
    services.cert_request_submit(cert_request=letter, by=clerk)
    services.cert_request_issue(cert_request=letter, by=head.user)
    assert services.letter_document_render(cert_request_id=letter.pk) is not None
    letter.refresh_from_db()
    return letter


def _authorise(page, button: str) -> None:
    with page.context.expect_page() as opened:
        page.locator("[data-desk-sign]").click()
    popup = opened.value
    popup.wait_for_url("**/ky-so-tap-trung/**")
    popup.get_by_label("Mã PIN ký số").fill(DEMO_PIN)
    popup.get_by_label("Mã xác thực trên ứng dụng xác thực (6 chữ số)").fill(_code())
    popup.get_by_role("button", name=button, exact=True).click()


def test_the_demo_remote_head_signs_and_seals_with_the_readmes_pin_and_secret(
    ca, page, live_server, screenshot, tmp_path
):
    load_demo()
    head = demo_remote_head()
    letter = _issued_letter(head)
    assert letter.status == Status.ISSUED

    sign_in_with(page, live_server, DEMO_REMOTE_HEAD, DEMO_PASSWORD)
    page.goto(f"{live_server.url}/van-ban/{letter.pk}/")

    _authorise(page, "Ký")
    expect(page.locator("[data-desk-sign]")).to_have_text("Đóng dấu số của cơ quan")
    _authorise(page, "Đóng dấu")
    sent_with_signature_and_seal(
        page, live_server, letter, ca, tmp_path,
        signer="Nguyễn Văn Thành", agency=head.organization.name,
    )  # fmt: skip
    screenshot(page, "demo-remote-head-issued")
