"""Fixtures of the ground floor's tests."""

import pytest

from portal.models import AuditChainHead
from tests.audit_guard import audit_guard_suspended


@pytest.fixture
def cast(cast):
    """The suite's cast, on an empty audit trail: the audit tests count and number events from
    the first, and making the cast's users and roles records identity events
    (agencies/accounts/signals.py)."""
    AuditChainHead.objects.all().delete()
    with audit_guard_suspended() as cursor:
        cursor.execute("DELETE FROM portal_auditevent")
    return cast
