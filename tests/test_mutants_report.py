"""The mutation score's arithmetic (docs/testing.md §3, §4): what counts as caught, what is left
out, and that the list of equivalent mutants is kept true."""

from tests.mutants_report import equivalent_names, report, verdicts, with_equivalents

LISTING = """\
    portal.workdays.x_add__mutmut_1: killed
    portal.workdays.x_add__mutmut_2: timeout
    portal.workdays.x_add__mutmut_3: survived
    portal.workdays.x_add__mutmut_4: not checked
    requests_app.deadlines.x_sync__mutmut_7: survived
    requests_app.deadlines.x_sync__mutmut_8: no tests
"""

DOC = """\
## 4. Equivalent mutants

- `requests_app.deadlines.x_sync__mutmut_7`: SQL keyword case; PostgreSQL reads it the same.
- `portal.workdays.x_add__mutmut_1`: listed once, killed since.
- `portal.workdays.x_add__mutmut_9`
"""


def test_only_listed_names_with_a_reason_are_equivalent():
    assert equivalent_names(DOC) == {
        "requests_app.deadlines.x_sync__mutmut_7",
        "portal.workdays.x_add__mutmut_1",
    }


def test_an_equivalent_survivor_is_left_out_and_a_listed_killed_mutant_is_reported_stale():
    found = verdicts(LISTING)
    stale = with_equivalents(found, equivalent_names(DOC))

    assert found["requests_app.deadlines"]["requests_app.deadlines.x_sync__mutmut_7"] == (
        "equivalent"
    )
    assert found["portal.workdays"]["portal.workdays.x_add__mutmut_1"] == "killed"
    assert stale == ["portal.workdays.x_add__mutmut_1: killed"]


def test_the_score_counts_timeouts_as_caught_and_leaves_out_untried_and_equivalent_mutants():
    found = verdicts(LISTING)
    stale = with_equivalents(found, equivalent_names(DOC))
    text = report(found, stale)

    # tried: 5 (the "not checked" one is not); minus 1 equivalent = 4; caught: killed + timeout
    assert "score: 2 of 4 mutants caught (50.0 %): 1 killed, 1 timed out; 1 equivalent" in text
    assert "counting those as survivors: 40.0 %" in text
    assert "not tried yet (the run was stopped): 1" in text
    survivors = text.split("not caught")[1].split("listed as equivalent")[0]
    assert "portal.workdays.x_add__mutmut_3: survived" in survivors
    assert "requests_app.deadlines.x_sync__mutmut_8: no tests" in survivors
    assert "x_sync__mutmut_7" not in survivors
    assert "x_add__mutmut_4" not in survivors
