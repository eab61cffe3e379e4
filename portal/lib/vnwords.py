"""Numbers in Vietnamese words, as administrative documents write quantities
("15 (bằng chữ: mười lăm)", docs/domain.md §3.2).

Standard usage: "mười" for ten, "mốt" for a final 1 after twenty and above ("hai mươi mốt"),
"tư" for a final 4 after twenty and above ("hai mươi tư"), "lăm" for a final 5 after ten and
above ("mười lăm"), "linh" for an empty tens place ("một trăm linh năm"), and an inner group
under a hundred keeps its hundreds ("một nghìn không trăm linh năm"). Groups: nghìn, triệu, tỷ.
"""

_UNITS = ["không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"]
_GROUPS = ["", "nghìn", "triệu", "tỷ"]
MAX = 10**12 - 1


def _below_thousand(n: int, *, inner: bool) -> list[str]:
    """Words for 0 < n < 1000; `inner` when a higher group precedes it (keeps "không trăm")."""
    hundreds, rest = divmod(n, 100)
    tens, units = divmod(rest, 10)
    words: list[str] = []
    if hundreds or inner:
        words += [_UNITS[hundreds], "trăm"]
        if rest == 0:
            return words
        if tens == 0:
            return [*words, "linh", _UNITS[units]]
    if tens == 0:
        return [*words, _UNITS[units]]
    words += ["mười"] if tens == 1 else [_UNITS[tens], "mươi"]
    if units == 0:
        return words
    if units == 1 and tens >= 2:
        words.append("mốt")
    elif units == 4 and tens >= 2:
        words.append("tư")
    elif units == 5:
        words.append("lăm")
    else:
        words.append(_UNITS[units])
    return words


def number_in_words(n: int) -> str:
    """ "một trăm linh năm" for 105; 0 to 999,999,999,999. Outside that range: ValueError."""
    if not 0 <= n <= MAX:
        raise ValueError(f"{n} is outside 0–{MAX}")
    if n == 0:
        return _UNITS[0]
    groups: list[int] = []
    while n:
        n, group = divmod(n, 1000)
        groups.append(group)
    words: list[str] = []
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            continue
        words += _below_thousand(group, inner=bool(words))
        if _GROUPS[index]:
            words.append(_GROUPS[index])
    return " ".join(words)


def quantity_text(n: int) -> str:
    """ "15 (bằng chữ: mười lăm)"; numbers under ten with a leading zero ("02"), as
    administrative documents write counts."""
    return f"{n:02d} (bằng chữ: {number_in_words(n)})"
