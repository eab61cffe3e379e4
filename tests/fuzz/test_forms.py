"""Every form, driven with generated submissions: never a server error, and a refused
submission changes nothing (no row, no letter, no device, no audit event)."""

from contextlib import contextmanager, suppress

import pytest
from django.db import transaction
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from requests_app.choices import FormKind, Status
from requests_app.lifecycle import ACTIONS
from tests import factories as f
from tests.factories import LETTER_CONTACT, PERSON_ROW, letter_draft, letter_row_add
from tests.fuzz.strategies import JUNK, field_names, form_data, fuzz_settings, refused, state
from tests.helpers import HTMX, sign_in
from tests.requests_app.letters import letter_at

pytestmark = pytest.mark.django_db


class _Undone(Exception):
    """Raised at the end of an example to roll its savepoint back."""


@contextmanager
def undone():
    """Whatever the example wrote is rolled back: every example starts from the same rows."""
    with suppress(_Undone), transaction.atomic():
        yield
        raise _Undone


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
def test_adding_a_row(client, cast, data, htmx):
    cert_request = letter_draft(cast)
    sign_in(client, cast.clerk_a)
    url = reverse("requests_app:row_add", args=[cert_request.pk])
    _post_checked(client, url, data, **(HTMX if htmx else {}))


@fuzz_settings(400)
@given(data=form_data(PERSON_ROW))
def test_editing_a_row(client, cast, data):
    cert_request = letter_draft(cast)
    row = letter_row_add(cert_request, cast.clerk_a)
    sign_in(client, cast.clerk_a)
    url = reverse("requests_app:row_edit", args=[cert_request.pk, row.pk])
    _post_checked(client, url, data, **HTMX)


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
def test_creating_a_letter(client, cast, data):
    sign_in(client, cast.clerk_a)
    if data.get("agency") == "":
        data["agency"] = str(cast.agency_a.pk)
    _post_checked(client, reverse("requests_app:create"), data)


@fuzz_settings(300)
@given(data=form_data(LETTER_CONTACT, extra_keys=["contact_id_issue_date", "note"]))
def test_editing_a_letter(client, cast, data):
    cert_request = letter_draft(cast)
    sign_in(client, cast.clerk_a)
    _post_checked(client, reverse("requests_app:edit", args=[cert_request.pk]), data)


@fuzz_settings(400)
@given(
    action=st.one_of(
        st.sampled_from(sorted(ACTIONS)), st.from_regex(r"[-a-z0-9_]{1,20}", fullmatch=True)
    ),
    persona=st.sampled_from(["clerk_a", "head_a", "officer_1", "ca_operator"]),
    data=form_data({"note": "Đã kiểm tra", "reason": "Sai thông tin"}),
)
def test_taking_an_action_on_a_letter(client, cast, province_letter, action, persona, data):
    with undone():
        sign_in(client, getattr(cast, persona))
        url = reverse("requests_app:action", args=[province_letter.pk, action])
        _post_checked(client, url, data)


@fuzz_settings(300)
@given(
    persona=st.sampled_from(["officer_1", "ca_operator", "clerk_a"]),
    data=form_data({"decision": "accept", "note": "Trùng hồ sơ"}),
)
def test_deciding_a_row(client, cast, province_letter, persona, data):
    row = province_letter.rows.get()
    with undone():
        sign_in(client, getattr(cast, persona))
        url = reverse("requests_app:row_decide", args=[province_letter.pk, row.pk])
        _post_checked(client, url, data)


DEVICE_PAGES = [
    ("devices:handover", False, "clerk_a"),
    ("devices:minutes_create", False, "clerk_a"),
    ("devices:lock", True, "clerk_a"),
    ("devices:collect", True, "clerk_a"),
    ("requests_app:device_report_loss", True, "clerk_a"),
    ("devices:handover", False, "ca_operator"),
    ("devices:minutes_create", False, "ca_operator"),
]


@fuzz_settings(700)
@given(page=st.sampled_from(DEVICE_PAGES), values=st.lists(JUNK, min_size=12, max_size=12))
def test_the_device_forms(client, cast, page, values):
    name, with_device, persona = page
    device = f.DeviceFactory(
        agency=cast.agency_a, holder=cast.subscriber, status="handed_to_subscriber"
    )
    url = reverse(name, args=[device.pk] if with_device else [])
    sign_in(client, getattr(cast, persona))
    shown = client.get(url)
    assert shown.status_code < 500
    names = field_names(shown.content.decode()) or ["note", "reason", "devices", "date"]
    data = {key: values[i % len(values)] for i, key in enumerate(names)}
    if "device" in data or "devices" in data:
        # Sometimes the real device, so the form goes past its first check.
        data.setdefault("devices", str(device.pk))
    _post_checked(client, url, data)
