"""Every devices page: its permission matrix (anonymous, clerk of the agency, clerk of another
agency, officer of the province, officer of another province, CA operator, subscriber) and its
query budget (the same number of queries with 10 and with 100 devices)."""

from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from devices.choices import DeviceStatus
from devices.models import Device, ReturnMinutes
from tests import factories as f
from tests.devices.helpers import populate
from tests.helpers import sign_in

D = DeviceStatus
pytestmark = pytest.mark.django_db
PERSONAS = [
    "anonymous",
    "clerk_a",
    "clerk_b",
    "officer_1",
    "officer_2",
    "ca_operator",
    "subscriber_user",
]


@pytest.fixture
def world(cast):
    f.CAOrgFactory()
    return populate(cast, 2)


def pages(cast, world) -> dict[str, str]:
    return {
        "list": reverse("devices:list"),
        "agency": reverse("devices:agency", args=[cast.agency_a.pk]),
        "province": reverse("devices:province", args=[cast.province_1.pk]),
        "stock": reverse("devices:stock"),
        "stock_import": reverse("devices:stock_import"),
        "detail": reverse("devices:detail", args=[world.device.pk]),
        "report_loss": reverse("paperwork:device_report_loss", args=[world.device.pk]),
        "handover": reverse("devices:handover"),
        "notice_list": reverse("devices:notice_list"),
        "notice_detail": reverse("devices:notice_detail", args=[world.notice.pk]),
        "notice_print": reverse("devices:notice_print", args=[world.notice.pk]),
        "returns": reverse("devices:returns"),
        "minutes_list": reverse("devices:minutes_list"),
        "minutes_create": reverse("devices:minutes_create"),
        "minutes_detail": reverse("devices:minutes_detail", args=[world.minutes.pk]),
        "minutes_print": reverse("devices:minutes_print", args=[world.minutes.pk]),
        "loss_list": reverse("devices:loss_list"),
        "loss_detail": reverse("devices:loss_detail", args=[world.report.pk]),
        "loss_print": reverse("devices:loss_print", args=[world.report.pk]),
        "export": reverse("devices:list") + "?xuat=xlsx",
    }


# Expected status per persona, in PERSONAS order (302 for anonymous: the login page).
SCOPED_DOC = [302, 200, 404, 200, 404, 200, 404]
STAFF_LIST = [302, 200, 200, 200, 200, 200, 403]
CLERK_PAGE = [302, 200, 200, 403, 403, 403, 403]
CA_PAGE = [302, 403, 403, 403, 403, 200, 403]
MATRIX = {
    "list": [302, 200, 200, 200, 200, 200, 200],
    "export": [302, 200, 200, 200, 200, 200, 200],
    "agency": [302, 200, 404, 200, 404, 200, 404],
    "province": [302, 404, 404, 200, 404, 200, 404],
    "stock": CA_PAGE,
    "stock_import": CA_PAGE,
    "detail": [302, 200, 404, 200, 404, 200, 200],
    "report_loss": [302, 200, 404, 403, 404, 403, 403],
    "handover": CLERK_PAGE,
    "minutes_create": CLERK_PAGE,
    "notice_list": STAFF_LIST,
    "returns": STAFF_LIST,
    "minutes_list": STAFF_LIST,
    "loss_list": STAFF_LIST,
    "notice_detail": SCOPED_DOC,
    "notice_print": SCOPED_DOC,
    "minutes_detail": SCOPED_DOC,
    "minutes_print": SCOPED_DOC,
    "loss_detail": SCOPED_DOC,
    "loss_print": SCOPED_DOC,
}


def login(client, cast, persona):
    if persona != "anonymous":
        sign_in(client, getattr(cast, persona))


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_permission_matrix_of_every_page(client, cast, world, persona):
    login(client, cast, persona)
    urls = pages(cast, world)
    got = {name: client.get(url).status_code for name, url in urls.items()}
    expected = {name: MATRIX[name][PERSONAS.index(persona)] for name in urls}
    assert got == expected


def _post_matrix(client, cast, persona, url):
    login(client, cast, persona)
    return client.post(url).status_code


@pytest.mark.parametrize(
    ("persona", "expected"),
    list(zip(PERSONAS, [302, 302, 404, 403, 404, 403, 403], strict=True)),
)
def test_only_the_agencys_clerk_records_a_device_locked(client, cast, world, persona, expected):
    url = reverse("devices:lock", args=[world.device.pk])
    assert _post_matrix(client, cast, persona, url) == expected
    locked = Device.objects.get(pk=world.device.pk).status == D.LOCKED
    assert locked == (persona == "clerk_a")


