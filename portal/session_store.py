"""Django's database sessions, refusing a session key that Django could never have made.

Django's keys are 32 lower-case letters and digits; its own check only asks for 8 characters,
so a cookie carrying a NUL byte reached PostgreSQL, which refuses NUL in text and failed the
request with a 500 (found by tests/fuzz). A key of any other shape is treated as no key: the
request is anonymous, as with a session that ended."""

import re

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore

_KEY = re.compile(r"[a-z0-9]{8,40}")


class SessionStore(DatabaseSessionStore):
    def _validate_session_key(self, key):
        return bool(key) and _KEY.fullmatch(key) is not None
