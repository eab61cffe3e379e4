"""Benchmark of the signed webhooks (docs/webhooks.md): 10,000 deliveries to a loopback
receiver through a real Celery worker.

    DATABASE_URL=postgres://… REDIS_URL=redis://127.0.0.1:6379/9 python bench/bench_webhooks.py

Runs in a throw-away PostgreSQL database and empties the `webhooks` queue of the given Redis
database. One subscription for the whole country; 10,000 `certificate.issued` events recorded
in one transaction (as a large issuance batch would), the fan-out queued at its commit; a worker
taking only the `webhooks` queue (two processes, as many as the machine's cores) fans them out
and delivers each one, signed, to a receiver on 127.0.0.1 (a threaded HTTP server in this
process) that verifies every signature with the subscription's secret. Measured from the commit
until the database holds every delivery as delivered. Goal: 10,000 deliveries ≤ 60 s.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import _setup

GOAL_SECONDS = 60.0


class Receiver:
    """Verifies each POST's signature; counts the verified ids and the rejected posts."""

    def __init__(self, secret: str):
        from standardwebhooks import Webhook, WebhookVerificationError

        self.ids: set[str] = set()
        self.posts = self.rejected = 0
        lock = threading.Lock()
        webhook = Webhook(secret)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                try:
                    webhook.verify(body, dict(self.headers.items()))
                    status = 204
                except WebhookVerificationError:
                    status = 401
                with lock:
                    receiver.posts += 1
                    if status == 204:
                        receiver.ids.add(self.headers["webhook-id"])
                    else:
                        receiver.rejected += 1
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"


def worker(env: dict, log: Path, concurrency: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-l", "INFO", "-Q", "webhooks",
         f"--concurrency={concurrency}", "--without-mingle", "--without-gossip"],
        cwd=_setup.ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000, help="events (one delivery each)")
    parser.add_argument("--concurrency", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get(
        "REDIS_URL"
    ):
        print("needs DATABASE_URL (PostgreSQL) and REDIS_URL")
        return 2
    _setup.configure()
    os.environ.update(
        PORTAL_WEBHOOK_ALLOW_PRIVATE="1",
        PORTAL_WEBHOOK_SWEEP_SECONDS="3600",  # no beat here: the figure is the tasks' alone
        LOG_FORMAT="json",
        PORTAL_VAR_DIR=tempfile.mkdtemp(prefix="bench-webhooks-"),
    )
    with _setup.throwaway_database("bench-webhooks-") as connection:
        from celery import current_app
        from django.db import transaction

        from webhooks.choices import DeliveryStatus, EventType
        from webhooks.models import Delivery, Subscription, new_secret
        from webhooks.services import NewEvent, webhook_events_record_many

        db = connection.settings_dict
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}",
        }
        workdir = Path(os.environ["PORTAL_VAR_DIR"])
        secret = new_secret()
        receiver = Receiver(secret)
        Subscription.objects.create(
            name="bench",
            url=receiver.url,
            secret=secret,
            event_types=[EventType.CERTIFICATE_ISSUED],
        )
        current_app.control.purge()
        log = workdir / "worker.log"
        process = worker(env, log, args.concurrency)
        try:
            deadline = time.monotonic() + 60
            while " ready." not in log.read_text(errors="replace"):
                assert time.monotonic() < deadline, "the worker did not start"
                time.sleep(0.2)
            cpu_before = os.times()
            started = time.monotonic()
            with transaction.atomic():
                webhook_events_record_many(
                    events=[
                        NewEvent(EventType.CERTIFICATE_ISSUED, f"certificate:{n}:issued", None,
                                 {"certificate_id": n, "serial": f"{n:016X}", "status": "valid"})
                        for n in range(1, args.events + 1)
                    ]
                )  # fmt: skip
            recorded = time.monotonic() - started
            delivered = Delivery.objects.filter(status=DeliveryStatus.DELIVERED)
            deadline = time.monotonic() + 20 * GOAL_SECONDS
            while (done := delivered.count()) < args.events:
                assert time.monotonic() < deadline, f"only {done} delivered"
                assert process.poll() is None, log.read_text(errors="replace")[-3000:]
                time.sleep(0.25)
            took = time.monotonic() - started
        finally:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            current_app.control.purge()
        attempts = Delivery.objects.filter(attempts__gt=1).count()
        ok = took <= GOAL_SECONDS and receiver.rejected == 0 and len(receiver.ids) == args.events
        print(f"{args.events:,} events recorded in one transaction in {recorded:.2f} s")
        print(
            f"{args.events:,} deliveries, fan-out included, by a worker of {args.concurrency} "
            f"processes: {took:.1f} s ({args.events / took:.0f}/s)   goal ≤ {GOAL_SECONDS:g} s: "
            f"{'goal met' if ok else 'goal NOT met'}"
        )
        print(
            f"receiver: {receiver.posts:,} posts, {len(receiver.ids):,} distinct ids verified, "
            f"{receiver.rejected} rejected; deliveries needing more than one attempt: {attempts}"
        )
        cpu = os.times()
        print(
            f"this process's CPU (receiver, polling): {cpu.user - cpu_before.user + cpu.system - cpu_before.system:.1f} s"
        )
        print("load average: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
