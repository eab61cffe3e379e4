"""The demand world: agency A's head with a personal certificate and the agency's seal, the
province's officer with a personal certificate of the Sở KH&CN, and a campaign of province 1."""

from types import SimpleNamespace

import pytest

from certificates.choices import SubjectKind
from tests import factories as f
from tests.demand.world import issue, province_campaign


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
    return province_campaign(cast)
