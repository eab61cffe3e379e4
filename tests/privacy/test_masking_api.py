"""The API answers ID numbers, birth and ID issue dates and phones masked; `?full=` with a
`reason` shows them to the roles that may, one access per request (channel API); the CA's
sheet is read in full by the CA operator, each read recorded with its purpose (docs/privacy.md,
"Exports, API and documents"). The matrix: every role × the rows, the CA sheet and devices."""

import pytest

from devices.exports import PHONE as DEVICE_PHONE
from privacy.choices import AccessChannel
from requests_app.api.ca_sheet import CA_PURPOSE
from requests_app.models import RequestRow
from tests.api.calls import api_as
from tests.privacy.exports_world import (
    IDS,
    MAY_SEE_FULL,
    PHONE,
    REASON,
    ROLES,
    SEE_DEVICE,
    SEE_LETTER,
    accesses,
    letter_draft,
    world,
)

pytestmark = pytest.mark.django_db

ROW_ID = "requests_app.RequestRow.national_id"
SHEET_FIELDS = sorted(
    f"requests_app.RequestRow.{name}"
    for name in ("date_of_birth", "id_issue_date", "mobile", "national_id")
)


@pytest.fixture
def w(cast):
    return world(cast)


def rows_url(letter):
    return f"/api/v1/van-ban/{letter.pk}/dong/"


def sheet_url(letter):
    return f"/api/v1/van-ban/{letter.pk}/bang-ca/"


# --- a letter's rows ------------------------------------------------------------------------
@pytest.mark.parametrize("role", ROLES)
def test_the_rows_are_masked_for_every_role_and_record_nothing(w, role):
    response = api_as(w.users[role]).get(rows_url(w.letter))
    if role not in SEE_LETTER:
        assert response.status_code == 404
        return
    first, second = response.json()["results"]
    assert (first["national_id"], second["national_id"]) == ("********0101", "********0102")
    assert (first["date_of_birth"], first["id_issue_date"]) == ("**/**/1990", "**/**/2021")
    assert first["mobile"] == "091****671"
    assert first["id_issue_place"] == "CCSQLHCVTTXH"
    assert accesses() == []


@pytest.mark.parametrize("role", ROLES)
def test_full_ids_are_answered_to_the_roles_that_may_with_one_access(w, role):
    response = api_as(w.users[role]).get(
        rows_url(w.letter), {"full": "national_id", "reason": REASON}
    )
    if role not in SEE_LETTER:
        assert response.status_code == 404
        assert accesses() == []
        return
    if role not in MAY_SEE_FULL:
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"
        assert accesses() == []
        return
    first, second = response.json()["results"]
    assert (first["national_id"], second["national_id"]) == IDS
    assert first["date_of_birth"] == "**/**/1990"  # not asked: still masked
    (access,) = accesses()
    assert (access.actor, access.channel, access.fields, access.reason) == (
        w.users[role],
        AccessChannel.API,
        [ROW_ID],
        REASON,
    )
    assert access.subjects_count == 2
    indexes = set(RequestRow.objects.values_list("national_id_index", flat=True))
    assert set(access.subjects.values_list("id_index", flat=True)) == indexes


def test_full_values_without_a_reason_are_refused_and_record_nothing(w):
    response = api_as(w.users["clerk_a"]).get(rows_url(w.letter), {"full": "national_id"})
    assert response.status_code == 422
    assert response.json()["code"] == "reason_required"
    assert accesses() == []


def test_a_field_the_answer_has_not_is_a_400(w):
    response = api_as(w.users["clerk_a"]).get(
        rows_url(w.letter), {"full": "national_id,shoe_size", "reason": REASON}
    )
    assert response.status_code == 400
    assert "shoe_size" in response.json()["errors"]["full"][0]
    assert accesses() == []


def test_each_request_with_full_values_records_its_own_access(w):
    client = api_as(w.users["officer_1"])
    for _ in range(2):
        response = client.get(rows_url(w.letter), {"full": "national_id,mobile", "reason": REASON})
        assert response.json()["results"][0]["mobile"] == "0912345671"
    fields = [f"requests_app.RequestRow.{name}" for name in ("mobile", "national_id")]
    assert [access.fields for access in accesses()] == [fields, fields]


