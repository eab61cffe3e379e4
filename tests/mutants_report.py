"""The score of `make mutants` (docs/testing.md): mutmut's verdicts counted per module.

Reads `mutmut results --all true` (one line per mutant: `module.x_function__mutmut_N: status`)
and prints, per mutated module, its mutants, killed, survived and timeouts, the score of the
whole (killed out of all), then the survivors, each to look at with `mutmut show NAME`.
"""

import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

LINE = re.compile(r"^\s*(?P<name>(?P<module>[\w.]+?)\.x\w*__mutmut_\d+): (?P<status>.+?)\s*$")
COLUMNS = ("killed", "timeout", "survived", "no tests", "not checked")


def verdicts(text: str) -> dict[str, dict[str, str]]:
    """{module: {mutant name: status}} from mutmut's listing."""
    found: dict[str, dict[str, str]] = defaultdict(dict)
    for line in text.splitlines():
        match = LINE.match(line)
        if match:
            found[match["module"]][match["name"]] = match["status"]
    return found


def report(found: dict[str, dict[str, str]]) -> str:
    lines = [f"{'module':40} {'mutants':>8} " + " ".join(f"{c:>9}" for c in COLUMNS)]
    total: Counter = Counter()
    for module in sorted(found):
        counts = Counter(found[module].values())
        total.update(counts)
        row = " ".join(f"{counts[c]:>9}" for c in COLUMNS)
        lines.append(f"{module:40} {len(found[module]):>8} {row}")
    # A mutant not yet tried counts for nothing either way; one that makes its tests run past
    # their time limit (an endless loop) is caught, as the suite's own timeout would fail it.
    count = sum(n for status, n in total.items() if status != "not checked")
    caught = total["killed"] + total["timeout"]
    score = 100 * caught / count if count else 0.0
    lines.append(
        f"score: {caught} of {count} mutants tried caught ({score:.1f} %): "
        f"{total['killed']} killed, {total['timeout']} timed out"
    )
    if total["not checked"]:
        lines.append(f"not tried yet (the run was stopped): {total['not checked']}")
    lines.append("not caught (`mutmut show NAME` prints the change):")
    for module in sorted(found):
        lines.extend(
            f"  {name}: {s}"
            for name, s in found[module].items()
            if s not in ("killed", "timeout", "not checked")
        )
    return "\n".join(lines)


def main() -> int:
    mutmut = Path(sys.executable).with_name("mutmut")
    listing = subprocess.run(  # noqa: S603 — mutmut of this venv, fixed arguments
        [str(mutmut), "results", "--all", "true"], capture_output=True, text=True, check=True
    )
    print(report(verdicts(listing.stdout)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
