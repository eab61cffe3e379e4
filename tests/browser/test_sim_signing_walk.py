"""The head of agency A, whose personal certificate and agency seal are each on a SIM PKI
(docs/remote-signing.md, "SIM PKI"), signs and issues a Mẫu 01 in a real Chromium: "Ký" on the
letter's page opens the portal's window, which shows the document, its number, the short hash
and the masked number, and sends the request to the SIM; on the phone's page (a second tab)
the request shows the letter's number and the same hash; a wrong SIM PIN first (told in
Vietnamese, nothing signed), then the right one; then the seal the same way. The letter goes to
the Sở KH&CN and pdfsig reports both signatures valid.

Screenshots: var/screenshots/sim-signing-1-send.png, sim-signing-2-phone.png,
sim-signing-3-pin-incorrect.png and sim-signing-4-issued.png.
"""

import pytest
from playwright.sync_api import expect

from requests_app.choices import FormKind, Status
from tests.browser.walks import sent_with_signature_and_seal, sign_in_as_head
from tests.remote_signing.world import sim_head
from tests.requests_app.signed_letters import issued_external

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sent_to_the_phone(page):
    """Click the letter's sign button, then "send to my phone" in the window it opens."""
    with page.context.expect_page() as opened:
        page.locator("[data-desk-sign]").click()
    popup = opened.value
    popup.wait_for_url("**/ky-so-tap-trung/**")
    popup.get_by_role("button", name="Gửi yêu cầu ký tới điện thoại").click()
    expect(popup.locator("[data-sent]")).to_contain_text("Đã gửi yêu cầu ký tới SIM")
    return popup


def test_the_sim_head_signs_and_seals_a_mau_01_on_the_phone(
    cast, ca, settings, page, live_server, screenshot, tmp_path
):
    head, seal = sim_head(cast, settings)
    letter = issued_external(cast, form=FormKind.ISSUE_PERSON)
    sign_in_as_head(page, live_server)
    page.goto(f"{live_server.url}/van-ban/{letter.pk}/")
    status = page.locator("[data-desk-status]")

    popup = sent_to_the_phone(page)
    expect(popup.locator("[data-signing-what]")).to_contain_text(letter.number)
    expect(popup.locator("[data-signing-what]")).to_contain_text("091****001")
    short_hash = popup.locator("[data-short-hash]").inner_text()
    screenshot(popup, "sim-signing-1-send")

    phone = page.context.new_page()
    phone.goto(f"{live_server.url}/dien-thoai-ky-so/")
    request = phone.locator("[data-request]")
    expect(request.locator("[data-display]")).to_contain_text(letter.number)
    expect(request.locator("[data-short-hash]")).to_have_text(short_hash)
    screenshot(phone, "sim-signing-2-phone")
    request.get_by_label("Mã PIN của SIM").fill(head.wrong_pin)
    request.get_by_role("button", name="Ký", exact=True).click()
    expect(phone.locator(".messages")).to_contain_text("Mã PIN của SIM không đúng")
    screenshot(phone, "sim-signing-3-pin-incorrect")
    letter.refresh_from_db()
    assert letter.status == Status.ISSUED

    request.get_by_label("Mã PIN của SIM").fill(head.pin)
    request.get_by_role("button", name="Ký", exact=True).click()
    expect(phone.locator(".messages")).to_contain_text("Đã ký")
    expect(status).to_contain_text("đóng dấu số của cơ quan")
    expect(page.locator("[data-desk-sign]")).to_have_text("Đóng dấu số của cơ quan")

    page.bring_to_front()
    popup = sent_to_the_phone(page)
    expect(popup.locator("h1")).to_have_text("Đóng dấu số bằng SIM PKI")
    phone.goto(f"{live_server.url}/dien-thoai-ky-so/")
    phone.locator("[data-request]").get_by_label("Mã PIN của SIM").fill(seal.pin)
    phone.locator("[data-request]").get_by_role("button", name="Ký", exact=True).click()
    sent_with_signature_and_seal(
        page, live_server, letter, ca, tmp_path, signer="Lê Văn Bình", agency=cast.agency_a.name
    )
    expect(page.locator(".messages")).to_contain_text("Đã ký số, đóng dấu số")
    screenshot(page, "sim-signing-4-issued")
