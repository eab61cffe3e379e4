"""The device writes over the API, through the same forms and services as the pages:
POST /api/v1/thiet-bi/ban-giao/ (hand-over, Mẫu 07), POST /api/v1/thiet-bi/ban-giao-lai/
(hand-back, Mẫu 08) and POST /api/v1/thiet-bi/{id}/bao-mat/ (loss: Mẫu 09, then the Mẫu 05
letter, a flow of requests_app)."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from devices.choices import DeviceStatus, ReturnReason
from devices.models import Device, HandoverNotice, LossReport, ReturnMinutes
from devices.services import device_return_obligation_open
from requests_app.choices import FormKind, Status
from requests_app.models import CertRequest
from tests import factories as f
from tests.api.calls import api_as
from tests.api.spoiled import NOBODY, client_for
from tests.devices.helpers import hand_over, issue_on_token

pytestmark = pytest.mark.django_db
HANDOVER, HAND_BACK = "/api/v1/thiet-bi/ban-giao/", "/api/v1/thiet-bi/ban-giao-lai/"


def loss_url(device) -> str:
    return f"/api/v1/thiet-bi/{device.pk}/bao-mat/"


def handover_body(device, **extra) -> dict:
    today = timezone.localdate().isoformat()
    return {"devices": [device.pk], "acknowledged": [device.pk], "handed_on": today, **extra}


def minutes_body(device, **extra) -> dict:
    return {
        "devices": [device.pk],
        "held_on": timezone.localdate().isoformat(),
        "held_time": "08:30",
        "place": "Sở Tài chính tỉnh Lai Châu",
        "receiver_kind": "ca",
        "agency_representative": "Nguyễn Thị Thu Hà",
        "conditions": {str(device.pk): "good"},
        **extra,
    }


def loss_body(**extra) -> dict:
    return {
        "representative_name": "Nguyễn Thị Thu Hà",
        "representative_position": "Chánh Văn phòng",
        "lost_on": timezone.localdate().isoformat(),
        "lost_time": "00:00",
        "lost_place": "Trụ sở cơ quan",
        "circumstances": "Để quên trên xe khách",
        **extra,
    }


@pytest.fixture
def handed(cast, token):
    """The conftest's token of agency A, handed to its holder."""
    hand_over(cast, token)
    token.refresh_from_db()
    return token


@pytest.fixture
def owed(cast, handed):
    """A handed device whose certificate was revoked: it owes its return."""
    f.CAOrgFactory()
    device_return_obligation_open(
        device=handed,
        reason=ReturnReason.REVOKED,
        notified_on=timezone.localdate(),
        by=cast.ca_operator,
        certificate_serial="54ab",
    )
    handed.refresh_from_db()
    return handed


# --- Mẫu 07 --------------------------------------------------------------------------------
def test_the_clerk_hands_a_device_over_and_the_notice_awaits_the_head(cast, token):
    response = api_as(cast.clerk_a).post(HANDOVER, handover_body(token), format="json")
    assert response.status_code == 201, response.json()
    notice = HandoverNotice.objects.get()
    assert response.json()["number"] == notice.number
    assert [i["device"] for i in response.json()["items"]] == [token.pk]
    assert Device.objects.get(pk=token.pk).status == DeviceStatus.HANDED_TO_SUBSCRIBER


def test_a_device_the_subscriber_did_not_sign_for_is_a_400_and_nothing_changes(cast, token):
    body = handover_body(token, acknowledged=[])
    response = api_as(cast.clerk_a).post(HANDOVER, body, format="json")
    assert response.status_code == 400
    assert "acknowledged" in response.json()["errors"]
    assert not HandoverNotice.objects.exists()
    assert Device.objects.get(pk=token.pk).status == DeviceStatus.DELIVERED_TO_AGENCY


def test_a_hand_over_dated_tomorrow_is_a_422_problem_and_nothing_changes(cast, token):
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    body = handover_body(token, handed_on=tomorrow)
    response = api_as(cast.clerk_a).post(HANDOVER, body, format="json")
    assert response.status_code == 422
    assert response.json()["code"] == "future"
    assert not HandoverNotice.objects.exists()


def test_a_device_already_handed_over_is_a_422_problem(cast, handed):
    response = api_as(cast.clerk_a).post(HANDOVER, handover_body(handed), format="json")
    assert response.status_code == 422
    assert response.json()["code"] == "illegal_device_move"
    assert HandoverNotice.objects.count() == 1  # the fixture's own


@pytest.mark.parametrize(
    ("who", "expected"),
    [("clerk_b", 404), ("clerk_c", 404), ("officer_2", 404), ("head_a", 403), ("officer_1", 403)]
    + [(who, 401) for who in NOBODY],
)
def test_handover_permission_matrix(cast, token, who, expected):
    response = client_for(cast, who).post(HANDOVER, handover_body(token), format="json")
    assert response.status_code == expected, response.json()
    assert not HandoverNotice.objects.exists()


def test_naming_an_agency_out_of_scope_is_a_404(cast, token):
    body = handover_body(token, agency=cast.agency_a.pk)
    response = api_as(cast.clerk_b).post(HANDOVER, body, format="json")
    assert response.status_code == 404


