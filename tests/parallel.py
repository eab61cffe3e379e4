"""The suite on several processes (pytest-xdist, `make test` passes `-n`): each worker process
gets a Redis database and a var/ directory of its own, so one worker's Celery queue, purges,
flushes, broker files, media and exports never meet another's. PostgreSQL needs nothing here:
pytest-django gives each worker its own test database (test_<name>_gw0, _gw1...).

Loaded with `-p tests.parallel` (pyproject's addopts), before pytest-django reads the settings:
the environment is set at import, and the worker and server processes the tests start inherit
it. Without xdist (PYTEST_XDIST_WORKER unset) nothing changes.

The tests that take tens of seconds each (the fuzz suite, the browser, the worker and server
processes) are queued first (`pytest_collection_modifyitems`). `make test` runs with `--dist
worksteal`: each process starts on its share of the queue and a process that runs out takes
half of what another has left, so the run ends on short tests instead of one process finishing
a long one while the other waits.
Under mutation testing the same hook puts first the tests likeliest to kill a mutant (below).

The fuzz suite's count of generated inputs (tests/fuzz/strategies.py) is printed here: made
in the workers, each sends its own to the controller, which prints the sum.
"""

import json
import os
import re
from collections import Counter
from pathlib import Path

import pytest

from tests import mutants_killers
from tests.fuzz.strategies import INPUTS, SCALE

ROOT = Path(__file__).resolve().parent.parent
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


def worker_number(worker: str) -> int:
    """`gw3` -> 3."""
    return int(worker.removeprefix("gw"))


def redis_url_of_worker(url: str, number: int) -> str:
    """The base database index counted down per worker: CI's /15 gives gw0 15, gw1 14..."""
    match = re.fullmatch(r"(?P<server>redis://[^/]+)(?:/(?P<db>\d+))?", url)
    if not match:
        return url
    base = int(match["db"] or 0)
    db = base - number if base >= number else base + number
    return f"{match['server']}/{db}"


if WORKER:
    _number = worker_number(WORKER)
    if os.environ.get("REDIS_URL"):
        os.environ["REDIS_URL"] = redis_url_of_worker(os.environ["REDIS_URL"], _number)
    _var = Path(os.environ.get("PORTAL_VAR_DIR", ROOT / "var")) / f"test-{WORKER}"
    _var.mkdir(parents=True, exist_ok=True)
    os.environ["PORTAL_VAR_DIR"] = str(_var)
    os.environ.pop("MEDIA_ROOT", None)
    os.environ.pop("PORTAL_EXPORT_DIR", None)


# Where the tests of tens of seconds each live (their modules' order kept among them).
LONG = (
    "tests/fuzz/",
    "tests/api/test_schemathesis.py",
    "tests/portal/test_reads_never_write.py",
    "tests/browser/",
    "tests/requests_app/test_processing_faults.py",
    "tests/security/test_no_private_keys.py",
    "tests/deadlines/test_worker_killed.py",
    "tests/requests_app/test_excel_import_worker.py",
    "tests/requests_app/test_concurrency.py",
    "tests/test_beat_schedule.py",
    "tests/test_beat_failover.py",
    "tests/test_broker_outage.py",
    "tests/test_health.py",
    "tests/test_pgbouncer.py",
    "tests/test_queues.py",
    "tests/webhooks/test_worker_killed.py",
)


def long_first(path: str) -> int:
    return next((i for i, prefix in enumerate(LONG) if path.startswith(prefix)), len(LONG))


# Under mutation testing (docs/testing.md §1) each mutant runs the tests that reach its
# function, stopping at the first failure, in whatever order mutmut lists them. A mutant of the
# request rules is reached by hundreds of tests, most of which cannot tell it apart: it ran
# half of them (50 s) before the one that kills it. Two orders fix that:
# - the tests that killed another mutant of the same function first: the mutants of one
#   function are mostly caught by the same few tests, so after the first of them the others
#   cost one test each. Each failure of a mutant's test is appended to KILLERS (a line
#   "function<TAB>test"); a mutant's process reads it when it sorts its tests, with the
#   killers earlier runs found (tests/mutants_killers.py), so that even the first mutant of
#   a function starts with them;
# - then the fastest first, by mutmut's own record of each test's duration (read once, in the
#   process every mutant's process is forked from).
# The order changes which test fails first, never whether one does.
STATS = Path("mutmut-stats.json")
KILLERS = Path("mutmut-killers.tsv")
MUTANT = re.compile(r"^(?P<function>[\w.]+)__mutmut_\d+$")
DURATIONS = json.loads(STATS.read_text()).get("duration_by_test", {}) if STATS.is_file() else {}


