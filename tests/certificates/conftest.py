"""Fixtures of the CA tests: certificates issued by the simulated CA (the `ca` fixture of
tests/conftest.py) and a relying party's download directory."""

import pytest

from certificates import services
from certificates.choices import SubjectKind
from tests.certificates.relying_party import Files
from tests.helpers import sign_in


@pytest.fixture(autouse=True)
def _ca_settings(settings):
    settings.SITE_URL = "https://cong-cks.thu-nghiem.gov.vn"


@pytest.fixture
def issue(ca, cast):
    """Issue a certificate for agency A's subscriber (or anything else, by keyword)."""

    def _issue(**kwargs):
        kwargs.setdefault("subject_kind", SubjectKind.PERSON)
        kwargs.setdefault("agency", cast.agency_a)
        if kwargs["subject_kind"] == SubjectKind.PERSON:
            kwargs.setdefault("person", cast.subscriber)
        kwargs.setdefault("by", cast.ca_operator)
        return services.certificate_issue(**kwargs)

    return _issue


@pytest.fixture
def files(tmp_path, client, cast):
    sign_in(client, cast.ca_operator)
    return Files(tmp_path, client)
