"""The English catalogue stays complete: every extracted string translated, none fuzzy, and the
compiled .mo matches its .po (run `make messages` after adding strings)."""

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers import service_missing

LOCALE = Path(__file__).resolve().parents[2] / "locale"


@pytest.fixture
def gettext_tools():
    if not shutil.which("msgattrib"):
        service_missing("gettext tools are not installed (apt-get install gettext)")


def msgids(*args: str) -> list[str]:
    out = subprocess.run(
        ["msgattrib", *args, "--no-wrap", str(LOCALE / "en/LC_MESSAGES/django.po")],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return [line for line in out.splitlines() if line.startswith("msgid ") and line != 'msgid ""']


def test_every_english_string_is_translated(gettext_tools):
    assert msgids("--untranslated") == []


def test_no_english_translation_is_fuzzy(gettext_tools):
    assert msgids("--only-fuzzy") == []


def test_the_compiled_catalogue_matches_its_source(gettext_tools, tmp_path):
    for language in ("en", "vi"):
        compiled = tmp_path / f"{language}.mo"
        subprocess.run(
            ["msgfmt", "--check", "-o", str(compiled), str(LOCALE / language / "LC_MESSAGES/django.po")],
            check=True,
        )  # fmt: skip
        assert compiled.read_bytes() == (LOCALE / language / "LC_MESSAGES/django.mo").read_bytes()
