"""Search forgives accents on every list (portal/lib/search.py): "Hang" finds "Hằng", "dang"
finds "Đặng", on PostgreSQL and on SQLite; letters are found by a person, ID number or serial in
their rows. The device lists are in tests/devices/test_search.py."""

import pytest
from django.db import connection
from django.urls import reverse

from certificates.models import Certificate
from devices.models import Device
from portal.lib.search import FOLD_FROM, FOLD_TO, fold
from requests_app.choices import Status
from requests_app.filters_queue import QueueFilterSet
from requests_app.models import CertRequest
from tests import factories as f
from tests.helpers import sign_in
from tests.requests_app.letters import letter_at

pytestmark = pytest.mark.django_db

VIETNAMESE = "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ"


def test_fold_takes_accents_and_case_off_every_vietnamese_letter():
    assert fold("Trần Thị Hằng") == "tran thi hang"
    assert fold("ĐẶNG ƯNG") == "dang ung"
    folded = fold(VIETNAMESE + VIETNAMESE.upper())
    assert folded.isascii() and folded.isalpha()


def test_the_database_folds_every_letter_exactly_as_python_does():
    with connection.cursor() as cursor:
        cursor.execute("SELECT portal_fold(%s), portal_fold(%s)", [FOLD_FROM, "Hằng"])
        from_database, hang = cursor.fetchone()
    assert from_database == fold(FOLD_FROM) == FOLD_TO.lower()
    assert hang == "hang"


def _listed(client, url, query) -> str:
    response = client.get(url, {"q": query})
    assert response.status_code == 200
    return response.content.decode()


def test_the_certificate_list_finds_hang_and_dang_without_their_accents(client, cast):
    hang = f.certificate_valid_for(
        cast, person=f.PersonFactory(organization=cast.agency_a, full_name="Trần Thị Hằng")
    )
    dang = f.certificate_valid_for(
        cast, person=f.PersonFactory(organization=cast.agency_a, full_name="Đặng Văn Nam")
    )
    elsewhere = f.certificate_valid_for(
        cast,
        cast.agency_c,
        person=f.PersonFactory(organization=cast.agency_c, full_name="Lê Thị Hằng"),
    )
    sign_in(client, cast.clerk_a)
    url = reverse("certificates:list")

    page = _listed(client, url, "Hang")
    assert hang.serial in page and dang.serial not in page
    assert elsewhere.serial not in page  # another province's agency: out of scope
    page = _listed(client, url, "dang van")
    assert dang.serial in page and hang.serial not in page
    assert Certificate.objects.count() == 3


def test_the_device_list_finds_its_holder_without_accents(client, cast):
    holder = f.PersonFactory(organization=cast.agency_a, full_name="Trần Thị Hằng")
    found = f.DeviceFactory(agency=cast.agency_a, holder=holder, status="delivered_to_agency")
    other = f.DeviceFactory(
        agency=cast.agency_a,
        holder=f.PersonFactory(organization=cast.agency_a, full_name="Lê Văn Nam"),
        status="delivered_to_agency",
    )
    sign_in(client, cast.clerk_a)

    page = _listed(client, reverse("devices:list"), "hang")
    assert found.serial in page and other.serial not in page
    assert Device.objects.count() == 2


@pytest.fixture
def letter_of_hang(cast):
    letter = f.letter_draft(cast)
    f.letter_row_add(letter, cast.clerk_a, full_name="Trần Thị Hằng", national_id="012190009999")
    other = f.letter_draft(cast)
    f.letter_row_add(other, cast.clerk_a, full_name="Lê Văn Nam", national_id="012190001111")
    return letter, other


@pytest.mark.parametrize("query", ["hang", "TRAN THI HANG", "012190009999"])
def test_the_letters_list_finds_a_letter_by_a_person_or_id_number_in_its_rows(
    client, cast, letter_of_hang, query
):
    letter, other = letter_of_hang
    sign_in(client, cast.clerk_a)

    page = _listed(client, reverse("requests_app:list"), query)
    assert reverse("requests_app:detail", args=[letter.pk]) in page
    assert reverse("requests_app:detail", args=[other.pk]) not in page


def test_the_letters_list_finds_a_letter_by_a_certificate_serial_in_its_rows(client, cast):
    from requests_app.choices import FormKind

    certificate = f.certificate_valid_for(cast)
    letter = f.letter_draft(cast, form=FormKind.REVOKE)
    letter.rows.create(position=1, certificate=certificate, revoke_reason="other")
    other = f.letter_draft(cast, form=FormKind.REVOKE)
    sign_in(client, cast.clerk_a)

    page = _listed(client, reverse("requests_app:list"), certificate.serial.lower())
    assert reverse("requests_app:detail", args=[letter.pk]) in page
    assert reverse("requests_app:detail", args=[other.pk]) not in page


def test_another_agencys_letter_is_not_found_by_its_rows(client, cast, letter_of_hang):
    sign_in(client, cast.clerk_b)
    page = _listed(client, reverse("requests_app:list"), "hang")
    for letter in letter_of_hang:
        assert reverse("requests_app:detail", args=[letter.pk]) not in page


def test_the_province_queue_finds_a_letter_by_a_person_without_accents(cast):
    letter = letter_at(cast, Status.PROVINCE_REVIEW)
    letter.rows.update(full_name="Trần Thị Hằng")
    other = letter_at(cast, Status.PROVINCE_REVIEW)
    queue = CertRequest.objects.filter(status=Status.PROVINCE_REVIEW)

    found = QueueFilterSet({"q": "Hang"}, queryset=queue).qs
    assert list(found) == [letter]
    assert other not in QueueFilterSet({"q": "hằng"}, queryset=queue).qs
