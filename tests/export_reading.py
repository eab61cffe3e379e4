"""Reading a list export in tests: the header line (the one starting with "STT") and the
cells below it (cells, not values, so a test can check that IDs are text cells)."""

import io

from openpyxl import load_workbook


def export_bytes(response) -> bytes:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def read_export(response):
    """(headers, data lines as lists of cells) of a list export."""
    sheet = load_workbook(io.BytesIO(export_bytes(response))).active
    lines = [list(line) for line in sheet.iter_rows()]
    start = next(i for i, line in enumerate(lines) if line and line[0].value == "STT")
    headers = [cell.value for cell in lines[start]]
    return headers, lines[start + 1 :]


def column(headers, lines, name: str) -> list:
    """The cells of the column titled `name`."""
    index = headers.index(name)
    return [line[index] for line in lines]


def values(headers, lines, name: str) -> set:
    return {cell.value for cell in column(headers, lines, name)}
