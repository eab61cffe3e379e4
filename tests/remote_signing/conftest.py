"""The remote-signing tests' holder (tests/remote_signing/world.py)."""

from tests.remote_signing.world import holder  # noqa: F401 - a fixture
