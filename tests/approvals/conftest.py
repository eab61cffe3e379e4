"""Fixtures of the approval rules' tests; their helpers are in tests/approvals/rules.py."""

import pytest

from tests import factories as f


@pytest.fixture
def admin_2(cast):
    """A second administrator: may approve what `cast.admin` requests."""
    return f.UserFactory(username="admin_2", is_superuser=True, is_staff=True)