def killers_of(function: str) -> dict[str, int]:
    """How many mutants of `function` each test has killed in this run (KILLERS, above),
    plus one for a test that killed one of them in an earlier run."""
    earlier = mutants_killers.pairs(mutants_killers.SEED)
    now = mutants_killers.lines(KILLERS)
    return dict(Counter(test for name, test in [*earlier, *now] if name == function))


def mutant_function() -> str | None:
    match = MUTANT.match(os.environ.get("MUTANT_UNDER_TEST", ""))
    return match["function"] if match else None


# A budget for the functions that hundreds of tests reach: their first mutant ran (and
# collected) every one of those tests before the one that tells it apart, and a survivor ran
# them all, a minute or more each; the tail of a whole run was four mutants a minute. With
# MUTANTS_TEST_SECONDS set (`make mutants` sets it), a mutant runs its function's killers and
# then only the fastest of its other tests while their recorded durations add up to the
# budget; a test with no recorded duration is left out. The budget can only turn a caught
# mutant into a survivor, never the reverse: the score it gives is a floor, and a survivor is
# run again with every test (`MUTANTS_TEST_SECONDS=0 mutmut run NAME`, docs/testing.md §1).
BUDGET = float(os.environ.get("MUTANTS_TEST_SECONDS") or 0)


def within_budget(tests: list[str], killed: dict[str, int], budget: float) -> list[str]:
    """The killers of `tests`, then the fastest others while the durations fit `budget`
    (0: all of them), in the order they are to run; never none, since pytest given no test
    on its command line would run the whole suite."""
    ordered = sorted(tests, key=lambda t: (-killed.get(t, 0), DURATIONS.get(t, float("inf"))))
    if not budget:
        return ordered
    kept, spent = [], 0.0
    for test in ordered:
        spent += 0.0 if test in killed else DURATIONS.get(test, float("inf"))
        if test in killed or spent <= budget or not kept:
            kept.append(test)
    return kept


def pytest_load_initial_conftests(early_config, parser, args):
    """For a mutant under a budget (above): mutmut names the tests on the command line; the
    ones beyond the budget are taken off before pytest collects them."""
    function = mutant_function()
    named = [arg for arg in args if "::" in arg]
    if not (function and BUDGET and named):
        return
    kept = set(within_budget(named, killers_of(function), BUDGET))
    args[:] = [arg for arg in args if "::" not in arg or arg in kept]


def pytest_collection_modifyitems(items):
    """For a mutant: the tests that killed its function's other mutants first, then the
    fastest (above); else the long tests first, in LONG's order, the rest as collected (a
    stable sort)."""
    function = mutant_function()
    if function:
        order = within_budget([item.nodeid for item in items], killers_of(function), 0)
        place = {test: n for n, test in enumerate(order)}
        items.sort(key=lambda item: place[item.nodeid])
    else:
        items.sort(key=lambda item: long_first(item.nodeid))


def pytest_runtest_logreport(report):
    """For a mutant: the test that failed is a killer of its function (above)."""
    function = mutant_function()
    if function and report.failed:
        with KILLERS.open("a") as killers:
            killers.write(f"{function}\t{report.nodeid}\n")


def pytest_sessionfinish(session):
    """In a worker: hand its fuzz count to the controller."""
    output = getattr(session.config, "workeroutput", None)
    if output is not None:
        output["fuzz_inputs"] = dict(INPUTS)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """In the controller: add up what each worker counted."""
    for name, count in getattr(node, "workeroutput", {}).get("fuzz_inputs", {}).items():
        INPUTS[name] = INPUTS.get(name, 0) + count


def pytest_terminal_summary(terminalreporter):
    """How many generated inputs the fuzz suite ran (at least SUITE_INPUTS at FUZZ_SCALE=1)."""
    if not INPUTS or getattr(terminalreporter.config, "workeroutput", None) is not None:
        return
    terminalreporter.section("fuzz inputs")
    for name, count in sorted(INPUTS.items()):
        terminalreporter.write_line(f"{count:>6}  {name}")
    terminalreporter.write_line(
        f"{sum(INPUTS.values()):>6}  generated inputs in all (FUZZ_SCALE={SCALE:g})"
    )
