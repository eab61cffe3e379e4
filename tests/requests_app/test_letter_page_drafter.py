"""The letter's page names its drafter by their person's name, read in the letter's own query
by a subquery, never by a join to the people's registry: under the LIMIT of a lookup by key
PostgreSQL planned that join as a pass over a million people when hardly any of them held an
account (docs/scale.md §12.6)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from requests_app.choices import Status
from tests import factories as f
from tests.helpers import sign_in
from tests.requests_app.letters import letter_at

pytestmark = pytest.mark.django_db


def _letter_query(queries) -> str:
    (sql,) = [q["sql"] for q in queries if '"requests_app_certrequest"."contact_name"' in q["sql"]]
    return sql


def _drafter_line(html: str) -> str:
    start = html.index("Người soạn")
    return html[start : html.index("</dd>", start)]


def test_the_page_names_the_drafter_by_their_person_without_joining_the_people(client, cast):
    letter = letter_at(cast, Status.PROVINCE_REVIEW)
    f.PersonFactory(organization=cast.agency_a, user=cast.clerk_a, full_name="Lò Thị Phương")
    sign_in(client, cast.officer_1)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("requests_app:detail", args=[letter.pk]))

    assert response.status_code == 200
    assert "Lò Thị Phương" in _drafter_line(response.content.decode())
    letter_sql = _letter_query(queries)
    assert 'JOIN "agencies_person"' not in letter_sql
    assert '"agencies_person"' in letter_sql  # the subquery that reads the name


def test_a_drafter_without_a_person_is_named_by_their_account(client, cast):
    cast.clerk_a.first_name, cast.clerk_a.last_name = "Văn", "Thị Lan"
    cast.clerk_a.save(update_fields=["first_name", "last_name"])
    letter = letter_at(cast, Status.PROVINCE_REVIEW)
    sign_in(client, cast.officer_1)

    html = client.get(reverse("requests_app:detail", args=[letter.pk])).content.decode()

    assert "Văn Thị Lan" in _drafter_line(html)
