"""Texts kept for later are data (portal/texts.py): made in one language, stored as JSON,
shown in the reader's; a text without data (a row from before) is shown as stored."""

import json
import pickle

from django.utils import translation
from django.utils.translation import gettext_noop

from certificates.choices import RevocationReason
from portal.texts import data_of, default_text, joined, lowered, plural, shown, shown_all, text

SIGNED = gettext_noop("Văn bản chờ ký: %(title)s")


def _stored(message) -> dict:
    return json.loads(json.dumps(data_of(message)))  # as the JSON column gives it back


def test_a_text_made_in_english_is_stored_as_data_and_shown_in_each_language():
    with translation.override("en"):
        message = text(SIGNED, title="Mẫu 01")
        assert message == "Letter awaiting signature: Mẫu 01"  # a str where a message went
    data = _stored(message)
    assert default_text(message) == "Văn bản chờ ký: Mẫu 01"  # the text column: Vietnamese
    with translation.override("vi"):
        assert shown(data, "") == "Văn bản chờ ký: Mẫu 01"
    with translation.override("en"):
        assert shown(data, "") == "Letter awaiting signature: Mẫu 01"


def test_a_label_given_as_a_parameter_is_shown_in_the_readers_language_too():
    message = text(SIGNED, title=lowered(RevocationReason.KEY_COMPROMISE.label))
    data = _stored(message)
    with translation.override("en"):
        english = str(RevocationReason.KEY_COMPROMISE.label).lower()
        assert shown(data, "") == f"Letter awaiting signature: {english}"
    with translation.override("vi"):
        vietnamese = str(RevocationReason.KEY_COMPROMISE.label).lower()
        assert shown(data, "") == f"Văn bản chờ ký: {vietnamese}"


def test_counts_and_joined_problems_render_per_language():
    two = plural(gettext_noop("%(n)d chữ ký hợp lệ"), gettext_noop("%(n)d chữ ký hợp lệ"), 2)
    problems = joined([text(gettext_noop("Chữ ký bị sửa đổi")), "nguyên văn"])
    with translation.override("en"):
        assert shown(_stored(two), "") == "2 valid signatures"
        assert shown(_stored(problems), "") == "Signature altered; nguyên văn"
        assert shown_all([_stored(text(gettext_noop("Chữ ký bị sửa đổi"))), "cũ"]) == [
            "Signature altered",
            "cũ",
        ]


def test_a_row_without_data_or_with_data_that_no_longer_renders_shows_its_text():
    assert shown({}, "Thông báo cũ") == "Thông báo cũ"
    assert shown({"code": SIGNED, "params": {"other": 1}}, "Thông báo cũ") == "Thông báo cũ"
    assert data_of("lời của người dùng") == {}
    assert default_text("lời của người dùng") == "lời của người dùng"


def test_a_text_survives_pickling_with_its_data():
    message = text(SIGNED, title="Mẫu 02")
    again = pickle.loads(pickle.dumps(message))  # noqa: S301 - our own bytes
    assert again == message and again.data == message.data
