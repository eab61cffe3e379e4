"""How the portal names an account, everywhere (header, histories, jobs, approvals, PDFs):
the person's full name (a user's name lives on their `Person`, docs/domain.md), then the
account's own name, and the username only as a last resort. One rule, so that an account
never shows two names."""

from django.core.exceptions import ObjectDoesNotExist


def display_name(person_name: str | None, first_name: str, last_name: str, username: str) -> str:
    """The rule above, from the names themselves (read with something else, as JSON)."""
    return person_name or f"{first_name or ''} {last_name or ''}".strip() or username or ""


def account_name(user) -> str:
    """The rule above for an account ("" for none). Reads the account's person (one query,
    none when the caller fetched it with `select_related("…person")`)."""
    if user is None:
        return ""
    try:
        person = user.person
    except (ObjectDoesNotExist, AttributeError):
        person = None
    return display_name(
        person.full_name if person is not None else None,
        user.first_name,
        user.last_name,
        user.get_username(),
    )
