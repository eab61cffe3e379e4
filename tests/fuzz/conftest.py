"""The fuzz suite's count: how many generated inputs its tests ran, printed after the run."""

from tests.fuzz.strategies import INPUTS, SCALE


def pytest_terminal_summary(terminalreporter):
    if not INPUTS:
        return
    terminalreporter.section("fuzz inputs")
    for name, count in sorted(INPUTS.items()):
        terminalreporter.write_line(f"{count:>6}  {name}")
    terminalreporter.write_line(
        f"{sum(INPUTS.values()):>6}  generated inputs in all (FUZZ_SCALE={SCALE:g})"
    )
