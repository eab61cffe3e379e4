"""Text made safe for PostgreSQL before it is stored where nobody validated it first: the audit
trail (a path, a header, a name as typed) and every JSON column (docs/security.md §6).

PostgreSQL refuses a NUL character in text and `\\u0000` in jsonb, and a lone surrogate (which
Python strings can hold but UTF-8 cannot encode) fails before the query is even sent: either
would turn a hostile request into a server error. NUL is dropped; a surrogate becomes U+FFFD.
"""

import re

from django.core.serializers.json import DjangoJSONEncoder

_UNSAFE = re.compile("[\x00\ud800-\udfff]")


def _replace(match: re.Match) -> str:
    return "" if match.group() == "\x00" else "\ufffd"


def safe_text(text: str) -> str:
    """`text` without NUL, each lone surrogate replaced by U+FFFD."""
    if _UNSAFE.search(text) is None:
        return text
    return _UNSAFE.sub(_replace, text)


def safe_json(value):
    """`value` with every string in it (dictionary keys included) made safe by `safe_text`;
    other values are returned as they are."""
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, dict):
        return {safe_json(key): safe_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [safe_json(item) for item in value]
    return value


class SafeJSONEncoder(DjangoJSONEncoder):
    """The encoder of every JSON column: what `DjangoJSONEncoder` writes (dates, decimals,
    UUIDs), with every string made safe first."""

    def encode(self, o):
        return super().encode(safe_json(o))
