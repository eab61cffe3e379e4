"""docs/privacy.md's table is written from the inventory by `manage.py privacy_docs`
(docs/privacy.md §2): the committed file must be what the command writes."""

import pytest
from django.core.management import CommandError, call_command

from privacy.table import DOCS_PATH, END, START, markdown_table, written_docs


def test_the_committed_docs_are_what_the_command_writes():
    current = DOCS_PATH.read_text(encoding="utf-8")
    assert written_docs(current) == current, "run: manage.py privacy_docs"


def test_the_check_fails_when_the_table_was_edited_by_hand(tmp_path, monkeypatch):
    edited = tmp_path / "privacy.md"
    edited.write_text(
        DOCS_PATH.read_text(encoding="utf-8").replace("`agencies.Person`", "`agencies.Personne`"),
        encoding="utf-8",
    )
    monkeypatch.setattr("privacy.management.commands.privacy_docs.DOCS_PATH", edited)
    with pytest.raises(CommandError):
        call_command("privacy_docs", "--check")
    call_command("privacy_docs")
    call_command("privacy_docs", "--check")
    assert edited.read_text(encoding="utf-8") == DOCS_PATH.read_text(encoding="utf-8")


def test_the_table_is_english_and_names_every_declared_model():
    table = markdown_table()
    assert "| `agencies.Person` | `full_name, id_issue_place` |" in table
    assert "| `agencies.Person` | `national_id, id_issue_date` |" in table
    assert "Identity" in table and "Định danh" not in table
    assert START in DOCS_PATH.read_text(encoding="utf-8")
    assert END in DOCS_PATH.read_text(encoding="utf-8")
