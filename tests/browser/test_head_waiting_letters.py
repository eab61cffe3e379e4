"""In a real browser: the agency head logs in, sees the letters waiting for their signature
with the unread count in the navigation, and opens one from the dashboard."""

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from agencies.demo import load_demo
from agencies.models import Organization
from requests_app import services
from requests_app.choices import FormKind
from tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CLERK, HEAD = "canbo.stc", "lanhdao.stc"


def test_the_head_sees_the_letters_waiting_and_opens_one_from_the_dashboard(as_user, live_server):
    load_demo()
    users = get_user_model().objects
    clerk = users.get(username=CLERK)
    finance = Organization.objects.get(name="Sở Tài chính tỉnh Lai Châu")
    letters = []
    for subject in ("Cấp chứng thư cho Phòng Ngân sách", "Cấp chứng thư cho Văn phòng Sở"):
        letter = services.cert_request_create(
            agency=finance,
            form=FormKind.ISSUE_PERSON,
            by=clerk,
            subject=subject,
            **f.LETTER_CONTACT,
        )
        f.letter_row_add(letter, clerk)
        services.cert_request_submit(cert_request=letter, by=clerk)
        letters.append(letter)
    head = users.get(username=HEAD)
    unread = head.notifications.filter(read_at__isnull=True, closed_at__isnull=True).count()
    assert unread >= 2

    page = as_user(HEAD)
    expect(
        page.get_by_role("navigation").get_by_role("link", name=re.compile("Thông báo"))
    ).to_contain_text(f"({unread})")
    waiting = page.locator("[data-awaiting-signature] li")
    expect(waiting).to_have_count(2)
    expect(waiting.first).to_contain_text("Phòng Ngân sách")
    waiting.first.get_by_role("link").click()
    page.wait_for_url(re.compile(rf"/van-ban/{letters[0].pk}/$"))
    expect(page.locator("body")).to_contain_text("Phòng Ngân sách")
