"""Permission matrix of every review page and action (docs/architecture.md §2.13).

Personas: anonymous, the clerk and the head of agency A (the letter's agency), the clerk of
agency B (same province) and of agency C (another province), the Sở KH&CN officer of the
province and of another province, the CA operator and a subscriber.

Expected answers: LOGIN (302 to the login page), 200, 403 (in scope, not allowed), 404 (out of
scope), OK (302 back to the letter, which moved), STALE (302 back to the letter, unmoved, with
a message saying the letter has moved on: the user holds the right at another step).
"""

import pytest
from django.urls import reverse
from django.utils import timezone

from agencies.choices import Role
from certificates.choices import CertStatus
from requests_app import services
from requests_app.choices import FormKind, Outcome, Status
from requests_app.models import CertRequest
from requests_app.permissions import allowed_actions
from tests import factories as f
from tests.cast import forget_cached_scopes, module_cast
from tests.helpers import PERSONAS, sign_in
from tests.requests_app.letters import (
    draft,
    issue_signed,
    letter_at,
    page_messages,
    post_action,
    signing_ready,
)

pytestmark = pytest.mark.django_db

LOGIN, OK, STALE = "login", "ok", "stale"
F = FormKind
# The letters the matrices start from, (stage, form, rows accepted first): built and signed
# once for the module (tests/cast.py), each test reading its own copy.
SHARED = [
    (Status.DRAFT, F.ISSUE_PERSON, False),
    (Status.AWAITING_HEAD, F.ISSUE_PERSON, False),
    (Status.PROVINCE_REVIEW, F.ISSUE_PERSON, False),
    (Status.PROVINCE_REVIEW, F.REVOKE, False),
    (Status.PROVINCE_REVIEW, F.RENEW_CHANGE, False),
    (Status.PROVINCE_REVIEW, F.RENEW_CHANGE, True),
    (Status.PROVINCE_REVIEW, F.RECOVER_DEVICE, True),
    (Status.FORWARDED, F.ISSUE_PERSON, False),
    (Status.FORWARDED, F.ISSUE_PERSON, True),
    (Status.FORWARDED, F.REVOKE, False),
    (Status.FORWARDED, F.REVOKE, True),
]


cast = module_cast()


@pytest.fixture(scope="module")
def letters(cast):
    """The SHARED letters by (stage, form, accepted)."""
    return {key: letter_at(cast, key[0], key[1], accepted=key[2]).pk for key in SHARED}


@pytest.fixture
def shared(cast, letters, db):
    """A fresh copy of a SHARED letter, as the database holds it for this test."""
    forget_cached_scopes(cast)

    def letter(stage, form=F.ISSUE_PERSON, *, accepted=False):
        return CertRequest.objects.get(pk=letters[(stage, form, accepted)])

    return letter


OUTSIDERS = {"clerk_b": 404, "clerk_c": 404, "officer_2": 404, "subscriber_user": 404}


def _client(client, cast, persona):
    if persona != "anonymous":
        sign_in(client, getattr(cast, persona))
    return client


def _is_login_redirect(response) -> bool:
    return response.status_code == 302 and response.url.startswith(reverse("login"))


# --- pages ---------------------------------------------------------------------------------
DETAIL_MATRIX = {
    Status.DRAFT: {
        "anonymous": LOGIN,
        "clerk_a": 200,
        "head_a": 200,
        "officer_1": 404,  # an agency's unsent draft is its own business
        "ca_operator": 404,
        **OUTSIDERS,
    },
    Status.PROVINCE_REVIEW: {
        "anonymous": LOGIN,
        "clerk_a": 200,
        "head_a": 200,
        "officer_1": 200,
        "ca_operator": 404,  # not forwarded to the CA
        **OUTSIDERS,
    },
    Status.FORWARDED: {
        "anonymous": LOGIN,
        "clerk_a": 200,
        "head_a": 200,
        "officer_1": 200,
        "ca_operator": 200,
        **OUTSIDERS,
    },
}


@pytest.mark.parametrize("page", ["detail", "progress"])
@pytest.mark.parametrize("stage", list(DETAIL_MATRIX))
@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_read_a_letter(cast, shared, client, page, stage, persona):
    cert_request = shared(stage)
    response = _client(client, cast, persona).get(
        reverse(f"requests_app:{page}", args=[cert_request.pk])
    )
    expected = DETAIL_MATRIX[stage][persona]
    if expected == LOGIN:
        assert _is_login_redirect(response)
    else:
        assert response.status_code == expected


