"""The drafting rules of requests_app/rules.py called one at a time, on unsaved rows and
certificates: each boundary (docs/domain.md §5) one value either side, each message exactly."""

from datetime import timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from agencies.models import Organization
from certificates.models import Certificate
from requests_app import rules
from requests_app.choices import FormKind
from requests_app.models import CertRequest, RequestRow

HOME = Organization(pk=7001, name="Sở Tài chính", path="/7001/")
BELOW = Organization(pk=7002, name="Phòng Ngân sách", path="/7001/7002/")
ELSEWHERE = Organization(pk=7003, name="Sở Y tế", path="/7003/")

RENEWABLE = (
    "Người này đang có chứng thư {serial} còn hiệu lực (còn {left} ngày): "
    "không cấp mới; hãy đề nghị gia hạn hoặc thay đổi thông tin (Mẫu 04)."
)
HELD_ELSEWHERE = (
    "Người này đang có chứng thư còn hiệu lực do cơ quan khác quản lý: "
    "không cấp mới; nếu chuyển công tác đến, hãy đề nghị thay đổi "
    "thông tin (Mẫu 04, chuyển cơ quan công tác)."
)


def cert(serial, days_left, agency=HOME, pk=None):
    return Certificate(
        pk=pk,
        serial=serial,
        agency=agency,
        not_after=timezone.now() + timedelta(days=days_left, hours=1),
    )


def row(form=FormKind.ISSUE_PERSON, agency=HOME, **fields):
    return RequestRow(cert_request=CertRequest(form=form, agency=agency), **fields)


def refused(held, agency=HOME):
    errors = {"national_id": []}
    rules._refuse_if_renewable(
        row(agency=agency), errors, held, field="national_id", whose="Người này"
    )
    return errors["national_id"]


# _refuse_if_renewable: PORTAL_RENEW_MIN_DAYS_LEFT days left is still renewable (§5.8).


def test_a_certificate_with_exactly_the_minimum_left_is_named_with_its_link():
    minimum = settings.PORTAL_RENEW_MIN_DAYS_LEFT
    [message] = refused([cert("5401AA", minimum)])
    assert str(message) == RENEWABLE.format(serial="5401AA", left=minimum)
    assert message.code == "renewable_here"
    assert message.params == {"whose": "Người này", "serial": "5401AA", "left": minimum}
    assert message.links == {"serial": reverse("certificates:detail", args=["5401AA"])}
    assert 'href="' + reverse("certificates:detail", args=["5401AA"]) in message.__html__()


def test_a_certificate_a_day_under_the_minimum_refuses_nothing():
    assert refused([cert("5401AB", settings.PORTAL_RENEW_MIN_DAYS_LEFT - 1)]) == []


def test_a_certificate_under_the_minimum_does_not_hide_a_renewable_one_after_it():
    minimum = settings.PORTAL_RENEW_MIN_DAYS_LEFT
    [message] = refused([cert("5401AC", minimum - 1), cert("5401AD", minimum + 5)])
    assert str(message) == RENEWABLE.format(serial="5401AD", left=minimum + 5)


def test_only_the_first_renewable_certificate_is_named():
    minimum = settings.PORTAL_RENEW_MIN_DAYS_LEFT
    [message] = refused([cert("5401AE", minimum), cert("5401AF", minimum + 9)])
    assert str(message) == RENEWABLE.format(serial="5401AE", left=minimum)


def test_a_certificate_of_a_unit_below_the_letter_agency_is_named():
    [message] = refused([cert("5401AG", 200, agency=BELOW)])
    assert message.code == "renewable_here"


def test_a_certificate_of_another_agency_is_not_named():
    assert refused([cert("5401AH", 200, agency=ELSEWHERE)]) == [HELD_ELSEWHERE]
    assert refused([cert("5401AI", 200)], agency=ELSEWHERE) == [HELD_ELSEWHERE]
