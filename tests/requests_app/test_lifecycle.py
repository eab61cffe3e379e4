"""The lifecycle table is the single source of a letter's actions: every action it names is
carried out by a service, offered to exactly the role it names, and drawn from it on the page."""

import pytest
from django.urls import reverse

from agencies.choices import Role
from requests_app import services
from requests_app.choices import FormKind, Status
from requests_app.lifecycle import ACTIONS, BUTTONS, PROCESSOR, SYSTEM
from requests_app.permissions import allowed_actions
from tests.helpers import sign_in
from tests.requests_app.letters import letter_at


def test_every_action_with_an_effect_names_a_service():
    effects = {action.name: action.effect for action in ACTIONS.values() if action.effect}
    assert "submit" in effects
    assert {n: e for n, e in effects.items() if not callable(getattr(services, e, None))} == {}


def test_every_source_names_a_status_and_a_role_or_the_portal_itself():
    roles = set(Role.values) | {PROCESSOR, SYSTEM}
    for action in ACTIONS.values():
        assert set(action.sources) <= set(Status.values), action.name
        assert set(action.sources.values()) <= roles, action.name
        assert action.target is None or action.target in Status.values


def test_an_action_that_requires_a_reason_asks_for_one_on_its_form():
    needing = {action.name: action.takes for action in BUTTONS if action.reason_required}
    assert "refuse" in needing
    assert {name: takes for name, takes in needing.items() if takes != "reason"} == {}


@pytest.mark.django_db
def test_the_page_draws_exactly_the_buttons_the_table_allows(cast, client):
    letter = letter_at(cast, Status.PROVINCE_REVIEW, FormKind.ISSUE_PERSON)
    sign_in(client, cast.officer_1)

    page = client.get(reverse("requests_app:detail", args=[letter.pk])).content.decode()

    allowed = allowed_actions(cast.officer_1, letter)
    assert allowed == {"decide_rows", "forward", "return", "refuse"}
    for action in BUTTONS:
        url = reverse("requests_app:action", args=[letter.pk, action.name])
        assert (f'action="{url}"' in page) == (action.name in allowed), action.name


@pytest.mark.django_db
def test_the_province_may_not_take_the_cas_review_actions_once_forwarded(cast):
    letter = letter_at(cast, Status.FORWARDED, FormKind.ISSUE_PERSON)
    assert allowed_actions(cast.officer_1, letter) == set()
    assert allowed_actions(cast.ca_operator, letter) == {
        "decide_rows",
        "process",
        "return",
        "refuse",
    }
