"""The planner's snapshot (orgmerge.snapshot): what it loads, in a number of queries that does
not grow with the rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orgmerge.snapshot import load_snapshot
from tests import factories as f

pytestmark = pytest.mark.django_db


def _queries(source_ids) -> int:
    with CaptureQueriesContext(connection) as queries:
        load_snapshot(source_ids)
    return len(queries)


def test_the_snapshot_holds_the_subtrees_and_nothing_else(cast, world):
    snapshot = load_snapshot([cast.agency_a.pk, cast.agency_b.pk])
    assert {s.id for s in snapshot.sources} == {cast.agency_a.pk, cast.agency_b.pk}
    assert cast.unit_a.pk in snapshot.orgs and cast.agency_c.pk not in snapshot.orgs
    certificates = {c.id for c in snapshot.certificates}
    assert world.cert_unit.pk in certificates and world.cert_c.pk not in certificates
    assert {letter.id for letter in snapshot.letters} == {world.letter_b.pk}
    assert world.token.pk in snapshot.devices
    days = {c.id: c.days_left for c in snapshot.certificates}
    assert days[world.cert_b.pk] == 20


def test_the_snapshot_query_count_is_constant_in_the_number_of_rows(cast, world):
    sources = [cast.agency_a.pk, cast.agency_b.pk]
    small = _queries(sources)
    for index in range(20):
        unit = f.UnitFactory(parent=cast.agency_b, name=f"Phòng {index}")
        device = f.DeviceFactory(agency=cast.agency_b)
        f.certificate_valid_for(cast, cast.agency_b, 300 + index, device=device)
        f.certificate_valid_for(cast, cast.agency_b, 300, person=f.PersonFactory(organization=unit))
    assert len(load_snapshot(sources).certificates) > 40
    assert _queries(sources) == small == 6
