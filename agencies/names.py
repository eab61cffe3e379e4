"""How pages name a user in history and audit displays: the person's full name (a user's
name lives on their `Person`, docs/domain.md), then the account's own name, and the username
only as a last resort."""


def display_name(person_name: str | None, first_name: str, last_name: str, username: str) -> str:
    """The rule above, from the names themselves (read with something else, as JSON)."""
    return person_name or f"{first_name or ''} {last_name or ''}".strip() or username or ""