# --- the CA's sheet -------------------------------------------------------------------------
@pytest.mark.parametrize("role", ROLES)
def test_the_ca_reads_its_sheet_in_full_each_read_recorded_and_others_masked(w, role):
    response = api_as(w.users[role]).get(sheet_url(w.letter))
    if role not in SEE_LETTER:
        assert response.status_code == 404
        return
    first = response.json()["results"][0]
    assert (first["stt"], first["full_name"]) == ("1", "Lò Thị Mai 1")
    if role != "ca_operator":
        assert (first["national_id"], first["phone"]) == ("********0101", "091****671")
        assert first["date_of_birth"] == "**/**/1990"
        assert accesses() == []
        return
    assert (first["national_id"], first["phone"]) == (IDS[0], "0912345671")
    assert (first["date_of_birth"], first["id_issue_date"]) == ("01/03/1990", "01/07/2021")
    (access,) = accesses()
    assert (access.channel, access.fields, access.reason) == (
        AccessChannel.API,
        SHEET_FIELDS,
        str(CA_PURPOSE),
    )
    assert access.subjects_count == 2


@pytest.mark.parametrize("role", sorted(SEE_LETTER - {"ca_operator"}))
def test_others_read_the_sheet_in_full_only_when_they_ask_and_may(w, role):
    response = api_as(w.users[role]).get(
        sheet_url(w.letter), {"full": "national_id,phone", "reason": REASON}
    )
    if role not in MAY_SEE_FULL:
        assert response.status_code == 403
        assert accesses() == []
        return
    first = response.json()["results"][0]
    assert (first["national_id"], first["phone"], first["date_of_birth"]) == (
        IDS[0],
        "0912345671",
        "**/**/1990",
    )
    (access,) = accesses()
    assert access.reason == REASON and access.subjects_count == 2


# --- devices --------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ROLES)
def test_a_sims_phone_is_masked_in_the_device_list_and_page(w, role):
    client = api_as(w.users[role])
    listed = client.get("/api/v1/thiet-bi/").json()["results"]
    one = client.get(f"/api/v1/thiet-bi/{w.sim.pk}/")
    if role not in SEE_DEVICE:
        assert (listed, one.status_code) == ([], 404)
        return
    assert [device["phone"] for device in listed] == ["098****321"]
    assert one.json()["phone"] == "098****321"
    assert accesses() == []


@pytest.mark.parametrize("role", ROLES)
def test_a_sims_full_phone_is_for_the_roles_that_may_with_one_access(w, role):
    response = api_as(w.users[role]).get(
        f"/api/v1/thiet-bi/{w.sim.pk}/", {"full": "phone", "reason": REASON}
    )
    if role not in MAY_SEE_FULL:
        assert response.status_code == (403 if role in SEE_DEVICE else 404)
        assert accesses() == []
        return
    assert response.json()["phone"] == PHONE
    (access,) = accesses()
    assert (access.actor, access.channel, access.fields) == (
        w.users[role],
        AccessChannel.API,
        [DEVICE_PHONE],
    )
    assert list(access.subjects.values_list("person_id", flat=True)) == [w.sim.holder_id]


def test_the_device_list_with_full_phones_records_one_access_for_its_page(w):
    response = api_as(w.users["ca_operator"]).get(
        "/api/v1/thiet-bi/", {"full": "phone", "reason": REASON}
    )
    assert [device["phone"] for device in response.json()["results"]] == [PHONE]
    (access,) = accesses()
    assert access.subjects_count == 1


# --- writing a masked value back ------------------------------------------------------------
def test_rows_put_back_with_masked_ids_and_mobiles_are_refused_and_the_stored_ids_kept(cast):
    letter = letter_draft(cast)
    client = api_as(cast.clerk_a)
    answered = client.get(rows_url(letter)).json()["results"]
    # The client fixed the dates it edits and sent the masked ID and mobile back as answered.
    rows = [
        {**{key: row[key] for key in ("full_name", "national_id", "mobile", "email")},
         "date_of_birth": "01/03/1990", "id_issue_date": "01/07/2021",
         "id_issue_place": "CCSQLHCVTTXH", "work_agency": "Sở Tài chính",
         "province_name": "Lai Châu", "position_title": "Chuyên viên"}
        for row in answered
    ]  # fmt: skip
    response = client.put(rows_url(letter), {"rows": rows}, format="json")
    assert response.status_code == 422, response.json()
    errors = response.json()["errors"]
    assert {"national_id", "mobile"} <= set(errors["0"]), errors
    assert sorted(RequestRow.objects.values_list("national_id", flat=True)) == list(IDS)


def test_the_ca_sheet_refuses_a_masked_cell_sent_back(cast):
    letter = letter_draft(cast)
    line = api_as(cast.clerk_a).get(sheet_url(letter)).json()["results"][0]
    line |= {"full_name": "Lò Văn Mới", "email": "moi@laichau.gov.vn"}
    response = api_as(cast.clerk_a).post(sheet_url(letter), {"rows": [line]}, format="json")
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert "giá trị đã che" in errors["0"]["national_id"][0]
    assert "giá trị đã che" in errors["0"]["phone"][0]
    assert RequestRow.objects.count() == 2
