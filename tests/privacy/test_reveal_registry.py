"""The registry of models whose masked values may be revealed (privacy/reveal.py): what a
registration names is what the reveal reads, and what it leaves out takes the defaults. The
apps register at start-up; these tests register into a registry of their own. And how a
revealed value is written."""

from datetime import date

import pytest

from agencies.models import Organization
from privacy import reveal
from privacy.access import Subject
from privacy.reveal import Target, reveal_register, reveal_target, shown_in_full


@pytest.fixture(autouse=True)
def _own_registry(monkeypatch):
    monkeypatch.setattr(reveal, "_TARGETS", {})


def _org_path(obj):
    return "/1/"


def test_a_registration_with_the_defaults():
    reveal_register(Organization, org_path=_org_path)

    target = reveal_target("agencies.Organization")

    assert target == Target(
        "agencies.Organization", Organization.objects.visible_to, Subject.of, _org_path
    )
    assert target.draft_author(object()) is None
    assert reveal_target("agencies.Person") is None


def test_a_registration_names_its_own_scope_subject_and_draft_author():
    def visible(user):
        return Organization.objects.none()

    def subject(obj):
        return None

    def author(obj):
        return 7

    reveal_register(
        Organization, org_path=_org_path, visible=visible, subject=subject, draft_author=author
    )

    target = reveal_target("agencies.Organization")
    assert (target.label, target.visible, target.subject, target.org_path) == (
        "agencies.Organization",
        visible,
        subject,
        _org_path,
    )
    assert target.draft_author(object()) == 7


def test_a_value_is_shown_in_full_as_a_date_or_text_and_nothing_as_nothing():
    assert shown_in_full(date(1985, 5, 17)) == "17/05/1985"
    assert shown_in_full("012190001234") == "012190001234"
    assert shown_in_full(None) == ""
    assert shown_in_full("") == ""
