"""Tests stand alone: no test module imports another test module or a conftest (shared
fixtures live in conftest.py, shared builders in helper modules)."""

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
