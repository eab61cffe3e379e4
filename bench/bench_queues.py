"""Benchmark of the queues per kind of work (config/queues.py, docs/deployment.md "Queues"):
how long an interactive task waits while long bulk tasks run.

    DATABASE_URL=postgres://… REDIS_URL=redis://127.0.0.1:6379/9 python bench/bench_queues.py

Runs in a throw-away PostgreSQL database and empties the given Redis database. The bulk load is
real: runs of the simulated CA's key-pool fill (`device_key_pool_fill_task`, CA_KEY_POOL_BATCH
RSA-2048 keys each, the software key store), several seconds of CPU each. While they run,
interactive tasks (`letter_archive_extend_task` for a letter that does not exist: a no-op) are
sent every half second; each one's wait is the time from its sending to its worker receiving it
(the worker's JSON log line). Measured twice: one worker taking every queue (two processes),
then a worker per queue (two processes on `bulk`, one on `interactive`). Goal: with a worker per
queue, no interactive task waits more than a second.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import _setup

GOAL_SECONDS = 1.0
BULK_TASK = "certificates.tasks.device_key_pool_fill_task"
INTERACTIVE_TASK = "requests_app.tasks.letter_archive_extend_task"
MISSING = 987654


def worker(env: dict, log: Path, queues: str | None, concurrency: int) -> subprocess.Popen:
    only = ["-Q", queues] if queues else []
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-l", "INFO",
         f"--concurrency={concurrency}", *only, "--without-mingle", "--without-gossip"],
        cwd=_setup.ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip


def received(logs: list[Path]) -> dict[str, float]:
    """task id → when a worker received it (epoch seconds), from the JSON log lines."""
    found = {}
    for log in logs:
        for line in log.read_text(errors="replace").splitlines():
            if not line.startswith("{"):
                continue
            record = json.loads(line)
            data = record.get("data") or {}
            if record["message"].endswith(" received") and "id" in data:
                at = datetime.strptime(record["time"], "%Y-%m-%d %H:%M:%S,%f")
                found[data["id"]] = at.timestamp()
    return found


def ready(logs: list[Path], count: int) -> bool:
    return sum(" ready." in log.read_text(errors="replace") for log in logs) >= count


def waits_behind_bulk(app, logs: list[Path], *, bulk: int, probes: int) -> list[float]:
    """Queue `bulk` bulk tasks, then send `probes` interactive tasks every half second; each
    one's wait from its sending to a worker receiving it (in `logs`), sorted."""
    for _ in range(bulk):
        app.send_task(BULK_TASK)
    time.sleep(1.0)  # the bulk tasks are running
    sent = {}
    for _ in range(probes):
        sent[app.send_task(INTERACTIVE_TASK, args=(MISSING,)).id] = time.time()
        time.sleep(0.5)
    deadline = time.monotonic() + 300
    while not set(sent) <= set(received(logs)):
        assert time.monotonic() < deadline, "the interactive tasks were never received"
        time.sleep(0.5)
    got = received(logs)
    return sorted(got[task] - at for task, at in sent.items())


def measure(layout: str, env: dict, workdir: Path, bulk: int, probes: int) -> list[float]:
    from celery import current_app

    current_app.control.purge()
    logs, processes = [], []
    plan = [(None, 2)] if layout == "shared" else [("bulk", 2), ("interactive", 1)]
    for n, (queues, concurrency) in enumerate(plan):
        logs.append(workdir / f"{layout}-{n}.log")
        processes.append(worker(env, logs[-1], queues, concurrency))
    try:
        deadline = time.monotonic() + 60
        while not ready(logs, len(plan)):
            assert time.monotonic() < deadline, "the workers did not start"
            time.sleep(0.2)
        return waits_behind_bulk(current_app, logs, bulk=bulk, probes=probes)
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        current_app.control.purge()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bulk", type=int, default=6, help="bulk tasks queued at once")
    parser.add_argument("--probes", type=int, default=12, help="interactive tasks sent")
    parser.add_argument("--batch", type=int, default=150, help="keys per bulk task")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get(
        "REDIS_URL"
    ):
        print("needs DATABASE_URL (PostgreSQL) and REDIS_URL")
        return 2
    _setup.configure()
    os.environ.update(
        PORTAL_SUBSCRIBER_KEY_STORE="software",
        CA_KEY_POOL_SIZE="1000000",
        CA_KEY_POOL_BATCH=str(args.batch),
        LOG_FORMAT="json",
        PORTAL_VAR_DIR=tempfile.mkdtemp(prefix="bench-queues-"),
    )
    with _setup.throwaway_database("bench-queues-") as connection:
        db = connection.settings_dict
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}",
        }
        workdir = Path(os.environ["PORTAL_VAR_DIR"])
        print(f"{args.bulk} bulk tasks of {args.batch} RSA keys; {args.probes} interactive "
              "tasks sent every 0.5 s; wait = sent → received by a worker")  # fmt: skip
        verdict = 0
        for layout, label in (
            ("shared", "one worker, every queue"),
            ("split", "a worker per queue"),
        ):
            waits = measure(layout, env, workdir, args.bulk, args.probes)
            p50, worst = waits[len(waits) // 2], waits[-1]
            line = f"{label:26} median {p50:7.3f} s   worst {worst:7.3f} s"
            if layout == "split":
                ok = worst <= GOAL_SECONDS
                verdict = 0 if ok else 1
                line += f"   goal ≤ {GOAL_SECONDS:g} s: {'met' if ok else 'NOT met'}"
            print(line)
        print("load average: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    return verdict


if __name__ == "__main__":
    sys.exit(main())
