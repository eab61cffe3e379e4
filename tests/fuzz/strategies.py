"""Hypothesis strategies and helpers of the fuzz suite: hostile text, random workbooks, the
state a refused submission must leave untouched."""

import functools
import io
import os
import re
from contextlib import contextmanager, suppress

from django.db import connection, transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# FUZZ_SCALE=0.1 for a quick local run; CI runs the full count (>= 10,000 inputs in all).
SCALE = float(os.environ.get("FUZZ_SCALE", "1"))


# Inputs each fuzz test actually ran in this process (tests/parallel.py prints the sum).
INPUTS: dict[str, int] = {}
# What the whole suite must reach at FUZZ_SCALE=1 (tests/fuzz/test_budget.py).
SUITE_INPUTS = 10_000


def fuzz_settings(examples: int):
    """Hypothesis settings of a fuzz test, `examples` inputs (times FUZZ_SCALE), reproducible;
    every input the test runs is counted in INPUTS."""
    chosen = _settings(examples)

    def apply(test):
        test = chosen(test)
        inner = test.hypothesis.inner_test
        name = test.__module__.rsplit(".", 1)[-1] + "::" + test.__name__

        @functools.wraps(inner)
        def counting(*args, **kwargs):
            INPUTS[name] = INPUTS.get(name, 0) + 1
            return inner(*args, **kwargs)

        test.hypothesis.inner_test = counting
        return test

    return apply


def _settings(examples: int):
    return settings(
        max_examples=max(5, int(examples * SCALE)),
        deadline=None,
        derandomize=True,  # reproducible in CI
        database=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
        ],
    )


NASTY = [
    "",
    " ",
    "1e999",
    "-1e999",
    "nan",
    "NaN",
    "inf",
    "-inf",
    "0",
    "-1",
    "99999999999999999999999999",
    "\x00",
    "a\x00b",
    "01/01/0001",
    "31/12/9999",
    "29/02/2023",
    "00/00/0000",
    "9999-12-31",
    "0001-01-01",
    '=HYPERLINK("http://x"&D3,"Xem")',
    "+84912345678",
    "@SUM(A1)",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%00",
    "\ufffd",
    "x" * 300,
    "x" * 5000,
    "Lò Thị Mai",
    "012190001234",
    "0912345678",
    "mai@laichau.gov.vn",
]
# Text a browser can send (no lone surrogates: they cannot be UTF-8 encoded).
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
JUNK = st.one_of(st.sampled_from(NASTY), TEXT)


def form_data(valid: dict, extra_keys=()):
    """Each field either its valid value or junk; sometimes an unknown key."""
    fields = {key: st.one_of(st.just(value), JUNK) for key, value in valid.items()}
    for key in extra_keys:
        fields.setdefault(key, JUNK)
    return st.fixed_dictionaries(fields)


# --- workbooks -----------------------------------------------------------------------------
def raw_number(text: str) -> str:
    """A marker `workbook_bytes` turns into a numeric cell holding `text` as Excel stores it
    (openpyxl itself would write an infinite float as an empty cell)."""
    return f"#RAW:{text}#"


_RAW_CELL = re.compile(r'<c r="([A-Z]+\d+)" t="inlineStr"><is><t>#RAW:([^#<]+)#</t></is></c>')
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
CELL = st.one_of(
    st.none(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(NASTY).map(lambda s: _ILLEGAL.sub("", s) or "_x0000_"),
    TEXT.map(lambda s: _ILLEGAL.sub("", s)),
    st.dates(),
    st.booleans(),
    st.sampled_from(["1e999", "-1e999", "nan", "inf", "NaN"]).map(raw_number),
)


def workbook_bytes(lines) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    for line in lines:
        workbook.active.append(line)
    out = io.BytesIO()
    workbook.save(out)
    return _raw_numbers(out.getvalue())


def _raw_numbers(content: bytes) -> bytes:
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                xml = _RAW_CELL.sub(r'<c r="\1" t="n"><v>\2</v></c>', data.decode())
                data = xml.encode()
            target.writestr(info.filename, data)
    return out.getvalue()


def sheets(header: list[str], width: int):
    """A header (sometimes damaged) and up to 8 lines of random cells."""
    line = st.lists(CELL, min_size=0, max_size=width + 2)
    return st.tuples(
        st.one_of(st.just(header), st.lists(CELL, max_size=width)),
        st.lists(line, max_size=8),
    ).map(lambda parts: [parts[0], *parts[1]])


# --- state ---------------------------------------------------------------------------------
def state() -> dict:
    """Counts of what a submission may create; a refused one must leave them all unchanged."""
    from devices.models import CustodyRecord, Device, HandoverNotice, LossReport, ReturnMinutes
    from portal.models import AuditEvent, Notification
    from requests_app.models import CertRequest, RequestRow, Transition

    models = [
        AuditEvent,
        Notification,
        CertRequest,
        RequestRow,
        Transition,
        Device,
        CustodyRecord,
        HandoverNotice,
        ReturnMinutes,
        LossReport,
    ]
    # One statement for all the counts: the fuzz tests take it twice per refused input.
    counts = ", ".join(
        f"(SELECT COUNT(*) FROM {connection.ops.quote_name(model._meta.db_table)})"  # noqa: S608
        for model in models
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {counts}")
        row = cursor.fetchone()
    return {model.__name__: count for model, count in zip(models, row, strict=True)}


def refused(response) -> bool:
    """The submission was refused: a 4xx, or a page redisplaying a form with errors."""
    if 400 <= response.status_code < 500:
        return True
    if response.headers.get("HX-Retarget"):
        return True
    context = response.context
    if context is None:
        return False
    for name in ("form", "formset"):
        try:
            form = context[name]
        except KeyError:
            continue
        if hasattr(form, "errors") and form.errors:
            return True
    return False


def field_names(html: str) -> list[str]:
    """The names of the inputs, selects and textareas of a page."""
    names = re.findall(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"', html)
    return sorted({n for n in names if n != "csrfmiddlewaretoken"})


class _Undone(Exception):
    """Raised at the end of an example to roll its savepoint back."""


@contextmanager
def undone():
    """Whatever the example wrote is rolled back: every example starts from the same rows."""
    with suppress(_Undone), transaction.atomic():
        yield
        raise _Undone
