"""The one document-numbering service: per organisation, per series, per year."""

import threading

import pytest
from django.db import IntegrityError, connection, transaction

from agencies.models import DocumentCounter
from agencies.services import document_number_next
from tests import factories as f


def test_numbers_count_up_per_organisation_series_and_year(db):
    agency = f.AgencyFactory(short_name="STC")
    other = f.AgencyFactory(short_name="SYT")
    draw = document_number_next
    assert draw(organization=agency, series="BBGN", year=2026) == "1/BBGN-STC"
    assert draw(organization=agency, series="BBGN", year=2026) == "2/BBGN-STC"
    assert draw(organization=agency, series="TBBG", year=2026) == "1/TBBG-STC"
    assert draw(organization=agency, series="BBGN", year=2027) == "1/BBGN-STC"
    assert draw(organization=other, series="BBGN", year=2026) == "1/BBGN-SYT"


def test_the_letter_pattern_reproduces_the_letters_numbers(db):
    agency = f.AgencyFactory(short_name="STC")
    unnamed = f.AgencyFactory(short_name="")
    letter = {"series": "CKS", "year": 2026, "pattern": "{n}/{org}-{series}", "blank_org": "CV"}
    assert document_number_next(organization=agency, **letter) == "1/STC-CKS"
    assert document_number_next(organization=agency, **letter) == "2/STC-CKS"
    assert document_number_next(organization=unnamed, **letter) == "1/CV-CKS"


def test_a_new_counter_starts_after_the_numbers_already_used(db):
    agency = f.AgencyFactory(short_name="STC")
    number = document_number_next(organization=agency, series="BBTL", year=2026, start=lambda: 4)
    assert number == "5/BBTL-STC"
    # `start` is read once, when the year's counter is created.
    number = document_number_next(organization=agency, series="BBTL", year=2026, start=lambda: 9)
    assert number == "6/BBTL-STC"


def test_a_rolled_back_document_gives_its_number_back(db):
    agency = f.AgencyFactory(short_name="STC")
    document_number_next(organization=agency, series="BBGN", year=2026)
    with pytest.raises(RuntimeError), transaction.atomic():
        document_number_next(organization=agency, series="BBGN", year=2026)
        raise RuntimeError
    assert document_number_next(organization=agency, series="BBGN", year=2026) == "2/BBGN-STC"


def test_the_database_refuses_a_second_counter_for_the_same_series(db):
    agency = f.AgencyFactory()
    DocumentCounter.objects.create(organization=agency, series="BBGN", year=2026)
    with pytest.raises(IntegrityError), transaction.atomic():
        DocumentCounter.objects.create(organization=agency, series="BBGN", year=2026)


@pytest.mark.django_db(transaction=True)
def test_concurrent_issuance_never_draws_the_same_number():
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    agency = f.AgencyFactory(short_name="STC")
    numbers, errors = [], []
    barrier = threading.Barrier(8)

    def draw():
        try:
            barrier.wait()
            numbers.append(document_number_next(organization=agency, series="BBGN", year=2026))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=draw) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(numbers) == sorted(f"{n}/BBGN-STC" for n in range(1, 9))
