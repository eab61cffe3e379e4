"""Reading the cells of an imported sheet: the combined ID cell, phones, dates."""

from datetime import date, datetime

import pytest

from requests_app import excel

pytestmark = pytest.mark.django_db


# --- cell readers ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "cell, expected",
    [
        ("012190001234 / 01/07/2021, CCSQLHCVTTXH", ("012190001234", date(2021, 7, 1))),
        ("012190001234\n01/07/2021\nCCSQLHCVTTXH", ("012190001234", date(2021, 7, 1))),
        (
            "012190001234; ngày cấp 1-7-2021; nơi cấp: CCSQLHCVTTXH",
            ("012190001234", date(2021, 7, 1)),
        ),
        ("012190001234, 01.07.2021, CCSQLHCVTTXH", ("012190001234", date(2021, 7, 1))),
    ],
)
def test_the_combined_id_cell_is_split(cell, expected):
    national_id, issued, place = excel.split_id_cell(cell)
    assert (national_id, issued) == expected
    assert place == "CCSQLHCVTTXH"


def test_an_id_cell_with_only_the_number():
    assert excel.split_id_cell(12190001234) == ("012190001234", None, "")
    assert excel.split_id_cell("012190001234") == ("012190001234", None, "")


@pytest.mark.parametrize(
    "cell, expected",
    [
        (912345678, "0912345678"),
        (912345678.0, "0912345678"),
        ("0912 345 678", "0912345678"),
        ("+84912345678", "0912345678"),
        ("84912345678", "0912345678"),
        ("0912.345.678", "0912345678"),
        (None, ""),
    ],
)
def test_phone_numbers_get_their_leading_zero_back(cell, expected):
    assert excel.read_phone(cell) == expected


@pytest.mark.parametrize(
    "cell, expected",
    [
        (datetime(1990, 3, 5, 0, 0), date(1990, 3, 5)),
        ("05/03/1990", date(1990, 3, 5)),
        ("5/3/1990", date(1990, 3, 5)),
        ("1990-03-05", date(1990, 3, 5)),
        (32937, date(1990, 3, 5)),  # an Excel day number in a cell not formatted as a date
    ],
)
def test_dates_are_read_day_first(cell, expected):
    assert excel.read_date(cell) == expected


def test_an_impossible_date_is_reported():
    with pytest.raises(excel.CellError):
        excel.read_date("31/02/1990")
