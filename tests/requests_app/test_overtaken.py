"""A second click after someone else moved the letter gets a clear message, not a 403;
a user who never had the right still gets a 403."""

import pytest
from django.core.exceptions import PermissionDenied

from requests_app import services
from requests_app.choices import FormKind
from requests_app.permissions import Overtaken
from tests import factories as f
from tests.requests_app.letters import CONTACT, issue_signed, person_row

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_review(cast):
    cert_request = services.cert_request_create(
        agency=cast.agency_a, form=FormKind.ISSUE_PERSON, by=cast.clerk_a, **CONTACT
    )
    services.row_save(cert_request=cert_request, by=cast.clerk_a, data=person_row())
    services.cert_request_submit(cert_request=cert_request, by=cast.clerk_a)
    issue_signed(cast, cert_request)
    return cert_request


def test_the_second_officer_to_forward_is_told_the_letter_moved_on(cast, in_review):
    from agencies.choices import Role

    other_officer = f.UserFactory(username="officer_1b")
    f.MembershipFactory(
        user=other_officer, role=Role.PROVINCIAL_OFFICER, organization=cast.office_1
    )
    stale_copy = type(in_review).objects.get(pk=in_review.pk)
    services.cert_request_forward(cert_request=in_review, by=cast.officer_1)
    stale_copy.refresh_from_db()
    with pytest.raises(Overtaken) as exc:
        services.cert_request_forward(cert_request=stale_copy, by=other_officer)
    assert "đã chuyển sang bước khác" in exc.value.message


def test_a_user_who_never_had_the_right_gets_permission_denied(cast, in_review):
    with pytest.raises(PermissionDenied):
        services.cert_request_forward(cert_request=in_review, by=cast.officer_2)
    with pytest.raises(PermissionDenied):
        services.cert_request_forward(cert_request=in_review, by=cast.clerk_a)


def test_a_letter_issued_again_after_a_return_gets_the_next_number(cast, in_review):
    first_number = in_review.number
    services.cert_request_return(cert_request=in_review, by=cast.officer_1, note="Sửa chức vụ")
    services.cert_request_submit(cert_request=in_review, by=cast.clerk_a)
    issue_signed(cast, in_review)
    other = services.cert_request_create(
        agency=cast.agency_a, form=FormKind.ISSUE_PERSON, by=cast.clerk_a, **CONTACT
    )
    services.row_save(
        cert_request=other, by=cast.clerk_a, data=person_row(national_id="012190009999")
    )
    services.cert_request_submit(cert_request=other, by=cast.clerk_a)
    issue_signed(cast, other)
    numbers = [first_number, in_review.number, other.number]
    assert [n.split("/")[0] for n in numbers] == ["1", "2", "3"]


def test_the_clerk_is_told_their_letter_was_returned_for_correction(cast, in_review):
    from portal.models import Notification

    services.cert_request_return(cert_request=in_review, by=cast.officer_1, note="Sửa chức vụ")
    message = Notification.objects.filter(user=cast.clerk_a).latest("pk").message
    assert "Trả lại để sửa" in message and "Sửa chức vụ" in message
