"""The demand world: agency A's head with a personal certificate and the agency's seal, the
province's officer with a personal certificate of the Sở KH&CN, and a campaign of province 1."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from certificates.choices import SubjectKind
from demand.services import campaign_open
from tests import factories as f
from tests.demand.world import issue


@pytest.fixture
def signers(cast, ca):
    head = f.PersonFactory(
        organization=cast.agency_a, user=cast.head_a, full_name="Trần Thị Ánh Dương",
        position="Giám đốc",
    )  # fmt: skip
    issue(cast, person=head)
    issue(cast, subject_kind=SubjectKind.ORGANIZATION, subject_organization=cast.agency_a)
    officer = f.PersonFactory(
        organization=cast.office_1, user=cast.officer_1, full_name="Lò Văn Thắng",
        position="Phó Giám đốc",
    )  # fmt: skip
    issue(cast, person=officer, agency=cast.office_1)
    return SimpleNamespace(head=head, officer=officer)


@pytest.fixture
def campaign(cast):
    return campaign_open(
        by=cast.officer_1,
        province=cast.province_1,
        start_year=2027,
        end_year=2031,
        due_on=timezone.localdate() + timedelta(days=20),
        reference="12/SKHCN-CNS",
    )
