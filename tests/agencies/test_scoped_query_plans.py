"""On PostgreSQL, `visible_to(user)` of letters and certificates is served by indexes on the
rows' own columns, whatever the user's roles: no sequential scan of the table and no OR
across a join to the organisation tree (which forced one at 200,000 letters).

Sequential scans are switched off for the plan, so a plan that still scans the table means
no index can serve the filter; the index conditions name which index does.
"""

import pytest
from django.db import connection

from agencies.choices import Role
from certificates.models import Certificate
from requests_app.choices import FormKind
from requests_app.models import CertRequest
from tests import factories as f
from tests.helpers import postgresql_only

pytestmark = [pytest.mark.services, pytest.mark.django_db]

LETTERS = "requests_app_certrequest"
CERTIFICATES = "certificates_certificate"
BY_AGENCY = "Index Cond: (agency_id = ANY ($"
# A scope of one rule is a semi-join on the organisations (an IN subquery, planned with the
# organisations' row count): the certificate or letter index is probed per organisation.
BY_AGENCY_JOIN = "Index Cond: (agency_id = u0.id)"


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        postgresql_only("the query plan tests")


@pytest.fixture
def letters(cast):
    """A draft, an issued and a forwarded letter in each agency."""
    for agency in (cast.agency_a, cast.agency_b, cast.agency_c):
        CertRequest.objects.create(form=FormKind.ISSUE_PERSON, agency=agency, created_by=cast.admin)
        CertRequest.objects.create(
            form=FormKind.REVOKE, agency=agency, created_by=cast.admin, issued_on="2026-01-05"
        )
        CertRequest.objects.create(
            form=FormKind.ISSUE_PERSON, agency=agency, created_by=cast.admin,
            issued_on="2026-01-05", forwarded_at="2026-01-06T08:00:00+07:00",
        )  # fmt: skip


def plan(queryset) -> str:
    """The plan of the scope's filter alone. The model's order is left out: on a few rows as
    wide as a letter's, walking the whole creation-order index backwards costs less than
    sorting, which hides the indexes the scope is served by at scale."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # until the test's rollback
    return queryset.order_by().explain()


def assert_served_by_indexes(text: str, table: str, *conditions: str) -> None:
    assert f"Seq Scan on {table}" not in text, text
    assert "Join Filter" not in text, text
    for condition in conditions:
        assert condition in text, text


def test_a_clerks_letters_are_found_through_the_agency_index(cast, letters):
    text = plan(CertRequest.objects.visible_to(cast.clerk_a))
    assert_served_by_indexes(text, LETTERS, BY_AGENCY_JOIN, "agencies_organization_path")


def test_a_provincial_officers_letters_are_found_through_the_agency_index(cast, letters):
    # One rule (the province's organisations AND the letter issued): a semi-join too.
    text = plan(CertRequest.objects.visible_to(cast.officer_1))
    assert_served_by_indexes(text, LETTERS, BY_AGENCY_JOIN, "Index Cond: (province_id = ")


def test_the_letters_that_reached_the_ca_are_found_through_their_own_index(cast, letters):
    text = plan(CertRequest.objects.visible_to(cast.ca_operator))
    assert_served_by_indexes(text, LETTERS, "req_reached_ca_idx")


def test_a_user_with_several_roles_gets_one_index_per_role_not_an_or_across_a_join(cast, letters):
    f.MembershipFactory(user=cast.officer_2, role=Role.AGENCY_CLERK, organization=cast.agency_a)
    f.MembershipFactory(user=cast.officer_2, role=Role.CA_OPERATOR, organization=cast.ca_org)
    text = plan(CertRequest.objects.visible_to(cast.officer_2))
    assert_served_by_indexes(text, LETTERS, "BitmapOr", BY_AGENCY, "req_reached_ca_idx")


def test_the_certificates_of_a_clerk_who_holds_one_are_found_through_two_indexes(cast):
    f.PersonFactory(organization=cast.agency_b, user=cast.clerk_a)
    f.CertificateFactory(agency=cast.agency_a)
    f.CertificateFactory(agency=cast.agency_c)
    text = plan(Certificate.objects.visible_to(cast.clerk_a))
    assert_served_by_indexes(text, CERTIFICATES, "BitmapOr", BY_AGENCY, "(person_id = ")


def test_a_provincial_officers_certificates_are_found_through_the_agency_index(cast):
    f.CertificateFactory(agency=cast.agency_a)
    f.CertificateFactory(agency=cast.agency_c)
    text = plan(Certificate.objects.visible_to(cast.officer_1))
    assert_served_by_indexes(text, CERTIFICATES, BY_AGENCY_JOIN, "agencies_organization_path")


def test_within_is_served_by_the_path_index(cast):
    f.CertificateFactory(agency=cast.agency_a)
    text = plan(Certificate.objects.within(cast.agency_a.path, cast.agency_c.path))
    assert_served_by_indexes(text, CERTIFICATES, BY_AGENCY, "agencies_organization_path")
