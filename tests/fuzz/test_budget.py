"""The fuzz suite's size: its tests ask for at least 10,000 generated inputs at FUZZ_SCALE=1,
paths and headers included (each run prints the inputs actually run, tests/parallel.py)."""

import pytest

from tests.fuzz import (
    test_forms,
    test_importers,
    test_paths_and_headers,
    test_query_strings,
)
from tests.fuzz.strategies import SCALE, SUITE_INPUTS

MODULES = [test_forms, test_importers, test_query_strings, test_paths_and_headers]


def _asked() -> dict[str, int]:
    asked = {}
    for module in MODULES:
        for name in dir(module):
            test = getattr(module, name)
            chosen = getattr(test, "_hypothesis_internal_use_settings", None)
            if name.startswith("test_") and chosen is not None:
                asked[f"{module.__name__}::{name}"] = chosen.max_examples
    return asked


@pytest.mark.skipif(SCALE < 1, reason="FUZZ_SCALE below 1: a quick local run")
def test_the_suite_asks_for_at_least_10000_inputs_paths_and_headers_included():
    asked = _asked()
    print(f"fuzz suite: {sum(asked.values())} inputs asked", asked)
    assert sum(asked.values()) >= SUITE_INPUTS
    paths_and_headers = {
        name: count for name, count in asked.items() if "paths_and_headers" in name
    }
    assert paths_and_headers["tests.fuzz.test_paths_and_headers::test_no_path_is_a_server_error"]
    assert paths_and_headers["tests.fuzz.test_paths_and_headers::test_no_header_is_a_server_error"]
