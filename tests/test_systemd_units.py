"""The systemd units of deploy/systemd/ (docs/deployment.md, "Hosts without containers"): each
process restarted whatever ends it, as docker-compose's `restart: unless-stopped` does, and the
workers started with the same options as docker-compose.yml's (tests/test_broker_outage.py runs
workers with those)."""

import configparser
from pathlib import Path

import pytest

from config.queues import QUEUES
from tests.celery_processes import deployed_worker_options

ROOT = Path(__file__).resolve().parent.parent
UNITS = sorted((ROOT / "deploy" / "systemd").glob("*.service"))


def unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # systemd's keys are case-sensitive
    parser.read_string(path.read_text())
    return parser


def test_web_each_worker_and_beat_have_a_unit():
    assert [path.name for path in UNITS] == [
        "portal-beat.service",
        "portal-web.service",
        "portal-worker@.service",
    ]


@pytest.mark.parametrize("path", UNITS, ids=lambda path: path.name)
def test_every_unit_is_restarted_whatever_ends_it(path):
    service = unit(path)["Service"]
    assert service["Restart"] == "always"
    assert int(service["RestartSec"]) <= 10


def test_the_worker_unit_starts_workers_as_docker_compose_does():
    command = unit(ROOT / "deploy" / "systemd" / "portal-worker@.service")["Service"]["ExecStart"]
    options = deployed_worker_options()
    assert options == ["--without-gossip", "--without-mingle"]
    assert all(option in command.split() for option in options)
    assert "-Q %i" in command


def test_the_deployment_page_starts_a_worker_for_every_queue():
    page = (ROOT / "docs" / "deployment.md").read_text()
    for queue in QUEUES:
        assert f"portal-worker@{queue.name}" in page
