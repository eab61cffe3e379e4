"""A province-1 world for merger tests, on top of the cast: organisation certificates of
agencies A and B, people of A, of A's unit and of B with certificates (one on a token, one
close to expiry), an open letter of B, and a certificate of agency C (another province)
that no merger of province 1 may touch."""

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from certificates.choices import SubjectKind
from tests import factories as f


def _org_cert(org, days):
    return f.CertificateFactory(
        subject_kind=SubjectKind.ORGANIZATION,
        person=None,
        subject_organization=org,
        agency=org,
        not_after=timezone.now() + timedelta(days=days, hours=1),
    )


@pytest.fixture
def world(cast):
    from requests_app import services as letters

    person_a = f.PersonFactory(organization=cast.agency_a, full_name="Lò Văn An")
    person_unit = cast.subscriber  # in unit A
    person_b = f.PersonFactory(organization=cast.agency_b, full_name="Hà Thị Bình")
    person_b_leaving = f.PersonFactory(organization=cast.agency_b, full_name="Vàng A Chư")
    token = f.DeviceFactory(agency=cast.agency_b, holder=person_b_leaving)
    person_c = f.PersonFactory(organization=cast.agency_c)
    return SimpleNamespace(
        org_cert_a=_org_cert(cast.agency_a, 300),
        org_cert_b=_org_cert(cast.agency_b, 200),
        cert_a=f.certificate_valid_for(cast, cast.agency_a, 400, person=person_a),
        cert_unit=f.certificate_valid_for(cast, cast.agency_a, 400, person=person_unit),
        cert_b=f.certificate_valid_for(cast, cast.agency_b, 20, person=person_b),
        cert_b_leaving=f.certificate_valid_for(
            cast, cast.agency_b, 300, person=person_b_leaving, device=token
        ),
        cert_c=f.certificate_valid_for(cast, cast.agency_c, 300, person=person_c),
        person_a=person_a,
        person_b=person_b,
        person_b_leaving=person_b_leaving,
        token=token,
        letter_b=letters.cert_request_create(
            agency=cast.agency_b, form="01", by=cast.clerk_b, **f.LETTER_CONTACT
        ),
        effective_on=date.today() + timedelta(days=10),
    )
