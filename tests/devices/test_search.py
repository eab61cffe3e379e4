"""The device lists' searches forgive accents (portal/lib/search.py): the Mẫu 07, 08 and 09
lists and the return obligations find a document by its device holder's name typed without
accents ("huong" for Phạm Thị Hường, the `token` fixture's holder), on PostgreSQL and SQLite."""

import pytest

from devices.filters_documents import (
    LossReportFilterSet,
    MinutesFilterSet,
    NoticeFilterSet,
    ObligationFilterSet,
)
from devices.models import HandoverNotice, LossReport, ReturnMinutes, ReturnObligation
from tests.devices.document_builders import BUILDERS

pytestmark = pytest.mark.django_db

LISTS = {
    "07": (NoticeFilterSet, HandoverNotice),
    "08": (MinutesFilterSet, ReturnMinutes),
    "09": (LossReportFilterSet, LossReport),
}


@pytest.mark.parametrize("form", sorted(LISTS))
def test_a_device_document_is_found_by_its_holder_typed_without_accents(cast, token, form):
    document = BUILDERS[form](cast, token)
    filterset_class, model = LISTS[form]

    def found(query):
        return list(filterset_class({"q": query}, queryset=model.objects.all()).qs)

    assert found("huong") == [document]
    assert found("PHAM THI HUONG") == [document]
    assert found("hoa") == []


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
