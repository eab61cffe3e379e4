"""What the demand tests share besides their fixtures (tests/demand/conftest.py)."""

from certificates import services as ca_services
from certificates.choices import SubjectKind


def issue(cast, **kwargs):
    """A certificate from the simulated CA, by default a person's of agency A."""
    kwargs.setdefault("subject_kind", SubjectKind.PERSON)
    kwargs.setdefault("agency", cast.agency_a)
    kwargs.setdefault("by", cast.ca_operator)
    return ca_services.certificate_issue(**kwargs)
