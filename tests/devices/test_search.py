"""The return obligations' search (portal/lib/folding.py): an obligation is found by its
device's or certificate's serial, or by its subscriber's name typed without accents ("huong"
for Phạm Thị Hường, the `token` fixture's holder), on PostgreSQL and SQLite. The other lists
are in tests/portal/test_search_folding.py."""

import pytest

from devices.filters_documents import ObligationFilterSet
from devices.models import ReturnObligation
from tests.devices.document_builders import BUILDERS

pytestmark = pytest.mark.django_db


def test_a_return_obligation_is_found_by_its_holder_or_serials(cast, token):
    BUILDERS["08"](cast, token)
    obligation = ReturnObligation.objects.get(device=token)

    def found(query):
        data = {"q": query, "state": ""}
        return list(ObligationFilterSet(data, queryset=ReturnObligation.objects.all()).qs)

    assert found("huong") == [obligation]
    assert found("vt26000777") == [obligation]
    assert found("54ab0000deadbeef") == [obligation]
    assert found("hoa") == []
