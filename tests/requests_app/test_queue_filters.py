"""The Sở KH&CN inbox's filters, on one mixed inbox built once for the module (tests/cast.py):
letters of two agencies, of three forms, overdue and not, one in process."""

import pytest

from requests_app import services
from requests_app.choices import FormKind, Status
from tests import factories as f
from tests.cast import forget_cached_scopes, module_cast
from tests.helpers import sign_in
from tests.requests_app.inbox import INBOX, due_in, listed
from tests.requests_app.letters import draft, issue_signed, letter_at

pytestmark = pytest.mark.django_db


cast = module_cast()


@pytest.fixture(scope="module")
def mixed(cast):
    """The province's inbox with four letters of every kind, built once for the module."""
    head_b = f.UserFactory(username="head_b")
    f.MembershipFactory(user=head_b, role="agency_head", organization=cast.agency_b)
    person = due_in(letter_at(cast, Status.PROVINCE_REVIEW), -1)
    renewal = due_in(letter_at(cast, Status.PROVINCE_REVIEW, FormKind.RENEW_CHANGE), 2)
    of_b = draft(cast, by=cast.clerk_b, agency=cast.agency_b)
    services.cert_request_submit(cert_request=of_b, by=cast.clerk_b)
    issue_signed(cast, of_b, by=head_b)
    due_in(of_b, 1)
    recovery = letter_at(cast, Status.PROVINCE_REVIEW, FormKind.RECOVER_DEVICE, accepted=True)
    services.cert_request_process(cert_request=recovery, by=cast.officer_1)
    due_in(recovery, 0)
    return {"person": person, "renewal": renewal, "of_b": of_b, "recovery": recovery}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["person", "recovery", "of_b", "renewal"]),
        ({"form": FormKind.RENEW_CHANGE}, ["renewal"]),
        ({"form": FormKind.ISSUE_PERSON}, ["person", "of_b"]),
        ({"overdue": "yes"}, ["person"]),
        ({"overdue": "no"}, ["recovery", "of_b", "renewal"]),
        ({"status": Status.IN_PROCESS}, ["recovery"]),
        ({"status": Status.PROVINCE_REVIEW, "form": FormKind.ISSUE_PERSON}, ["person", "of_b"]),
        ({"agency": "B"}, ["of_b"]),
    ],
)
def test_the_inbox_filters(cast, mixed, db, client, query, expected):
    forget_cached_scopes(cast)
    if query.get("agency") == "B":
        query = {"agency": cast.agency_b.pk}
    sign_in(client, cast.officer_1)
    response = client.get(INBOX, query)
    assert listed(response) == [mixed[name].pk for name in expected]


def test_the_agency_filter_offers_only_agencies_in_the_queue(cast, mixed, db, client):
    forget_cached_scopes(cast)
    sign_in(client, cast.officer_1)
    field = client.get(INBOX).context["filter"].form.fields["agency"]
    assert set(field.queryset) == {cast.agency_a, cast.agency_b}
    assert cast.agency_c not in field.queryset
