"""`bench/run` is red whenever a part misses a goal (docs/scale.md §12.7): a part that prints
"goal NOT met" and exits 0, one that exits non-zero, one that prints no figure. Each part here
is a real script run by `bench/run`'s own runner, as the benchmarks are."""

import importlib.util
import sys
import textwrap
from pathlib import Path

import pytest

RUN = Path(__file__).resolve().parent.parent / "bench" / "run.py"


def bench_run():
    spec = importlib.util.spec_from_file_location("bench_run", RUN)
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_run"] = module
    spec.loader.exec_module(module)
    return module


def part(tmp_path: Path, name: str, prints: str, exits: int) -> list[str]:
    script = tmp_path / f"{name}.py"
    script.write_text(
        textwrap.dedent(f"""\
            import sys
            print({prints!r})
            sys.exit({exits})
        """)
    )
    return [str(script)]


MET = "a 1-page letter: median 120 ms, goal ≤ 300 ms: goal met"
MISSED = "a 500-row letter: median 7.8 s, goal ≤ 4 s: goal NOT met"


@pytest.mark.parametrize(
    ("prints", "exits", "code"),
    [
        (MET, 0, 0),
        (MISSED, 0, 1),  # the case that printed "all goals met" before
        (MET, 1, 1),
        ("rendered 500 rows", 0, 1),  # no figure: nothing to believe
        ("lists: p95 80 ms  PASS", 0, 0),
        ("lists: p95 180 ms  FAIL: p95", 0, 1),
    ],
)
def test_one_part_decides_the_exit_code_by_its_lines_and_its_exit(tmp_path, prints, exits, code):
    run = bench_run()
    judged = run.part_run("pdf", part(tmp_path, "pdf", prints, exits), env=None)
    text, exit_code = run.summary([judged])
    assert exit_code == code
    assert text.splitlines()[-1].startswith("all goals met" if code == 0 else "goals NOT met")


def test_a_part_that_misses_turns_the_whole_run_red_and_the_summary_counts_it(tmp_path):
    run = bench_run()
    judged = [
        run.part_run("letter", part(tmp_path, "letter", MET, 0), env=None),
        run.part_run("pdf", part(tmp_path, "pdf", MISSED, 0), env=None),
        run.part_run("desk", part(tmp_path, "desk", MET, 0), env=None),
    ]
    text, exit_code = run.summary(judged)
    assert exit_code == 1
    assert text.splitlines()[-1] == "goals NOT met: 1 of 3 lines, in 1 of 3 parts (pdf)"
    assert f"pdf         {MISSED}" in text.splitlines()


def test_parts_that_all_meet_their_goals_leave_it_green(tmp_path):
    run = bench_run()
    judged = [run.part_run(n, part(tmp_path, n, MET, 0), env=None) for n in ("letter", "desk")]
    assert run.summary(judged) == (
        f"letter      {MET}\ndesk        {MET}\nall goals met: 2 lines in 2 parts",
        0,
    )
