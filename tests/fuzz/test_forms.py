"""Every form, driven with generated submissions: never a server error, and a refused
submission changes nothing (no row, no letter, no device, no audit event)."""

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from requests_app.choices import FormKind, Status
from requests_app.lifecycle import ACTIONS
from tests import factories as f
from tests.factories import LETTER_CONTACT, PERSON_ROW, letter_draft, letter_row_add
from tests.fuzz.strategies import (
    JUNK,
    field_names,
    form_data,
    fuzz_settings,
    refused,
    state,
    undone,
)
from tests.helpers import HTMX, sign_in
from tests.requests_app.letters import letter_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def callers(cast):
    """A signed-in client per persona, made once for all the examples of a test."""
    return {
        persona: sign_in(Client(), getattr(cast, persona))
        for persona in ("clerk_a", "head_a", "officer_1", "ca_operator")
    }


@pytest.fixture
def draft_letter(cast):
    """Agency A's draft with one row, built once per test and shared by its examples, each
    run in `undone()`."""
    cert_request = letter_draft(cast)
    letter_row_add(cert_request, cast.clerk_a)
    return cert_request


@pytest.fixture
def province_letter(cast):
    """A letter in the Sở KH&CN's inbox, built once per test (issuing and signing it takes
    about a second) and shared by its examples, each run in `undone()`."""
    return letter_at(cast, Status.PROVINCE_REVIEW)


def _post_checked(client, url, data, **extra):
    before = state()
    response = client.post(url, data, **extra)
    assert response.status_code < 500, (url, data)
    if refused(response):
        assert state() == before, (url, data)
    return response


@fuzz_settings(500)
@given(data=form_data(PERSON_ROW), htmx=st.booleans())
def test_adding_a_row(callers, draft_letter, data, htmx):
    url = reverse("requests_app:row_add", args=[draft_letter.pk])
    with undone():
        _post_checked(callers["clerk_a"], url, data, **(HTMX if htmx else {}))


@fuzz_settings(400)
@given(data=form_data(PERSON_ROW))
def test_editing_a_row(callers, draft_letter, data):
    url = reverse("requests_app:row_edit", args=[draft_letter.pk, draft_letter.rows.get().pk])
    with undone():
        _post_checked(callers["clerk_a"], url, data, **HTMX)


CREATE = {
    "form": FormKind.ISSUE_PERSON,
    "agency": "",
    **LETTER_CONTACT,
    "contact_national_id": "012190001234",
    "contact_id_issue_date": "01/07/2021",
    "contact_id_issue_place": "CCSQLHCVTTXH",
}


@fuzz_settings(400)
@given(data=form_data(CREATE, extra_keys=["contact_title", "subject"]))
def test_creating_a_letter(callers, cast, data):
    if data.get("agency") == "":
        data["agency"] = str(cast.agency_a.pk)
    with undone():
        _post_checked(callers["clerk_a"], reverse("requests_app:create"), data)


@fuzz_settings(300)
@given(data=form_data(LETTER_CONTACT, extra_keys=["contact_id_issue_date", "note"]))
def test_editing_a_letter(callers, draft_letter, data):
    with undone():
        _post_checked(
            callers["clerk_a"], reverse("requests_app:edit", args=[draft_letter.pk]), data
        )


@fuzz_settings(400)
@given(
    action=st.one_of(
        st.sampled_from(sorted(ACTIONS)), st.from_regex(r"[-a-z0-9_]{1,20}", fullmatch=True)
    ),
    persona=st.sampled_from(["clerk_a", "head_a", "officer_1", "ca_operator"]),
    data=form_data({"note": "Đã kiểm tra", "reason": "Sai thông tin"}),
)
def test_taking_an_action_on_a_letter(callers, province_letter, action, persona, data):
    with undone():
        url = reverse("requests_app:action", args=[province_letter.pk, action])
        _post_checked(callers[persona], url, data)


@fuzz_settings(300)
@given(
    persona=st.sampled_from(["officer_1", "ca_operator", "clerk_a"]),
    data=form_data({"decision": "accept", "note": "Trùng hồ sơ"}),
)
def test_deciding_a_row(callers, province_letter, persona, data):
    row = province_letter.rows.get()
    with undone():
        url = reverse("requests_app:row_decide", args=[province_letter.pk, row.pk])
        _post_checked(callers[persona], url, data)


DEVICE_PAGES = [
    ("devices:handover", False, "clerk_a"),
    ("devices:minutes_create", False, "clerk_a"),
    ("devices:lock", True, "clerk_a"),
    ("devices:collect", True, "clerk_a"),
    ("paperwork:device_report_loss", True, "clerk_a"),
    ("devices:handover", False, "ca_operator"),
    ("devices:minutes_create", False, "ca_operator"),
]


@fuzz_settings(700)
@given(page=st.sampled_from(DEVICE_PAGES), values=st.lists(JUNK, min_size=12, max_size=12))
def test_the_device_forms(callers, cast, page, values):
    name, with_device, persona = page
    client = callers[persona]
    with undone():
        device = f.DeviceFactory(
            agency=cast.agency_a, holder=cast.subscriber, status="handed_to_subscriber"
        )
        url = reverse(name, args=[device.pk] if with_device else [])
        shown = client.get(url)
        assert shown.status_code < 500
        names = field_names(shown.content.decode()) or ["note", "reason", "devices", "date"]
        data = {key: values[i % len(values)] for i, key in enumerate(names)}
        if "device" in data or "devices" in data:
            # Sometimes the real device, so the form goes past its first check.
            data.setdefault("devices", str(device.pk))
        _post_checked(client, url, data)
