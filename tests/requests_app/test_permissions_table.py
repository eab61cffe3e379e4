"""Who may take which action on a letter (requests_app/permissions.py), read from the
lifecycle table (docs/architecture.md §3): per status and form, the exact actions each person
is offered; the drafter excluded where the table says so; who processes a letter decided by
its form (docs/domain.md §4); a right lost to someone acting first is `Overtaken`, a right
never held a 403."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from requests_app.choices import FormKind, Status
from requests_app.lifecycle import ACTIONS
from requests_app.models import CertRequest
from requests_app.permissions import Overtaken, allowed_actions, require

pytestmark = pytest.mark.django_db


def letter_at(cast, status, form=FormKind.ISSUE_PERSON, by=None):
    return CertRequest.objects.create(
        agency=cast.agency_a, form=form, status=status, created_by=by or cast.clerk_a
    )


def offered(cast, cert_request):
    people = ("clerk_a", "head_a", "clerk_b", "officer_1", "officer_2", "ca_operator")
    return {name: allowed_actions(getattr(cast, name), cert_request) for name in people}


NOBODY = {
    "clerk_a": set(),
    "head_a": set(),
    "clerk_b": set(),
    "officer_1": set(),
    "officer_2": set(),
    "ca_operator": set(),
}


def test_the_agency_drafts_and_its_head_issues(cast):
    assert offered(cast, letter_at(cast, Status.DRAFT)) == {
        **NOBODY,
        "clerk_a": {"edit", "submit", "cancel"},
    }
    assert offered(cast, letter_at(cast, Status.AWAITING_HEAD)) == {
        **NOBODY,
        "clerk_a": {"cancel"},
        "head_a": {"issue", "send_back"},
    }
    assert offered(cast, letter_at(cast, Status.ISSUED)) == {
        **NOBODY,
        "head_a": {"send_back", "upload_signed"},
    }
    assert allowed_actions(AnonymousUser(), letter_at(cast, Status.DRAFT)) == set()


def test_the_head_who_drafted_the_letter_may_not_issue_it(cast):
    own = letter_at(cast, Status.AWAITING_HEAD, by=cast.head_a)

    assert offered(cast, own) == {**NOBODY, "clerk_a": {"cancel"}}


def test_the_province_forwards_what_the_ca_processes_and_processes_a_renewal_itself(cast):
    assert offered(cast, letter_at(cast, Status.PROVINCE_REVIEW)) == {
        **NOBODY,
        "officer_1": {"decide_rows", "forward", "return", "refuse"},
    }
    assert offered(cast, letter_at(cast, Status.FORWARDED)) == {
        **NOBODY,
        "ca_operator": {"decide_rows", "process", "return", "refuse"},
    }
    renewal = letter_at(cast, Status.PROVINCE_REVIEW, form=FormKind.RENEW_CHANGE)
    assert offered(cast, renewal) == {
        **NOBODY,
        "officer_1": {"decide_rows", "process", "return", "refuse"},
    }


def test_a_failed_letter_is_retried_by_whoever_processes_it(cast):
    issue = letter_at(cast, Status.PROCESSING_FAILED)
    renewal = letter_at(cast, Status.PROCESSING_FAILED, form=FormKind.RENEW_CHANGE)

    assert offered(cast, issue) == {**NOBODY, "ca_operator": {"retry"}}
    assert offered(cast, renewal) == {**NOBODY, "officer_1": {"retry"}}


def test_require_returns_the_action_overtaken_when_it_moved_on_and_403_otherwise(cast):
    waiting = letter_at(cast, Status.AWAITING_HEAD)
    assert require(cast.head_a, "issue", waiting) is ACTIONS["issue"]

    issued = letter_at(cast, Status.ISSUED)
    with pytest.raises(Overtaken) as exc:
        require(cast.head_a, "issue", issued)
    assert exc.value.code == "stale_status"
    assert exc.value.message == (
        "Văn bản đã được xử lý hoặc đã chuyển sang bước khác: hiện ở trạng thái “Đã ban hành”."
    )

    with pytest.raises(PermissionDenied):
        require(cast.clerk_b, "issue", waiting)
    with pytest.raises(PermissionDenied):
        require(cast.head_a, "forward", issued)
