"""The head of agency A, whose personal certificate and agency seal are both kept in the CA's
HSM (docs/remote-signing.md, "Signing in the portal"), signs and issues a Mẫu 01 in a real
Chromium: "Ký" on the letter's page opens the portal's authorisation page, which shows the
document, its number and the short hash; a wrong signing PIN first (told in Vietnamese,
nothing signed), then the PIN and the code of the authenticator app; then the seal the same
way. The letter goes to the Sở KH&CN and pdfsig reports both signatures valid.

Screenshots: var/screenshots/remote-signing-1-authorise.png, remote-signing-2-pin-incorrect.png
and remote-signing-3-issued.png.
"""

import re

import pytest
from playwright.sync_api import expect

from requests_app.choices import FormKind, Status
from tests.browser.walks import sent_with_signature_and_seal, sign_in_as_head
from tests.remote_signing.world import PIN, remote_head
from tests.requests_app.signed_letters import issued_external

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def authorisation_popup(page):
    """Click the letter's sign button and wait for the portal's authorisation page."""
    with page.context.expect_page() as opened:
        page.locator("[data-desk-sign]").click()
    popup = opened.value
    popup.wait_for_url("**/ky-so-tap-trung/**")
    return popup


def authorise(popup, pin: str, code: str, button: str) -> None:
    popup.get_by_label("Mã PIN ký số").fill(pin)
    popup.get_by_label("Mã xác thực trên ứng dụng xác thực (6 chữ số)").fill(code)
    popup.get_by_role("button", name=button, exact=True).click()


def test_the_rssp_head_signs_and_seals_a_mau_01_with_pin_and_authenticator_code(
    cast, ca, page, live_server, screenshot, tmp_path
):
    head, seal = remote_head(cast)
    letter = issued_external(cast, form=FormKind.ISSUE_PERSON)
    sign_in_as_head(page, live_server)
    page.goto(f"{live_server.url}/van-ban/{letter.pk}/")
    status = page.locator("[data-desk-status]")

    popup = authorisation_popup(page)
    expect(popup.locator("[data-signing-what]")).to_contain_text(letter.number)
    expect(popup.locator("[data-short-hash]")).to_have_text(
        re.compile(r"^[0-9A-F]{4}( [0-9A-F]{4}){3}$")
    )
    screenshot(popup, "remote-signing-1-authorise")
    authorise(popup, "135791", head.code(), "Ký")
    expect(popup.locator("[data-refusal]")).to_contain_text("Mã PIN không đúng")
    screenshot(popup, "remote-signing-2-pin-incorrect")
    letter.refresh_from_db()
    assert letter.status == Status.ISSUED

    authorise(popup, PIN, head.code(), "Ký")
    expect(status).to_contain_text("đóng dấu số của cơ quan")
    expect(page.locator("[data-desk-sign]")).to_have_text("Đóng dấu số của cơ quan")

    popup = authorisation_popup(page)
    expect(popup.locator("h1")).to_have_text("Xác nhận đóng dấu số tập trung")
    authorise(popup, PIN, seal.code(), "Đóng dấu")
    sent_with_signature_and_seal(
        page, live_server, letter, ca, tmp_path,
        signer="Trần Thị Ánh Dương", agency=cast.agency_a.name,
    )  # fmt: skip
    expect(page.locator(".messages")).to_contain_text("Đã ký số, đóng dấu số")
    screenshot(page, "remote-signing-3-issued")
