"""Every part's verdict on its goals (docs/scale.md §12.7, "The verdict"): the words `bench/run`
reads ("goal met", "goal NOT met"), and the exit code, 1 as soon as one goal of the part was
missed. A part that printed "goal NOT met" and exited 0 let `bench/run` say "all goals met".

    from _verdicts import exit_code, verdict
    print(f"… goal ≤ 300 ms: {verdict(median <= 0.300)}")
    sys.exit(exit_code())
"""

MISSED: list[bool] = []


def verdict(met: bool) -> str:
    """The words for one goal, remembered for the exit code."""
    if not met:
        MISSED.append(True)
    return "goal met" if met else "goal NOT met"


def exit_code() -> int:
    return 1 if MISSED else 0