@pytest.mark.parametrize(
    ("persona", "expected"),
    list(zip(PERSONAS, [302, 403, 404, 403, 404, 403, 403], strict=True)),
)
def test_only_the_agencys_clerk_collects_a_device(client, cast, world, persona, expected):
    device = world.minutes.items.first().device
    Device.objects.filter(pk=device.pk).update(status=D.AWAITING_RETURN)
    url = reverse("devices:collect", args=[device.pk])
    # The clerk of the agency may collect (302) only a device awaiting return: here it is.
    if persona == "clerk_a":
        expected = 302
    assert _post_matrix(client, cast, persona, url) == expected


@pytest.mark.parametrize(
    ("persona", "expected"),
    list(zip(PERSONAS, [302, 403, 404, 403, 404, 400, 404], strict=True)),
)
def test_only_the_receiving_side_signs_a_mau_08(client, cast, world, persona, expected):
    """The receipt is confirmed only by the receiving side's signature at its desk: the CA
    operator may ask for it, but is refused (400) and nothing is confirmed: here the minutes
    were sent without the agency's signed version (the signed path:
    tests/paperwork/test_device_countersigning.py)."""
    url = reverse("paperwork:return_minutes_receiver_desk_prepare", args=[world.minutes.pk])
    assert _post_matrix(client, cast, persona, url) == expected
    if expected == 400:
        assert client.post(url).json()["error"] == "not_sent"
    assert ReturnMinutes.objects.get(pk=world.minutes.pk).confirmed_at is None


@pytest.mark.parametrize(
    ("persona", "expected"),
    list(zip(PERSONAS, [302, 403, 403, 403, 403, 302, 403], strict=True)),
)
def test_only_the_ca_confirms_a_stock_import(client, cast, world, persona, expected):
    from devices.stock_jobs import stock_import_start
    from tests.factories import xlsx_upload
    from tests.helpers import run_import_job

    upload = xlsx_upload([["Loại thiết bị", "Số hiệu"], ["TOKEN", "VT2699001"]], name="kho.xlsx")
    job = stock_import_start(upload=upload, by=cast.ca_operator)
    run_import_job(job.pk)
    url = reverse("devices:stock_import_confirm", args=[job.pk])
    assert _post_matrix(client, cast, persona, url) == expected
    imported = Device.objects.filter(serial="VT2699001").exists()
    assert imported == (persona == "ca_operator")


def test_the_recovery_button_is_the_clerks_of_a_locked_device(client, cast, world):
    Device.objects.filter(pk=world.device.pk).update(status=D.LOCKED)
    url = reverse("paperwork:device_recovery", args=[world.device.pk])
    for persona, expected in (("clerk_b", 404), ("officer_1", 403), ("ca_operator", 403)):
        sign_in(client, getattr(cast, persona))
        assert client.post(url).status_code == expected
    sign_in(client, cast.clerk_a)
    assert client.post(url).status_code == 302


# --- query budgets --------------------------------------------------------------------------
BUDGET_PERSONA = {
    "province": "officer_1",
    "stock": "ca_operator",
    "stock_import": "ca_operator",
    "minutes_detail": "ca_operator",
}


def _count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def test_every_page_costs_the_same_queries_at_10_and_100_devices(client, cast):
    f.CAOrgFactory()
    world = populate(cast, 10)
    urls = pages(cast, world)

    def measure():
        counts = {}
        for name, url in urls.items():
            sign_in(client, getattr(cast, BUDGET_PERSONA.get(name, "clerk_a")))
            client.get(url)  # warm the session and per-process caches
            counts[name] = _count_queries(client, url)
            page = client.get(url + ("&" if "?" in url else "?") + "page_size=100")
            assert page.status_code == 200
        # The CA's view of everything, too.
        sign_in(client, cast.ca_operator)
        counts["list (CA)"] = _count_queries(client, reverse("devices:list") + "?page_size=100")
        counts["export (CA)"] = _count_queries(client, reverse("devices:list") + "?xuat=xlsx")
        return counts

    at_10 = measure()
    populate(cast, 90, start=100)
    # The documents of the first batch now list 10 of 100; compare pages that grew with it.
    world_100 = SimpleNamespace(
        device=world.device,
        notice=world.notice,
        minutes=world.minutes,
        report=world.report,
    )
    urls.update(pages(cast, world_100))
    at_100 = measure()
    assert Device.objects.count() == 7 * 100  # 100 in each of the seven groups of populate()
    assert at_100 == at_10
    assert max(at_10.values()) <= 25, at_10
