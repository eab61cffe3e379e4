"""Many registry certificates made fast for the bulk tests: built by the factory, written in
one bulk insert, issued by the test CA so the CRL lists them once revoked."""

from datetime import timedelta

from django.utils import timezone

from agencies.choices import Role
from certificates.choices import SubjectKind
from certificates.models import Certificate
from tests import factories as f


def certificates_of(agency, n: int, *, issuer=None, people: int = 10, **fields) -> list[int]:
    """`n` valid certificates of people of `agency` (shared among `people` persons); their ids."""
    persons = [f.PersonFactory(organization=agency) for _ in range(min(people, n))]
    now = timezone.now()
    built = [
        f.CertificateFactory.build(
            person=persons[i % len(persons)],
            agency=agency,
            issuer=issuer,
            # a placeholder DER: the registry's row is what revocation and the CRL read
            der=b"\x30\x00" if issuer is not None else b"",
            not_before=now - timedelta(days=10, seconds=i),
            not_after=now + timedelta(days=300),
            **fields,
        )
        for i in range(n)
    ]
    return [c.pk for c in Certificate.objects.bulk_create(built)]


def organization_certificate(agency, *, issuer=None) -> Certificate:
    return f.CertificateFactory(
        subject_kind=SubjectKind.ORGANIZATION,
        person=None,
        subject_organization=agency,
        agency=agency,
        issuer=issuer,
        der=b"\x30\x00" if issuer is not None else b"",  # as certificates_of's
    )


def second_ca_operator(cast, username="ca_operator_2"):
    user = f.UserFactory(username=username)
    f.MembershipFactory(user=user, role=Role.CA_OPERATOR, organization=cast.ca_org)
    return user
