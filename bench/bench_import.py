"""A ministry's Mẫu 01 list of 20,000 people imported end to end by the worker (docs/processing.md §4.7): goal at least 500 rows/s for parse + checks + confirm, on
PostgreSQL.

    DATABASE_URL=postgres://… .venv/bin/python bench/bench_import.py [--rows N]

Builds a throw-away database (bench/_setup.py) with the agency of bench/_letters.py and a
draft Mẫu 01 letter of its clerk, and a .xlsx of N distinct people written as a clerk's
program would (every column filled: the combined ID cell, dates as text, phones as numbers,
diacritics). Then, with each task's body called in this process as the worker runs it:

1. the upload: `letter_import_start` inspects the file and saves the import job (the web
   request's share; the parse task it queues is not sent: the body is called here);
2. the parse task's body (`letter_import_parse`): the sheet streamed, every row read and
   checked (the rules of a typed row, duplicates), progress written every 50 rows;
3. the confirmation: `letter_import_confirm` queues the save (the web request's share);
4. the save task's body (`letter_import_save`): the rows checked again, then added in chunks
   in one transaction, the job confirmed.

Prints the file's size, the time and rows/s of each step and of the whole, the SQL statements
per row, the process's peak resident memory after each worker step (the sheet itself is
written first, in the same process), and the goal with
"goal met"/"goal NOT met"; then checks that the letter holds exactly N rows, that a second
delivery of the save task adds nothing, and that the audit chain verifies.
"""

import argparse
import io
import os
import resource
import sys

import _setup
from bench_ca import Clock

GOAL_ROWS_PER_SECOND = 500
GOAL_ROWS = 20_000


class Counter:
    """Counts the SQL statements of this process (an execute wrapper: no query log kept)."""

    def __init__(self):
        self.n = 0

    def __call__(self, execute, sql, params, many, context):
        self.n += 1
        return execute(sql, params, many, context)


