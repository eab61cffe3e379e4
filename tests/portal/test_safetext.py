"""Text stored where nobody validated it (the audit trail, every JSON column) is made safe for
PostgreSQL first: NUL dropped, a lone surrogate replaced (portal/lib/safetext.py)."""

import pytest

from portal.lib.safetext import safe_json, safe_text
from portal.models import IdempotencyKey

pytestmark = pytest.mark.django_db


def test_safe_text_drops_nul_and_replaces_a_lone_surrogate():
    assert safe_text("a\x00b\ud800c") == "ab\ufffdc"
    assert safe_text("Lò Thị Mai 😀") == "Lò Thị Mai 😀"


def test_safe_json_cleans_keys_and_nested_values_and_leaves_other_values():
    assert safe_json({"k\x00": ["\x00", 1, None, {"x": "\udfff"}]}) == {
        "k": ["", 1, None, {"x": "\ufffd"}]
    }


def test_a_json_column_stores_a_nul_and_a_lone_surrogate_without_a_server_error(cast):
    row = IdempotencyKey.objects.create(
        user=cast.clerk_a, key="k", fingerprint="f", body={"detail": "a\x00b\ud800"}
    )
    row.refresh_from_db()
    assert row.body == {"detail": "ab\ufffd"}
