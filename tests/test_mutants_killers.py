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
