"""Benchmark of letter rendering, in the worker's code path (docs/documents.md §8).

    python bench/bench_pdf.py [--repeat 3]

Runs in a throw-away database (Django's test database: a temporary SQLite file, or
test_<name> on PostgreSQL when DATABASE_URL is set), so it never touches real data. Issued
letters are stored there with their rows, then each is rendered by the Celery task's own code
(`letter_document_render_task`, run in this process with `apply()`): reading the letter and its
rows, building the context, the templates, WeasyPrint, storing the version and its audit event.
After one warm-up letter (the stylesheet and fonts loaded once per process, as in a long-lived
worker) it prints, each against its goal:

1. a 1-page letter (Mẫu 02, 3 rows, portrait): median of 5 letters (goal: at most 300 ms);
2. a 500-row letter (Mẫu 01, landscape, the widest table, about 50 pages): median of
   `--repeat` letters (goal: at most 4 s);

with the CPU time of this process beside each wall-clock figure and the machine's load average
before and after: rendering is CPU-bound, and on a shared machine the wall clock also counts
the time other processes held the cores. For the profile, the 500-row letter's Django template
rendering is measured apart.

Figures and what was changed for them: docs/documents.md §8 (the collector paused while a
document renders; line breaks by `white-space: pre-line`; WeasyPrint on a thread of its own,
from an empty stack, against CPython 3.11's frame-chunk mmap/munmap thrashing).
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time

from _letters import build_agency, issued_letter  # noqa: E402 - bench/ is on the path
from _setup import configure, throwaway_database  # noqa: E402
from _verdicts import exit_code, verdict  # noqa: E402

configure()

GOAL_ONE_PAGE = 0.300
GOAL_500_ROWS = 4.0


class Clock:
    """Wall-clock and CPU seconds of this process."""

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


def render_in_worker_path(letter_pk: int) -> tuple[Clock, int]:
    """The Celery task's code on one letter; the clock and the stored PDF's size."""
    from requests_app.models import LetterDocument
    from requests_app.tasks import letter_document_render_task

    with Clock() as clock:
        document_pk = letter_document_render_task.apply((letter_pk,)).get()
    if document_pk is None:
        raise SystemExit(f"letter {letter_pk}: the task rendered nothing")
    return clock, LetterDocument.objects.get(pk=document_pk).size


def template_only(letter_pk: int) -> float:
    """Seconds of the Django template rendering alone, for the profile."""
    from django.template.loader import render_to_string

    from requests_app.documents import TEMPLATES, letter_document
    from requests_app.models import CertRequest

    letter = CertRequest.objects.select_related("agency__parent", "agency__province").get(
        pk=letter_pk
    )
    context = letter_document(letter, number=letter.number, issued_on=letter.issued_on)
    started = time.perf_counter()
    render_to_string(TEMPLATES[letter.form], {**context, "pdf_static": "/static/"})
    return time.perf_counter() - started


def run(args) -> None:
    from requests_app.choices import FormKind

    world = build_agency()
    numbers = iter(range(1, 1000))
    one_page = [
        issued_letter(world, FormKind.ISSUE_ORGANIZATION, 3, next(numbers)) for _ in range(6)
    ]
    long_ones = [
        issued_letter(world, FormKind.ISSUE_PERSON, 500, next(numbers)) for _ in range(args.repeat)
    ]
    load_before = os.getloadavg()[0]
    render_in_worker_path(one_page[0])  # warm-up: stylesheet, fonts, templates
    short = [render_in_worker_path(pk)[0] for pk in one_page[1:]]
    long, sizes = [], []
    for pk in long_ones:
        clock, size = render_in_worker_path(pk)
        long.append(clock)
        sizes.append(size)
    load_after = os.getloadavg()[0]
    template_seconds = template_only(long_ones[0])

    def figures(clocks, unit: str) -> str:
        scale, fmt = (1000, ".0f") if unit == "ms" else (1, ".2f")
        wall = statistics.median(c.wall for c in clocks) * scale
        cpu = statistics.median(c.cpu for c in clocks) * scale
        worst = max(c.wall for c in clocks) * scale
        return f"median {wall:{fmt}} {unit} (CPU {cpu:{fmt}} {unit}), max {worst:{fmt}} {unit}"

    print(
        f"load average (1 min): {load_before:.2f} before, {load_after:.2f} after, "
        f"on {os.cpu_count()} cores"
    )
    print(
        f"1-page letter (Mẫu 02, 3 rows), {len(short)} letters: {figures(short, 'ms')}; "
        f"goal ≤ 300 ms: {verdict(statistics.median(c.wall for c in short) <= GOAL_ONE_PAGE)}"
    )
    print(
        f"500-row letter (Mẫu 01, {max(sizes) // 1024} KiB), {len(long)} letters: "
        f"{figures(long, 's')}; "
        f"goal ≤ 4 s: {verdict(statistics.median(c.wall for c in long) <= GOAL_500_ROWS)}"
    )
    print(f"  of which the Django templates of the 500 rows: {template_seconds * 1000:.0f} ms")


def main() -> None:
    logging.getLogger("celery").setLevel(logging.WARNING)  # no "Task … succeeded" per letter
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="500-row letters rendered")
    args = parser.parse_args()
    with throwaway_database("bench_pdf_"):
        run(args)


if __name__ == "__main__":
    main()
    sys.exit(exit_code())
