"""The killers kept between mutation runs (tests/mutants_killers.py) and the order they give
a mutant's tests (tests/parallel.py, docs/testing.md §1)."""

from tests import mutants_killers, parallel


def test_a_merge_keeps_each_pair_once_sorted_and_counts_the_new_ones(tmp_path):
    seed = tmp_path / "seed.tsv"
    seed.write_text("b.f\ttests/t.py::one\n")
    run = tmp_path / "run.tsv"
    run.write_text("a.g\ttests/t.py::two\nb.f\ttests/t.py::one\nb.f\ttests/t.py::one\n")
    assert mutants_killers.merged(seed, [run, tmp_path / "missing.tsv"]) == 1
    assert seed.read_text() == "a.g\ttests/t.py::two\nb.f\ttests/t.py::one\n"


def test_a_mutants_killers_are_this_runs_counts_plus_one_for_an_earlier_runs(tmp_path, monkeypatch):
    seed = tmp_path / "seed.tsv"
    seed.write_text("rules.x_f\ttests/a.py::earlier\nrules.x_g\ttests/a.py::other\n")
    monkeypatch.setattr(mutants_killers, "SEED", seed)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mutmut-killers.tsv").write_text(
        "rules.x_f\ttests/a.py::now\nrules.x_f\ttests/a.py::now\nrules.x_f\ttests/a.py::earlier\n"
    )
    assert parallel.killers_of("rules.x_f") == {"tests/a.py::earlier": 2, "tests/a.py::now": 2}
    assert parallel.killers_of("rules.x_h") == {}


class Item:
    def __init__(self, nodeid):
        self.nodeid = nodeid


def test_a_mutants_tests_run_its_functions_killers_first_then_the_fastest(tmp_path, monkeypatch):
    monkeypatch.setattr(mutants_killers, "SEED", tmp_path / "none.tsv")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mutmut-killers.tsv").write_text("rules.x_f\ttests/a.py::slow_killer\n")
    monkeypatch.setattr(
        parallel, "DURATIONS", {"tests/a.py::quick": 0.1, "tests/a.py::slow_killer": 9.0}
    )
    monkeypatch.setenv("MUTANT_UNDER_TEST", "rules.x_f__mutmut_3")
    items = [
        Item("tests/a.py::unknown"),
        Item("tests/a.py::quick"),
        Item("tests/a.py::slow_killer"),
    ]
    parallel.pytest_collection_modifyitems(items)
    assert [i.nodeid for i in items] == [
        "tests/a.py::slow_killer",
        "tests/a.py::quick",
        "tests/a.py::unknown",
    ]


def test_under_a_budget_a_mutant_keeps_its_killers_and_the_fastest_tests_that_fit(monkeypatch):
    monkeypatch.setattr(
        parallel,
        "DURATIONS",
        {"t::a": 1.0, "t::b": 2.0, "t::c": 3.0, "t::killer": 50.0},
    )
    tests = ["t::c", "t::unknown", "t::b", "t::killer", "t::a"]
    killed = {"t::killer": 1}
    # 1 + 2 = 3 fits a budget of 3; one more test (3 s) would not.
    assert parallel.within_budget(tests, killed, 3.0) == ["t::killer", "t::a", "t::b"]
    assert parallel.within_budget(tests, killed, 2.9) == ["t::killer", "t::a"]
    # Never none: the fastest test even when it alone is over the budget.
    assert parallel.within_budget(["t::c", "t::b"], {}, 0.5) == ["t::b"]
    # No budget: every test, the unknown duration last.
    assert parallel.within_budget(tests, killed, 0) == [
        "t::killer",
        "t::a",
        "t::b",
        "t::c",
        "t::unknown",
    ]


def test_under_a_budget_the_tests_beyond_it_are_taken_off_the_command_line(tmp_path, monkeypatch):
    monkeypatch.setattr(mutants_killers, "SEED", tmp_path / "none.tsv")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(parallel, "DURATIONS", {"t.py::a": 1.0, "t.py::b": 5.0})
    monkeypatch.setattr(parallel, "BUDGET", 2.0)
    args = ["-x", "-q", "t.py::b", "t.py::a", "-m", "not browser"]
    monkeypatch.setenv("MUTANT_UNDER_TEST", "")
    parallel.pytest_load_initial_conftests(None, None, args)
    assert args == ["-x", "-q", "t.py::b", "t.py::a", "-m", "not browser"]
    monkeypatch.setenv("MUTANT_UNDER_TEST", "rules.x_f__mutmut_1")
    parallel.pytest_load_initial_conftests(None, None, args)
    assert args == ["-x", "-q", "t.py::a", "-m", "not browser"]
