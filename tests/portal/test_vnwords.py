"""Quantities in Vietnamese words, as administrative documents write them (portal.lib.vnwords)."""

import pytest

from portal.lib.vnwords import number_in_words, quantity_text


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "không"),
        (5, "năm"),
        (10, "mười"),
        (11, "mười một"),
        (14, "mười bốn"),
        (15, "mười lăm"),
        (20, "hai mươi"),
        (21, "hai mươi mốt"),
        (24, "hai mươi tư"),
        (25, "hai mươi lăm"),
        (55, "năm mươi lăm"),
        (100, "một trăm"),
        (105, "một trăm linh năm"),
        (110, "một trăm mười"),
        (111, "một trăm mười một"),
        (115, "một trăm mười lăm"),
        (121, "một trăm hai mươi mốt"),
        (1000, "một nghìn"),
        (1005, "một nghìn không trăm linh năm"),
        (1050, "một nghìn không trăm năm mươi"),
        (2024, "hai nghìn không trăm hai mươi tư"),
        (10_000, "mười nghìn"),
        (15_300, "mười lăm nghìn ba trăm"),
        (21_000, "hai mươi mốt nghìn"),
        (100_001, "một trăm nghìn không trăm linh một"),
        (999_999, "chín trăm chín mươi chín nghìn chín trăm chín mươi chín"),
        (1_000_000, "một triệu"),
        (2_500_000, "hai triệu năm trăm nghìn"),
        (1_000_000_000, "một tỷ"),
    ],
)
def test_numbers_are_written_in_standard_vietnamese_words(n, words):
    assert number_in_words(n) == words


@pytest.mark.parametrize("n", [-1, 10**12])
def test_numbers_outside_the_supported_range_are_refused(n):
    with pytest.raises(ValueError):
        number_in_words(n)


def test_a_quantity_reads_n_then_bang_chu_with_a_leading_zero_under_ten():
    assert quantity_text(7) == "07 (bằng chữ: bảy)"
    assert quantity_text(15) == "15 (bằng chữ: mười lăm)"
