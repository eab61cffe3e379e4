"""Every queue of config/queues.py has a worker in both compose files: a queue nobody consumes
holds its tasks forever (the mail queue once had none in the cluster file)."""

from pathlib import Path

import pytest
import yaml

from config.queues import QUEUES

ROOT = Path(__file__).resolve().parent.parent


def consumed_queues(compose_file: str) -> set[str]:
    """The queues the file's workers consume: each service's WORKER_QUEUES (its `-Q`),
    with YAML's merge keys resolved as docker-compose resolves them."""
    services = yaml.safe_load((ROOT / compose_file).read_text())["services"]
    found = set()
    for service in services.values():
        command = service.get("command") or ""
        if "celery" not in str(command) or " worker " not in f" {command} ":
            continue
        environment = service.get("environment") or {}
        if isinstance(environment, list):
            environment = dict(item.split("=", 1) for item in environment)
        found.update(q.strip() for q in str(environment.get("WORKER_QUEUES", "")).split(","))
    return found - {""}


@pytest.mark.parametrize("compose_file", ["docker-compose.yml", "docker-compose.cluster.yml"])
def test_every_queue_has_a_worker(compose_file):
    queues = {queue.name for queue in QUEUES}
    missing = queues - consumed_queues(compose_file)
    assert not missing, f"{compose_file}: no worker consumes {sorted(missing)}"
