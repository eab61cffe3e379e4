"""The tests that killed each function's mutants, kept from one run of `make mutants` to the
next (docs/testing.md §1): `tests/mutants_killers.tsv`, one line "function<TAB>test" per
pair, sorted. A mutant's tests are run those of its function's killers first
(`tests/parallel.py`): a new run starts with what the last one learned instead of finding,
for the first mutant of each function that hundreds of tests reach, the one test that tells
it apart among all the others. The order changes which test fails first, never whether one
does; a pair whose test is gone or renamed is simply not met.

    python -m tests.mutants_killers [CHECKOUT ...]   # merge each checkout's
                                                     # mutants/mutmut-killers.tsv into the seed
"""

import sys
from pathlib import Path

SEED = Path(__file__).resolve().parent / "mutants_killers.tsv"


def lines(path: Path) -> list[tuple[str, str]]:
    """The (function, test) lines of a killers file, repeats kept; none when it is missing."""
    text = path.read_text() if path.is_file() else ""
    split = (line.partition("\t") for line in text.splitlines())
    return [(function, test) for function, _, test in split if function and test]


def pairs(path: Path) -> set[tuple[str, str]]:
    """The (function, test) pairs of a killers file, each once."""
    return set(lines(path))


def merged(seed: Path, runs: list[Path]) -> int:
    """Writes into `seed` its pairs and those of `runs`; returns how many were new."""
    known = pairs(seed)
    found = set().union(*(pairs(run) for run in runs)) if runs else set()
    seed.write_text("".join(f"{f}\t{t}\n" for f, t in sorted(known | found)))
    return len(found - known)


def main(argv: list[str]) -> int:
    checkouts = [Path(a) for a in argv] or [Path.cwd()]
    runs = [checkout / "mutants" / "mutmut-killers.tsv" for checkout in checkouts]
    added = merged(SEED, runs)
    print(f"{SEED.name}: {added} new pairs of function and killing test")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
