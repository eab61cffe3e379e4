"""A campaign's Excel (demand/excel.py): each agency asked is named with its official code."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from agencies.services import organization_code_set
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db


def test_the_agencies_sheet_names_each_agency_by_its_official_code(cast, client, campaign):
    organization_code_set(organization=cast.agency_a, code="000.00.05.H33", by=None)
    sign_in(client, cast.officer_1)
    response = client.get(reverse("demand:export", args=[campaign.pk]))
    sheet = load_workbook(io.BytesIO(b"".join(response))).worksheets[1]
    header, *lines = [list(line) for line in sheet.iter_rows(values_only=True)]
    assert header[1:3] == ["Cơ quan", "Mã định danh cơ quan"]
    codes = {line[1]: line[2] for line in lines}
    assert codes["Sở Tài chính tỉnh Lai Châu"] == "000.00.05.H33"
    assert codes["Sở Y tế tỉnh Lai Châu"] in (None, "")