QUEUE_MATRIX = {
    "province_inbox": {
        "anonymous": LOGIN,
        "clerk_a": 403,
        "head_a": 403,
        "clerk_b": 403,
        "clerk_c": 403,
        "officer_1": 200,
        "officer_2": 200,
        "ca_operator": 403,
        "subscriber_user": 403,
    },
    "ca_queue": {
        "anonymous": LOGIN,
        "clerk_a": 403,
        "head_a": 403,
        "clerk_b": 403,
        "clerk_c": 403,
        "officer_1": 403,
        "officer_2": 403,
        "ca_operator": 200,
        "subscriber_user": 403,
    },
}


@pytest.mark.parametrize("queue", list(QUEUE_MATRIX))
@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_open_a_queue(cast, client, queue, persona):
    response = _client(client, cast, persona).get(reverse(f"requests_app:{queue}"))
    expected = QUEUE_MATRIX[queue][persona]
    if expected == LOGIN:
        assert _is_login_redirect(response)
    else:
        assert response.status_code == expected


@pytest.mark.parametrize("queue", list(QUEUE_MATRIX))
@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_use_a_queue_bulk_action(cast, shared, client, queue, persona):
    cert_request = shared(Status.PROVINCE_REVIEW)
    response = _client(client, cast, persona).post(
        reverse(f"requests_app:{queue}"), {"bulk": "accept_valid", "ids": [cert_request.pk]}
    )
    expected = QUEUE_MATRIX[queue][persona]
    if expected == LOGIN:
        assert _is_login_redirect(response)
    elif expected == 200:
        assert response.status_code == 302
    else:
        assert response.status_code == expected
    accepted = cert_request.rows.filter(outcome=Outcome.ACCEPTED).exists()
    assert accepted == (queue == "province_inbox" and persona == "officer_1")


# --- actions -------------------------------------------------------------------------------
def _agency_outsiders(**extra):
    return {
        "anonymous": LOGIN,
        "clerk_b": 404,
        "clerk_c": 404,
        "officer_1": 404,
        "officer_2": 404,
        "ca_operator": 404,
        "subscriber_user": 404,
        **extra,
    }


def _province_matrix(**extra):
    return {
        "anonymous": LOGIN,
        "clerk_a": 403,
        "head_a": 403,
        "officer_1": OK,
        "ca_operator": 404,
        **OUTSIDERS,
        **extra,
    }


def _ca_matrix(**extra):
    return {
        "anonymous": LOGIN,
        "clerk_a": 403,
        "head_a": 403,
        "officer_1": STALE,  # could have acted while the letter was with the province
        "ca_operator": OK,
        **OUTSIDERS,
        **extra,
    }


# (action, stage, form, rows accepted first, POST data) -> expected answer per persona
ACTION_CASES = [
    ("submit", Status.DRAFT, FormKind.ISSUE_PERSON, False, {},
     _agency_outsiders(clerk_a=OK, head_a=403)),
    ("cancel", Status.DRAFT, FormKind.ISSUE_PERSON, False, {},
     _agency_outsiders(clerk_a=OK, head_a=403)),
    ("cancel", Status.AWAITING_HEAD, FormKind.ISSUE_PERSON, False, {},
     _agency_outsiders(clerk_a=OK, head_a=403)),
    ("issue", Status.AWAITING_HEAD, FormKind.ISSUE_PERSON, False, {"number": "9/STC"},
     _agency_outsiders(clerk_a=403, head_a=OK)),
    ("send_back", Status.AWAITING_HEAD, FormKind.ISSUE_PERSON, False, {"note": "Sửa mục 1"},
     _agency_outsiders(clerk_a=403, head_a=OK)),
    ("forward", Status.PROVINCE_REVIEW, FormKind.ISSUE_PERSON, False, {}, _province_matrix()),
    ("forward", Status.PROVINCE_REVIEW, FormKind.REVOKE, False, {}, _province_matrix()),
    ("return", Status.PROVINCE_REVIEW, FormKind.ISSUE_PERSON, False, {"note": "Sửa dòng 1"},
     _province_matrix()),
    ("refuse", Status.PROVINCE_REVIEW, FormKind.ISSUE_PERSON, False, {"note": "Không đủ"},
     _province_matrix()),
    ("accept_valid", Status.PROVINCE_REVIEW, FormKind.ISSUE_PERSON, False, {},
     _province_matrix()),
    ("process", Status.PROVINCE_REVIEW, FormKind.RENEW_CHANGE, True, {}, _province_matrix()),
    ("process", Status.PROVINCE_REVIEW, FormKind.RECOVER_DEVICE, True, {}, _province_matrix()),
    ("process", Status.FORWARDED, FormKind.ISSUE_PERSON, True, {},
     _ca_matrix(officer_1=403)),  # the province never processes an issuance
    ("process", Status.FORWARDED, FormKind.REVOKE, True, {}, _ca_matrix(officer_1=403)),
    ("return", Status.FORWARDED, FormKind.ISSUE_PERSON, False, {"note": "Ảnh mờ"}, _ca_matrix()),
    ("refuse", Status.FORWARDED, FormKind.REVOKE, False, {"note": "Sai lý do"}, _ca_matrix()),
    ("accept_valid", Status.FORWARDED, FormKind.ISSUE_PERSON, False, {}, _ca_matrix()),
]  # fmt: skip