def test_a_retried_hand_over_with_the_same_key_records_one_notice(cast, token):
    client, body = api_as(cast.clerk_a), handover_body(token)
    first = client.post(HANDOVER, body, format="json", HTTP_IDEMPOTENCY_KEY="bg-1")
    again = client.post(HANDOVER, body, format="json", HTTP_IDEMPOTENCY_KEY="bg-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert HandoverNotice.objects.count() == 1


# --- Mẫu 08 --------------------------------------------------------------------------------
def test_the_clerk_hands_an_owed_device_back_in_minutes(cast, owed):
    response = api_as(cast.clerk_a).post(HAND_BACK, minutes_body(owed), format="json")
    assert response.status_code == 201, response.json()
    minutes = ReturnMinutes.objects.get()
    assert response.json()["number"] == minutes.number
    assert [i["condition"] for i in response.json()["items"]] == ["good"]
    assert Device.objects.get(pk=owed.pk).status == DeviceStatus.RETURNED_TO_AGENCY


def test_a_device_that_owes_nothing_is_a_422_problem_and_nothing_changes(cast, handed):
    response = api_as(cast.clerk_a).post(HAND_BACK, minutes_body(handed), format="json")
    assert response.status_code == 422
    assert response.json()["code"] == "no_return_obligation"
    assert not ReturnMinutes.objects.exists()
    assert Device.objects.get(pk=handed.pk).status == DeviceStatus.HANDED_TO_SUBSCRIBER


def test_minutes_without_a_place_or_with_an_unknown_condition_are_a_400(cast, owed):
    body = minutes_body(owed, place="", conditions={str(owed.pk): "bay-mau"})
    response = api_as(cast.clerk_a).post(HAND_BACK, body, format="json")
    assert response.status_code == 400
    assert {"place", "conditions"} <= set(response.json()["errors"])
    assert not ReturnMinutes.objects.exists()


@pytest.mark.parametrize(
    ("who", "expected"),
    [("clerk_b", 404), ("officer_2", 404), ("head_a", 403), ("ca_operator", 403)]
    + [(who, 401) for who in NOBODY],
)
def test_hand_back_permission_matrix(cast, owed, who, expected):
    response = client_for(cast, who).post(HAND_BACK, minutes_body(owed), format="json")
    assert response.status_code == expected, response.json()
    assert not ReturnMinutes.objects.exists()


def test_a_retried_hand_back_with_the_same_key_records_one_minutes(cast, owed):
    client, body = api_as(cast.clerk_a), minutes_body(owed)
    first = client.post(HAND_BACK, body, format="json", HTTP_IDEMPOTENCY_KEY="bbgn-1")
    again = client.post(HAND_BACK, body, format="json", HTTP_IDEMPOTENCY_KEY="bbgn-1")
    assert first.status_code == again.status_code == 201
    assert ReturnMinutes.objects.count() == 1


# --- loss: Mẫu 09, then Mẫu 05 -------------------------------------------------------------
def test_a_lost_device_with_a_valid_certificate_gets_its_mau_09_and_a_drafted_mau_05(cast, ca):
    certificate, device = issue_on_token(cast)
    hand_over(cast, device)
    response = api_as(cast.clerk_a).post(loss_url(device), loss_body(), format="json")
    assert response.status_code == 201, response.json()
    answer = response.json()
    assert answer["loss_report"] == LossReport.objects.get(device=device).pk
    letter = CertRequest.objects.get(pk=answer["letter"])
    assert (letter.form, letter.status) == (FormKind.REVOKE, Status.DRAFT)
    assert letter.rows.get().certificate == certificate
    assert Device.objects.get(pk=device.pk).status == DeviceStatus.LOST


def test_a_lost_device_without_certificates_gets_its_mau_09_only(cast, handed):
    response = api_as(cast.clerk_a).post(loss_url(handed), loss_body(), format="json")
    assert response.status_code == 201, response.json()
    assert (response.json()["letter"], response.json()["draft_error"]) == (None, "")
    assert not CertRequest.objects.exists()


def test_a_loss_dated_tomorrow_is_a_400_and_nothing_changes(cast, handed):
    body = loss_body(lost_on=(date.today() + timedelta(days=2)).isoformat())
    response = api_as(cast.clerk_a).post(loss_url(handed), body, format="json")
    assert response.status_code == 400
    assert "lost_on" in response.json()["errors"]
    assert not LossReport.objects.exists()
    assert Device.objects.get(pk=handed.pk).status == DeviceStatus.HANDED_TO_SUBSCRIBER


@pytest.mark.parametrize(
    ("who", "expected"),
    [("clerk_b", 404), ("officer_2", 404), ("head_a", 403), ("officer_1", 403)]
    + [(who, 401) for who in NOBODY],
)
def test_loss_permission_matrix(cast, handed, who, expected):
    response = client_for(cast, who).post(loss_url(handed), loss_body(), format="json")
    assert response.status_code == expected, response.json()
    assert not LossReport.objects.exists()


def test_a_retried_loss_report_with_the_same_key_records_one_mau_09(cast, handed):
    client = api_as(cast.clerk_a)
    for _ in range(2):
        response = client.post(
            loss_url(handed), loss_body(), format="json", HTTP_IDEMPOTENCY_KEY="mat-1"
        )
        assert response.status_code == 201
    assert LossReport.objects.count() == 1