def peak_rss() -> float:
    """This process's peak resident memory so far, in MB (the worker's, for steps 2 and 4)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def sheet_bytes(n: int) -> bytes:
    """A Mẫu 01 list (11 columns) of `n` distinct people, written with openpyxl."""
    from _letters import FAMILY, GIVEN, MIDDLE
    from openpyxl import Workbook

    from requests_app.excel import MAU01_HEADERS

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Mẫu 01")
    sheet.append(["DANH SÁCH ĐỀ NGHỊ CẤP CHỨNG THƯ SỐ"])
    sheet.append([title for title, _fragments in MAU01_HEADERS])
    for i in range(1, n + 1):
        name = f"{FAMILY[i % 10]} {MIDDLE[i % 8]} {GIVEN[i % 16]} {i}"
        sheet.append(
            [
                i,
                name,
                f"{1 + i % 28:02d}/{1 + i % 12:02d}/{1960 + i % 40}",
                f"0121{i:08d} / 01/07/2021, CCSQLHCVTTXH",
                f"nguoi{i}@laichau.gov.vn",
                "Phòng Ngân sách, Sở Tài chính tỉnh Lai Châu",
                "Lai Châu",
                "Chuyên viên",
                900000000 + i,
                None,
                "Viettel" if i % 3 == 0 else None,
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=GOAL_ROWS)
    args = parser.parse_args()
    with _setup.throwaway_database("bench-import-") as connection:
        return run(args, connection)


def run(args, connection) -> int:
    from _letters import CONTACT, build_agency
    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile

    from portal import imports
    from portal.audit import audit_verify
    from portal.models import ImportJob
    from requests_app.choices import FormKind
    from requests_app.excel import jobs
    from requests_app.services import cert_request_create

    n = args.rows
    settings.PORTAL_IMPORT_MAX_ROWS = max(settings.PORTAL_IMPORT_MAX_ROWS, n)
    agency, clerk, _head = build_agency()
    letter = cert_request_create(
        agency=agency, form=FormKind.ISSUE_PERSON, by=clerk, subject="Cấp chứng thư số", **CONTACT
    )
    print(f"writing a Mẫu 01 list of {n:,} people …", flush=True)
    content = sheet_bytes(n)
    # The tasks are not sent: their bodies are called below, as the worker calls them.
    imports.enqueue = lambda *args, **kwargs: True
    counter = Counter()
    load_before = os.getloadavg()[0]
    with connection.execute_wrapper(counter):
        upload = SimpleUploadedFile("danh-sach.xlsx", content)
        with Clock() as upload_clock:
            job = jobs.letter_import_start(cert_request=letter, upload=upload, by=clerk)
        with Clock() as parse_clock:
            parsed = jobs.letter_import_parse(job_id=job.pk)
        parse_peak = peak_rss()
        job.refresh_from_db()
        good = len(job.result.get("good", []))
        with Clock() as confirm_clock:
            jobs.letter_import_confirm(job=job, cert_request=letter, by=clerk)
        with Clock() as save_clock:
            saved = jobs.letter_import_save(job_id=job.pk)
        save_peak = peak_rss()
    load_after = os.getloadavg()[0]

    job.refresh_from_db()
    rows = letter.rows.count()
    again = jobs.letter_import_save(job_id=job.pk)
    rows_again = letter.rows.count()
    verified = audit_verify()

    total = upload_clock.wall + parse_clock.wall + confirm_clock.wall + save_clock.wall
    rate = n / total if total else 0.0
    print()
    print(
        f"Database: {connection.vendor}; {n:,} rows, Mẫu 01, file of {len(content) / 1e6:.2f} MB; "
        f"load average {load_before:.1f} → {load_after:.1f} on {os.cpu_count()} CPUs"
    )
    print(f"Upload (web request: inspect, save the job): {upload_clock.wall:.2f} s")
    print(
        f"Parse + checks (worker): {parse_clock.wall:.2f} s wall, {parse_clock.cpu:.2f} s CPU: "
        f"{n / parse_clock.wall:.0f} rows/s; {parsed}, {good:,} good rows; process peak "
        f"{parse_peak:.0f} MB"
    )
    print(f"Confirm (web request: queue the save): {confirm_clock.wall * 1000:.0f} ms")
    print(
        f"Checks again + insert (worker): {save_clock.wall:.2f} s wall, {save_clock.cpu:.2f} s "
        f"CPU: {n / save_clock.wall:.0f} rows/s; {saved}; process peak {save_peak:.0f} MB"
    )
    cpu = upload_clock.cpu + parse_clock.cpu + confirm_clock.cpu + save_clock.cpu
    print(
        f"End to end: {total:.2f} s, {rate:.0f} rows/s; {cpu:.2f} s CPU of this process "
        f"({n / cpu:.0f} rows/s of CPU: on a busy machine, read this beside the wall clock); "
        f"{counter.n:,} SQL statements ({counter.n / max(n, 1):.3f} a row)"
    )
    print(
        f"Job {job.status}; letter rows {rows:,}; second delivery of the save task: {again}, "
        f"{rows_again - rows} rows added; audit_verify: {verified.message}"
    )
    correct = (
        job.status == ImportJob.Status.CONFIRMED
        and rows == good == n
        and rows_again == rows
        and verified.ok
    )
    met = correct and rate >= GOAL_ROWS_PER_SECOND and n >= GOAL_ROWS
    print()
    print(
        f"Goal {GOAL_ROWS:,}-row sheet at ≥ {GOAL_ROWS_PER_SECOND} rows/s for parse + checks + "
        f"confirm ({connection.vendor}): {'goal met' if met else 'goal NOT met'} "
        f"({rate:.0f} rows/s for {n:,} rows"
        f"{'' if correct else ', rows not all imported once or audit broken'}"
        f"{'' if n >= GOAL_ROWS else ', fewer rows than the goal'})"
    )
    return 0 if met else 1


if __name__ == "__main__":
    _setup.configure()
    sys.exit(main())