def _moved(cert_request, action, status_before) -> bool:
    cert_request.refresh_from_db()
    if action == "accept_valid":
        return cert_request.rows.filter(outcome=Outcome.ACCEPTED).exists()
    return cert_request.status != status_before


@pytest.mark.parametrize(
    ("action", "stage", "form", "accepted", "data", "matrix"),
    ACTION_CASES,
    ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in ACTION_CASES],
)
@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_take_each_action(
    cast, shared, client, persona, action, stage, form, accepted, data, matrix
):
    cert_request = shared(stage, form, accepted=accepted)
    if action == "issue":
        signing_ready(cast)  # the head can sign: the right alone is what is tested here
    response = post_action(_client(client, cast, persona), cert_request, action, **data)
    expected = matrix[persona]

    if expected == LOGIN:
        assert _is_login_redirect(response)
    elif expected in (OK, STALE):
        assert response.status_code == 302
        assert response.url == reverse("requests_app:detail", args=[cert_request.pk])
    else:
        assert response.status_code == expected
    assert _moved(cert_request, action, stage) == (expected == OK)
    if expected == STALE:
        assert any("đã chuyển sang bước khác" in m for m in page_messages(client, cert_request))


DECIDE_CASES = [
    (Status.PROVINCE_REVIEW, _province_matrix()),
    (Status.FORWARDED, _ca_matrix()),
]


