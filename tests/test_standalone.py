"""Tests stand alone: no test module imports another test module or a conftest (shared
fixtures live in conftest.py, shared builders in helper modules); and they sign in through
the one helper that completes the second factor."""

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent
FORBIDDEN = re.compile(r"^\s*(from|import)\s+tests(\.\w+)*\.(test_\w+|conftest)\b", re.M)


def test_no_test_module_imports_another_test_module_or_a_conftest():
    offenders = [
        f"{path.relative_to(TESTS)}: {match.group(0).strip()}"
        for path in TESTS.rglob("*.py")
        for match in FORBIDDEN.finditer(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_tests_sign_in_through_the_helper_that_completes_the_second_factor():
    """`client.force_login()` leaves an officer, a CA operator or an administrator on the
    second-factor page; `tests.helpers.sign_in()` completes it (agencies/accounts/)."""
    offenders = [
        str(path.relative_to(TESTS))
        for path in TESTS.rglob("*.py")
        if path.name not in {"helpers.py", "test_standalone.py"}
        and ".force_login(" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []
