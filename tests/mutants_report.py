"""The score of `make mutants` (docs/testing.md): mutmut's verdicts counted per module.

Reads `mutmut results --all true` (one line per mutant: `module.x_function__mutmut_N: status`)
in the project, or in each checkout given as an argument (a run split over two checkouts,
docs/testing.md §2), and prints, per mutated module, its mutants, killed, timeouts, survivors,
"no tests", equivalent and not tried; the score; then each survivor, to look at with
`mutmut show NAME`. A survivor listed in docs/testing.md §4 with the reason it cannot change
what the code does counts as equivalent, not as a survivor; a listed name that no longer
survives (killed, or gone with its code) is printed so that the list is kept true.
"""

import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

LINE = re.compile(r"^\s*(?P<name>(?P<module>[\w.]+?)\.x\w*__mutmut_\d+): (?P<status>.+?)\s*$")
# docs/testing.md §4: "- `requests_app.deadlines.x_f__mutmut_3`: the reason"
EQUIVALENT = re.compile(r"^- `(?P<name>[\w.]+__mutmut_\d+)`: \S")
COLUMNS = ("killed", "timeout", "survived", "no tests", "equivalent", "not checked")
TESTING_DOC = Path(__file__).resolve().parent.parent / "docs" / "testing.md"


def verdicts(text: str) -> dict[str, dict[str, str]]:
    """{module: {mutant name: status}} from mutmut's listing."""
    found: dict[str, dict[str, str]] = defaultdict(dict)
    for line in text.splitlines():
        match = LINE.match(line)
        if match:
            found[match["module"]][match["name"]] = match["status"]
    return found


def equivalent_names(doc: str) -> set[str]:
    """The mutants docs/testing.md lists as equivalent, each with its reason."""
    return {m["name"] for m in map(EQUIVALENT.match, doc.splitlines()) if m}


def with_equivalents(found: dict[str, dict[str, str]], listed: set[str]) -> list[str]:
    """Mark the listed survivors equivalent; return the listed names that do not survive."""
    stale = []
    statuses = {name: s for mutants in found.values() for name, s in mutants.items()}
    for name in sorted(listed):
        if statuses.get(name) != "survived":
            stale.append(f"{name}: {statuses.get(name, 'no such mutant')}")
            continue
        module = LINE.match(f"{name}: survived")["module"]
        found[module][name] = "equivalent"
    return stale


def report(found: dict[str, dict[str, str]], stale: list[str] = ()) -> str:
    lines = [f"{'module':40} {'mutants':>8} " + " ".join(f"{c:>11}" for c in COLUMNS)]
    total: Counter = Counter()
    for module in sorted(found):
        counts = Counter(found[module].values())
        total.update(counts)
        row = " ".join(f"{counts[c]:>11}" for c in COLUMNS)
        lines.append(f"{module:40} {len(found[module]):>8} {row}")
    # A mutant not yet tried counts for nothing either way; one that makes its tests run past
    # their time limit (an endless loop) is caught, as the suite's own timeout would fail it;
    # an equivalent one cannot be caught by any test and is left out of the count.
    tried = sum(n for status, n in total.items() if status != "not checked")
    count = tried - total["equivalent"]
    caught = total["killed"] + total["timeout"]
    score = 100 * caught / count if count else 0.0
    lines.append(
        f"score: {caught} of {count} mutants caught ({score:.1f} %): "
        f"{total['killed']} killed, {total['timeout']} timed out; "
        f"{total['equivalent']} equivalent left out (docs/testing.md §4); "
        f"counting those as survivors: {100 * caught / tried if tried else 0.0:.1f} %"
    )
    if total["not checked"]:
        lines.append(f"not tried yet (the run was stopped): {total['not checked']}")
    lines.append("not caught (`mutmut show NAME` prints the change):")
    for module in sorted(found):
        lines.extend(
            f"  {name}: {s}"
            for name, s in found[module].items()
            if s not in ("killed", "timeout", "not checked", "equivalent")
        )
    if stale:
        lines.append("listed as equivalent in docs/testing.md §4 but not a survivor of this run:")
        lines.extend(f"  {line}" for line in stale)
    return "\n".join(lines)


def main() -> int:
    mutmut = Path(sys.executable).with_name("mutmut")
    found: dict[str, dict[str, str]] = defaultdict(dict)
    for checkout in sys.argv[1:] or ["."]:
        listing = subprocess.run(  # noqa: S603 — mutmut of this venv, fixed arguments
            [str(mutmut), "results", "--all", "true"],
            capture_output=True,
            text=True,
            check=True,
            cwd=checkout,
        )
        for module, mutants in verdicts(listing.stdout).items():
            for name, status in mutants.items():
                # the checkout that tried a mutant has its verdict; the other has "not checked"
                if found[module].get(name) in (None, "not checked"):
                    found[module][name] = status
    stale = with_equivalents(found, equivalent_names(TESTING_DOC.read_text(encoding="utf-8")))
    print(report(found, stale))
    return 0


if __name__ == "__main__":
    sys.exit(main())