@pytest.mark.parametrize(("stage", "matrix"), DECIDE_CASES, ids=[c[0] for c in DECIDE_CASES])
@pytest.mark.parametrize("decision", ["accept", "refuse"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_decide_a_row(cast, shared, client, persona, stage, matrix, decision):
    cert_request = shared(stage)
    row = cert_request.rows.get()
    url = reverse("requests_app:row_decide", args=[cert_request.pk, row.pk])
    response = _client(client, cast, persona).post(
        url, {"decision": decision, "note": "Trùng hồ sơ"}
    )
    expected = matrix[persona]
    if expected == LOGIN:
        assert _is_login_redirect(response)
    elif expected in (OK, STALE):
        assert response.status_code == 302
    else:
        assert response.status_code == expected
    row.refresh_from_db()
    assert (row.outcome != Outcome.PENDING) == (expected == OK)


def test_a_row_of_another_letter_is_not_found(cast, shared, client):
    cert_request = shared(Status.PROVINCE_REVIEW)
    other = shared(Status.PROVINCE_REVIEW, F.REVOKE)
    sign_in(client, cast.officer_1)
    url = reverse("requests_app:row_decide", args=[cert_request.pk, other.rows.get().pk])
    assert client.post(url, {"decision": "accept"}).status_code == 404
    assert other.rows.get().outcome == Outcome.PENDING


def test_an_unknown_action_is_not_found_and_actions_need_post(cast, shared, client):
    cert_request = shared(Status.DRAFT)
    sign_in(client, cast.clerk_a)
    assert post_action(client, cert_request, "approve_everything").status_code == 404
    url = reverse("requests_app:action", args=[cert_request.pk, "submit"])
    assert client.get(url).status_code == 405
    cert_request.refresh_from_db()
    assert cert_request.status == Status.DRAFT


# --- nobody approves their own letter ------------------------------------------------------------
def test_a_clerk_who_is_also_the_head_cannot_issue_their_own_draft(cast, shared, client):
    both = f.UserFactory(username="clerk_and_head_a")
    f.MembershipFactory(user=both, role=Role.AGENCY_CLERK, organization=cast.agency_a)
    f.MembershipFactory(user=both, role=Role.AGENCY_HEAD, organization=cast.agency_a)
    own = draft(cast, by=both)
    services.cert_request_submit(cert_request=own, by=both)

    assert "issue" not in allowed_actions(both, own)
    sign_in(client, both)
    response = client.get(reverse("requests_app:detail", args=[own.pk]))
    assert reverse("requests_app:action", args=[own.pk, "issue"]) not in response.content.decode()
    assert post_action(client, own, "issue").status_code == 403
    assert post_action(client, own, "send_back", note="Tự trả lại").status_code == 403
    own.refresh_from_db()
    assert own.status == Status.AWAITING_HEAD

    # Another head of the agency may; and the same person may issue a colleague's letter.
    signing_ready(cast)
    signing_ready(cast, head=both)
    sign_in(client, cast.head_a)
    assert post_action(client, own, "issue").status_code == 302
    own.refresh_from_db()
    assert own.status == Status.ISSUED
    colleagues = shared(Status.AWAITING_HEAD)
    sign_in(client, both)
    post_action(client, colleagues, "issue")
    colleagues.refresh_from_db()
    assert colleagues.status == Status.ISSUED


def test_an_officer_who_drafted_a_letter_cannot_review_it(cast, client):
    both = f.UserFactory(username="clerk_and_officer")
    f.MembershipFactory(user=both, role=Role.AGENCY_CLERK, organization=cast.agency_a)
    f.MembershipFactory(user=both, role=Role.PROVINCIAL_OFFICER, organization=cast.office_1)
    own = draft(cast, by=both)
    services.cert_request_submit(cert_request=own, by=both)
    issue_signed(cast, own)
    sign_in(client, both)
    assert post_action(client, own, "forward").status_code == 403
    own.refresh_from_db()
    assert own.status == Status.PROVINCE_REVIEW


# --- the page offers exactly the allowed actions ------------------------------------------------
BUTTONS = ["submit", "issue", "send_back", "return", "refuse", "forward", "process", "cancel"]


@pytest.mark.parametrize(
    ("persona", "stage", "form", "expected"),
    [
        ("clerk_a", Status.DRAFT, FormKind.ISSUE_PERSON, {"submit", "cancel"}),
        ("head_a", Status.DRAFT, FormKind.ISSUE_PERSON, set()),
        ("head_a", Status.AWAITING_HEAD, FormKind.ISSUE_PERSON, {"issue", "send_back"}),
        ("clerk_a", Status.AWAITING_HEAD, FormKind.ISSUE_PERSON, {"cancel"}),
        (
            "officer_1",
            Status.PROVINCE_REVIEW,
            FormKind.ISSUE_PERSON,
            {"forward", "return", "refuse", "accept_valid"},
        ),
        (
            "officer_1",
            Status.PROVINCE_REVIEW,
            FormKind.RENEW_CHANGE,
            {"process", "return", "refuse", "accept_valid"},
        ),
        ("clerk_a", Status.PROVINCE_REVIEW, FormKind.ISSUE_PERSON, set()),
        (
            "ca_operator",
            Status.FORWARDED,
            FormKind.ISSUE_PERSON,
            {"process", "return", "refuse", "accept_valid"},
        ),
        ("officer_1", Status.FORWARDED, FormKind.ISSUE_PERSON, set()),
    ],
)
def test_the_page_offers_exactly_the_allowed_actions(
    cast, shared, client, persona, stage, form, expected
):
    cert_request = shared(stage, form)
    sign_in(client, getattr(cast, persona))
    html = client.get(reverse("requests_app:detail", args=[cert_request.pk])).content.decode()
    offered = {
        action
        for action in [*BUTTONS, "accept_valid"]
        if reverse("requests_app:action", args=[cert_request.pk, action]) in html
    }
    assert offered == expected
    decide = reverse("requests_app:row_decide", args=[cert_request.pk, cert_request.rows.get().pk])
    assert (decide in html) == ("accept_valid" in expected)


def test_accepting_the_valid_rows_leaves_a_row_that_has_become_invalid_pending(cast):
    """The bulk acceptance judges each row as it is now (docs/domain.md §5): a certificate
    revoked since the letter was sent makes its revocation row invalid, and only that row
    stays pending."""
    cert_request = letter_at(cast, Status.FORWARDED, F.REVOKE, rows=3)
    rows = list(cert_request.rows.order_by("position"))
    gone = rows[1].certificate
    type(gone).objects.filter(pk=gone.pk).update(
        status=CertStatus.REVOKED, revoked_at=timezone.now()
    )

    accepted, left = services.cert_request_accept_valid_rows(
        cert_request=cert_request, by=cast.ca_operator
    )

    assert (accepted, left) == (2, 1)
    outcomes = dict(cert_request.rows.values_list("position", "outcome"))
    assert outcomes == {
        rows[0].position: Outcome.ACCEPTED,
        rows[1].position: Outcome.PENDING,
        rows[2].position: Outcome.ACCEPTED,
    }
