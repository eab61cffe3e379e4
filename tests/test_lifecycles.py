"""Every workflow's lifecycle has the one shape of portal/lib/lifecycle.py, and each table is
consistent: its states are the workflow's, its roles real, its effects services that exist,
its buttons addresses that resolve, and the portal's own moves offered to nobody."""

from types import SimpleNamespace

import pytest
from django.urls import NoReverseMatch, reverse

from agencies.choices import Role
from bulk import lifecycle as bulk_lifecycle
from bulk import services as bulk_services
from bulk.choices import JobStatus
from demand import lifecycle as demand_lifecycle
from demand import services as demand_services
from demand.choices import RegistrationStatus
from devices import lifecycle as devices_lifecycle
from devices import services as devices_services
from devices.choices import CredentialState, DeviceStatus, TokenState
from orgmerge import lifecycle as orgmerge_lifecycle
from orgmerge import services as orgmerge_services
from orgmerge.choices import PlanStatus
from portal.lib.lifecycle import SYSTEM, Lifecycle, Move
from privacy import corrections as privacy_corrections
from privacy import lifecycle as privacy_lifecycle
from privacy import services as privacy_services
from privacy.choices import CorrectionStatus, IncidentStatus
from remote_signing import lifecycle as remote_lifecycle
from remote_signing import services as remote_services
from remote_signing.choices import ControlState
from requests_app import lifecycle as letters_lifecycle
from requests_app import services as letters_services
from requests_app.choices import Status

WORKFLOWS = {
    "letters": (letters_lifecycle.ACTIONS, Status, letters_services),
    "devices": (devices_lifecycle.MOVES, DeviceStatus, devices_services),
    "tokens": (devices_lifecycle.TOKEN_MOVES, TokenState, devices_services),
    "remote credentials": (devices_lifecycle.CREDENTIAL_MOVES, CredentialState, devices_services),
    "remote signing": (remote_lifecycle.MOVES, ControlState, remote_services),
    "merger plans": (orgmerge_lifecycle.MOVES, PlanStatus, orgmerge_services),
    "bulk jobs": (bulk_lifecycle.MOVES, JobStatus, bulk_services),
    "demand": (demand_lifecycle.MOVES, RegistrationStatus, demand_services),
    "privacy incidents": (privacy_lifecycle.MOVES, IncidentStatus, privacy_services),
    # a correction that reaches a certificate drafts a letter: that move's service is
    # requests_app's, the flow's highest app (docs/architecture.md §1)
    "correction requests": (
        privacy_lifecycle.CORRECTION_MOVES,
        CorrectionStatus,
        SimpleNamespace(
            correction_request_correct=privacy_corrections.correction_request_correct,
            correction_request_reject=privacy_corrections.correction_request_reject,
            correction_request_draft_letter=letters_services.correction_request_draft_letter,
        ),
    ),
}
ROLES = set(Role.values) | {SYSTEM, letters_lifecycle.PROCESSOR}


@pytest.mark.parametrize("name", WORKFLOWS)
def test_the_table_has_the_shared_shape(name):
    table, _states, _services = WORKFLOWS[name]
    assert isinstance(table, Lifecycle)
    assert table and all(isinstance(move, Move) for move in table.values())
    assert all(key == move.name for key, move in table.items())


@pytest.mark.parametrize("name", WORKFLOWS)
def test_states_and_roles_are_the_workflows_own(name):
    table, states, _services = WORKFLOWS[name]
    for move in table.values():
        assert move.sources, move.name
        assert set(move.sources) <= set(states.values), move.name
        assert move.target is None or move.target in states.values, move.name
        for state in move.sources:
            assert move.roles_from(state) and set(move.roles_from(state)) <= ROLES, move.name


def test_every_effect_is_a_service_of_the_app():
    effects = {
        (name, move.name): (services, move.effect)
        for name, (table, _states, services) in WORKFLOWS.items()
        for move in table.values()
        if move.effect
    }
    assert ("letters", "submit") in effects
    missing = [
        key for key, (app, effect) in effects.items() if not callable(getattr(app, effect, None))
    ]
    assert missing == []


@pytest.mark.parametrize("name", WORKFLOWS)
def test_every_button_leads_to_an_address_that_resolves(name):
    table, _states, _services = WORKFLOWS[name]
    for move in table.values():
        if not move.url:
            continue
        assert move.button, move.name
        try:
            reverse(move.url, args=[1] if move.url_takes_pk else [])
        except NoReverseMatch:
            pytest.fail(f"{name}: {move.name} leads to {move.url}, which does not resolve")


@pytest.mark.parametrize("name", WORKFLOWS)
def test_the_portals_own_moves_are_offered_to_nobody(name):
    table, _states, _services = WORKFLOWS[name]
    own = [
        (move, state)
        for move in table.values()
        for state in move.sources
        if move.roles_from(state) == (SYSTEM,)
    ]
    offered = [
        (move.name, state)
        for move, state in own
        if Lifecycle([move]).offered(object(), state, holds=lambda role: True) or move.button
    ]
    assert offered == []


def test_a_guard_withholds_a_move_the_state_and_role_allow():
    table = Lifecycle([
        Move("open", {"a": "clerk"}, "b", "Open"),
        Move("seal", {"a": "clerk"}, "c", "Seal", guard=lambda obj: obj["sealable"]),
    ])  # fmt: skip
    holds = {"clerk"}.__contains__
    assert [m.name for m in table.offered({"sealable": False}, "a", holds)] == ["open"]
    assert [m.name for m in table.offered({"sealable": True}, "a", holds)] == ["open", "seal"]
    assert table.offered({"sealable": True}, "b", holds) == []
    assert table.offered({"sealable": True}, "a", {"head"}.__contains__) == []
