"""The device stock import has a row cap, enforced while the file streams (docs/scale.md §12)."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from devices import excel
from portal.lib.xlsx import XlsxRefused


def test_a_stock_file_longer_than_the_cap_is_refused_while_streaming(monkeypatch):
    monkeypatch.setattr(excel, "MAX_ROWS", 5)
    workbook = Workbook()
    workbook.active.append(["STT", "Loại thiết bị", "Số hiệu"])
    for index in range(1, 40):
        workbook.active.append([index, "TOKEN", f"TK{index:08d}"])
    out = io.BytesIO()
    workbook.save(out)
    with pytest.raises(XlsxRefused, match="nhiều tệp"):
        excel.read_stock_workbook(SimpleUploadedFile("kho.xlsx", out.getvalue()))
