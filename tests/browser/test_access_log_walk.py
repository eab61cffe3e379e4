"""The access log in a real browser (docs/privacy.md §access log): the data protection officer
goes from the privacy home page to the log, searches it by a subject's ID number and opens one
access; the subscriber goes from their account page to the accesses to their own data. Both
pages pass the axe audit; screenshots go to var/screenshots/."""

import pytest
from django.contrib.auth import get_user_model

from agencies.demo import load_demo
from agencies.models import Person
from privacy.access import Subject, personal_data_access_record
from privacy.choices import AccessChannel
from privacy.masking import mask_id

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_officer_searches_the_log_and_the_subscriber_reads_their_own(
    as_user, live_server, screenshot
):
    load_demo()
    users = get_user_model().objects
    subscriber = Person.objects.get(user__username="thuebao")
    other = Person.objects.exclude(pk=subscriber.pk).exclude(national_id_index="").first()
    for by, person, reason in (
        ("so.khcn", subscriber, "Thẩm định đề nghị cấp chứng thư"),
        ("canbo.stc", other, "Đối chiếu danh sách cán bộ"),
    ):
        personal_data_access_record(
            by=users.get(username=by),
            channel=AccessChannel.REVEAL,
            subjects=[Subject.of(person)],
            fields=["agencies.Person.national_id", "agencies.Person.date_of_birth"],
            reason=reason,
            obj=person,
        )

    officer = as_user("baove.dlcn")
    officer.goto(f"{live_server.url}/bao-ve-du-lieu/")
    officer.get_by_role("link", name="Nhật ký truy cập dữ liệu cá nhân").click()
    results = officer.locator("#ket-qua")
    assert results.get_by_text("Đối chiếu danh sách cán bộ").is_visible()
    officer.get_by_label("Số định danh của chủ thể").fill(subscriber.national_id)
    officer.get_by_role("button", name="Lọc").click()
    results.get_by_text("Đối chiếu danh sách cán bộ").wait_for(state="detached")
    assert results.get_by_text("Thẩm định đề nghị cấp chứng thư").is_visible()
    screenshot(officer, "access-log-search")
    results.get_by_role("link").first.click()
    officer.get_by_role("heading", name="Chủ thể dữ liệu").wait_for()
    assert officer.get_by_text(mask_id(subscriber.national_id)).is_visible()
    assert subscriber.national_id not in officer.content()
    screenshot(officer, "access-log-detail")

    own = as_user("thuebao")
    own.goto(f"{live_server.url}/tai-khoan/")
    own.get_by_role("link", name="Ai đã truy cập dữ liệu cá nhân của tôi").click()
    assert own.get_by_text("Thẩm định đề nghị cấp chứng thư").is_visible()
    assert not own.get_by_text("Đối chiếu danh sách cán bộ").count()
    screenshot(own, "access-log-own")
