"""Texts kept for later display are data (docs/architecture.md §2, "Languages"): a code (the
gettext msgid, Vietnamese, marked with `gettext_noop` so that it is extracted) and its
parameters, rendered in the reader's language when shown. A notification, a letter's
verification summary or an access-log entry stores both the data (`Text.data`, JSON) and the
text in the portal's default language (the column rows had before, read when the data is
absent: rows written before keep showing their text, and e-mail is written in Vietnamese).

`Text` is a `str`: the text in the language active when it was made, so that it goes wherever
a message went before (an error, a join, a comparison); what stores it keeps `.data` too.
A parameter may itself be a `Text` or a lazy translation (a choice's label), rendered in the
reader's language as well; every other parameter is stored as it is (numbers, names, dates
already dd/mm/yyyy).
"""

from collections.abc import Iterable

from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext, ngettext


def _render(data: dict) -> str:
    if "parts" in data:  # `joined`
        return data.get("sep", "; ").join(
            _render(part) if isinstance(part, dict) else str(part) for part in data["parts"]
        )
    params = {
        name: _render(value) if isinstance(value, dict) and "code" in value else value
        for name, value in (data.get("params") or {}).items()
    }
    code = data["code"]
    plural = data.get("plural")
    template = ngettext(code, plural, params.get("n", 1)) if plural else gettext(code)
    rendered = template % params if params else template
    return rendered.lower() if data.get("lower") else rendered


class Text(str):
    """A message as data and as text. Make one with `text()` or `plural()`; never format it
    afterwards with `%` (the result is a plain string again, its data lost)."""

    data: dict

    def __new__(cls, data: dict) -> "Text":
        made = super().__new__(cls, _render(data))
        made.data = data
        return made

    def __reduce__(self):
        return (Text, (self.data,))

    def in_default_language(self) -> str:
        """The text in the portal's default language, for the text column beside the data."""
        with translation.override(settings.LANGUAGE_CODE):
            return _render(self.data)


def _param(value):
    """A parameter as stored: a `Text`'s data; a lazy translation (a choice's label) as the
    code it translates; anything else as it is."""
    if isinstance(value, Text):
        return value.data
    if isinstance(value, Promise):
        # `gettext_lazy(msgid)` keeps its one argument; any other lazy text is stored as
        # the text it is now.
        args = getattr(value, "_args", ())
        if len(args) == 1 and isinstance(args[0], str):
            return {"code": args[0]}
        return str(value)
    return value


def text(code: str, /, **params) -> Text:
    """`code`, a msgid marked with `gettext_noop`, with its `%(name)s` parameters."""
    data: dict = {"code": code}
    if params:
        data["params"] = {name: _param(value) for name, value in params.items()}
    return Text(data)


def plural(singular: str, plural_form: str, n: int, /, **params) -> Text:
    """A message with a count `n` (ngettext's forms, both marked with `ngettext_noop`-style
    `gettext_noop`), `%(n)d` among its parameters."""
    data = {
        "code": singular,
        "plural": plural_form,
        "params": {"n": n, **{name: _param(value) for name, value in params.items()}},
    }
    return Text(data)


def lowered(label) -> Text:
    """A label (a `Text` or a choice's lazy label) written in lower case, in a sentence."""
    data = _param(label)
    if not isinstance(data, dict):
        data = {"code": str(data)}
    return Text({**data, "lower": True})


def joined(parts: Iterable[str], sep: str = "; ") -> Text:
    """Several messages as one line (each part a `Text` or a plain string)."""
    return Text({"parts": [_param(part) for part in parts], "sep": sep})


def data_of(message: str) -> dict:
    """What to store beside a message's text: its data, or {} for a plain string (a person's
    own words, or a caller not converted yet: shown as written)."""
    return message.data if isinstance(message, Text) else {}


def default_text(message: str) -> str:
    """The text column beside the data: the portal's default language for a `Text`."""
    return message.in_default_language() if isinstance(message, Text) else str(message)


def shown(data: dict | None, stored: str) -> str:
    """A stored message in the reader's language: rendered from its data, or the stored text
    when it has none (rows from before) or the data no longer renders (a parameter renamed)."""
    if not data or ("code" not in data and "parts" not in data):
        return stored
    try:
        return _render(data)
    except (KeyError, TypeError, ValueError):
        return stored


def shown_all(items: Iterable) -> list[str]:
    """A stored list of messages (data dicts, or plain strings from before) as text."""
    return [
        shown(item, "") if isinstance(item, dict) else str(item)
        for item in items
        if item not in (None, "")
    ]
