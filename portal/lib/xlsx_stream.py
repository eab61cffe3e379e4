"""A one-sheet .xlsx written as a stream, for the list exports (docs/architecture.md §12.5).

XlsxWriter writes it, in its constant-memory mode: each line goes to a temporary file as
soon as the next one starts, as inline-string and number cells, and `close()` zips that file
into `handle`, so memory stays flat whatever the number of lines. openpyxl's write-only mode
was too slow for this (a cell object and a style lookup per cell, about 10 µs a cell).

What it keeps from `portal.lib.xlsx.export_cell`: text is always a string cell, never a
formula (XlsxWriter's conversions of strings to formulas, numbers and links are off, and
text goes through `write_string`), and a text that would start one gets a leading apostrophe
(OWASP's advice); the columns the caller names are text cells with the text number format
"@" (IDs, serials, phones keep their leading zeros when edited). Characters XML cannot carry
(C0 controls but tab, line feed and carriage return; U+FFFE, U+FFFF) are dropped.
"""

import re
import tempfile
from collections.abc import Iterable, Sequence
from decimal import Decimal

from xlsxwriter import Workbook
from xlsxwriter.utility import xl_col_to_name

from portal.lib.xlsx import FORMULA_TRIGGERS

# Indexes of `StreamedSheet._formats`.
PLAIN, TEXT, BOLD, TITLE = 0, 1, 2, 3
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_MAX_ROWS = 1_048_576
# A 0-based column's letters: 0 → A, 25 → Z, 26 → AA.
column_letter = xl_col_to_name


class StreamedSheet:
    """Write `append`ed lines into the open binary file `handle` as a one-sheet workbook;
    `close()` finishes the file (use it as a context manager)."""

    def __init__(self, handle, *, title: str, widths: Sequence[int] = ()):
        # Its own folder for XlsxWriter's temporary files, removed whatever happens.
        self._tmp = tempfile.TemporaryDirectory(prefix="xlsx-")
        self._book = Workbook(
            handle,
            {
                "constant_memory": True,
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
                "tmpdir": self._tmp.name,
            },
        )
        self._sheet = self._book.add_worksheet(_sheet_name(title))
        add = self._book.add_format
        self._formats = (
            None,
            add({"num_format": "@"}),
            add({"bold": True}),
            add({"bold": True, "font_size": 13}),
        )
        for index, width in enumerate(widths):
            self._sheet.set_column(index, index, width)
        self._row = 0

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *exc):
        if exc_type is None:
            self.close()
        else:
            # Writing failed: close and drop the temporary files (`_opt_close` is what
            # XlsxWriter's own close() calls for them), leave `handle` unfinished (its owner
            # discards it) and let the error through.
            self._sheet._opt_close()
            self._tmp.cleanup()

    def append(self, values: Sequence, *, style: int = PLAIN) -> None:
        """One line in one style (the title, the bold header line, plain lines)."""
        self.extend([values], style=style)

    def extend(
        self, lines: Iterable[Sequence], *, text_columns=frozenset(), style: int = PLAIN
    ) -> int:
        """Write `lines` (each a sequence of cell values: str, int, float, Decimal, bool or
        None) in one style; `text_columns` (0-based) are text cells. Returns how many."""
        sheet, plain, text = self._sheet, self._formats[style], self._formats[TEXT]
        first = row = self._row
        for values in lines:
            if row >= _MAX_ROWS:
                raise ValueError(f"more than {_MAX_ROWS:,} lines: Excel cannot open them")
            for col, value in enumerate(values):
                if value is None or value == "":
                    continue
                as_text = col in text_columns
                if value.__class__ is not str:
                    number = isinstance(value, int | float | Decimal)
                    if number and not as_text:
                        if isinstance(value, bool):
                            sheet.write_boolean(row, col, value, plain)
                        else:
                            sheet.write_number(row, col, value, plain)
                        continue
                    # As `export_cell`: a number written as text is no formula ("-5").
                    value = str(value)
                    typed = not number
                else:
                    typed = True
                if _ILLEGAL.search(value):
                    value = _ILLEGAL.sub("", value)
                    if not value:
                        continue
                if typed and value.startswith(FORMULA_TRIGGERS):
                    value = "'" + value
                sheet.write_string(row, col, value, text if as_text else plain)
            row += 1
        self._row = row
        return row - first

    def close(self) -> None:
        try:
            self._book.close()
        finally:
            self._tmp.cleanup()


def _sheet_name(title: str) -> str:
    """Excel's sheet names: at most 31 characters, none of : \\ / ? * [ ], no apostrophe at
    either end."""
    name = re.sub(r"[:\\/?*\[\]]", " ", title).strip()[:31].strip(" '")
    return name or "Sheet1"
