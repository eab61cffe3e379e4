"""The organisations' codes and the letters of the edXML tests (test_edxml.py,
test_edxml_hostile.py, bench/bench_edxml.py)."""

import contextlib

from agencies.choices import Role
from agencies.models import Organization
from tests import factories as f

CODES = {
    "province_1": "000.00.00.H03",
    "office_1": "000.00.12.H03",
    "agency_a": "000.00.05.H03",
    "ca_org": "000.00.01.G14",
}


@contextlib.contextmanager
def coded(cast):
    """The cast's organisations with their codes, in the database and on the cast's objects
    (which outlive the test: put back after it)."""
    for name, code in CODES.items():
        org = getattr(cast, name)
        Organization.objects.filter(pk=org.pk).update(code=code)
        org.code = code
    try:
        yield
    finally:
        for name in CODES:
            getattr(cast, name).code = None


def ca_registrar(cast):
    """A second account of the CA, its registry clerk (văn thư): who imports a package is its
    letter's creator, so another operator decides on it (the lifecycle's "not the drafter")."""
    user = f.UserFactory(username="ca_registrar")
    f.MembershipFactory(user=user, role=Role.CA_OPERATOR, organization=cast.ca_org)
    return user
