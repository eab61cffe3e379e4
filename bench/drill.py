"""The failover drill (docs/deployment.md, "The failover drill"): the multi-node layout on this
one machine, a working day driven through it, and one failure at a time.

    .venv/bin/python bench/drill.py [--users 6] [--seconds-between 20]

Starts, on loopback only: a PostgreSQL primary and its streaming replica (tests/pg_pair.py),
PgBouncer in front of the primary, a Redis master, its replica and three Sentinels, an S3 server
(moto), two gunicorn nodes behind HAProxy, two workers per queue and two beats, all configured
as docs/deployment.md says (the portal's own processes reach PostgreSQL through PgBouncer, read
the replica, find Redis through the Sentinels and keep files in the bucket). Needs Debian's
postgresql, pgbouncer, redis-server, haproxy and wrk.

Then:
1. one node alone (no HAProxy): the mixed pages of clerks, officers and the CA and the clerks'
   drafts from wrk (bench/wrk_mixed.lua) with `--users` connections for `--seconds` seconds:
   requests/s and p99 (goal ≥ 80/s, ≤ 500 ms), and the CPU each request cost the node,
   PostgreSQL and PgBouncer (bench/_cpu.py);
2. a bulk job (key-pool fills on the bulk workers) while interactive probe tasks are sent: how
   long each waited for an interactive worker, and the pages' p95 meanwhile (goal ≤ 1 s);
3. the working day through HAProxy (pages, drafts written by clerks, letters processed by the
   CA's workers) while, one at a time, it kills: a web node, an interactive worker in the middle
   of a letter, the active beat, the Redis master and the PostgreSQL replica. For each: failed
   requests within its window (goal ≤ 1 %) and the time until the portal works again (≤ 30 s);
4. the outcome: acknowledged drafts missing from the primary (lost writes, goal 0), rows with
   more than one certificate or a second draft for one click (duplicates, goal 0), letters not
   fully processed.
Prints each figure against its goal; exits 1 when one is missed."""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import _setup

_setup.configure()
import django  # noqa: E402
from _cpu import CpuMeter, postmaster_pid  # noqa: E402
from _haproxy import HAProxy  # noqa: E402
from bench_load import MIXED_LUA, wrk_run  # noqa: E402
from bench_queues import INTERACTIVE_TASK, MISSING, received, waits_behind_bulk  # noqa: E402
from django.core.management import call_command  # noqa: E402

from config.queues import QUEUES  # noqa: E402
from tests.celery_processes import CeleryProcesses, free_port, wait_ready  # noqa: E402
from tests.pg_pair import PgPair  # noqa: E402
from tests.pgbouncer import PgBouncer  # noqa: E402
from tests.redis_sentinel import SentinelSet  # noqa: E402
from tests.s3_server import S3Server  # noqa: E402

GOAL_RPS, GOAL_P99_MS = 80.0, 500.0
GOAL_FAILED_SHARE, GOAL_RECOVERY_S, GOAL_INTERACTIVE_P95_S = 0.01, 30.0, 1.0
WORK = Path(tempfile.mkdtemp(prefix="portal-drill-"))
PROCESSING_TASK = "cert_request_run_processing_task"
CREATE = "/van-ban/tao/"
PAGES = {
    "clerk": ["/van-ban/", "/thiet-bi/", "/chung-thu/", "/"],
    "officer": ["/van-ban/", "/chung-thu/", "/thong-ke/", "/"],
    "ca": ["/van-ban/", "/chung-thu/", "/thong-ke/", "/giam-sat-ky-so/"],
}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] if ordered else 0.0


# --- the infrastructure ------------------------------------------------------------------------
# --- the load ----------------------------------------------------------------------------------
@dataclass
class Answer:
    at: float
    seconds: float
    status: int  # 0: no answer at all
    kind: str
    path: str


@dataclass
class Load:
    base: str
    sessions: dict[str, str]
    agency_id: int
    answers: list[Answer] = field(default_factory=list)
    drafts: list[int] = field(default_factory=list)  # acknowledged (302 to the new draft)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _request(self, role: str, path: str, data: dict | None = None):
        csrf = "d" * 32
        body = None
        if data is not None:
            body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": csrf}).encode()
        request = urllib.request.Request(self.base + path, data=body)
        request.add_header("Cookie", f"sessionid={self.sessions[role]}; csrftoken={csrf}")
        started = time.monotonic()
        status, location = 0, ""
        try:
            with NO_REDIRECT.open(request, timeout=30) as answer:
                answer.read()
                status = answer.status
        except urllib.error.HTTPError as error:
            status, location = error.code, error.headers.get("Location", "")
        except OSError:
            status = 0
        with self.lock:
            self.answers.append(
                Answer(
                    time.time(),
                    time.monotonic() - started,
                    status,
                    "write" if data else "read",
                    f"{role} {path}",
                )
            )
        return status, location

    def user(self, role: str, writes: bool) -> None:
        rng = random.Random(f"{role}-{threading.get_ident()}")
        while not self.stop.is_set():
            if writes and role == "clerk" and rng.random() < 0.3:
                status, location = self._request(
                    role, CREATE, {"form": "01", "agency": self.agency_id}
                )
                found = re.search(r"/van-ban/(\d+)/", location)
                if status == 302 and found:
                    with self.lock:
                        self.drafts.append(int(found.group(1)))
            else:
                self._request(role, rng.choice(PAGES[role]))

    def run(self, users: int, *, writes: bool = True) -> list[threading.Thread]:
        roles = ["clerk", "officer", "ca"]
        threads = [
            threading.Thread(target=self.user, args=(roles[n % 3], writes), daemon=True)
            for n in range(users)
        ]
        for thread in threads:
            thread.start()
        return threads

    def between(self, start: float, end: float) -> list[Answer]:
        with self.lock:
            return [a for a in self.answers if start <= a.at <= end]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


NO_REDIRECT = urllib.request.build_opener(_NoRedirect)


def failed(answers: list[Answer]) -> list[Answer]:
    return [a for a in answers if a.status == 0 or a.status >= 500 or a.status in (403, 404)]


# --- the data ----------------------------------------------------------------------------------
def build(letters: int, rows: int):
    """The agency, its province and the CA with their people, and `letters` accepted Mẫu 01
    letters of `rows` rows waiting for the CA's "Xử lý"."""
    from _letters import build_agency, issued_letter
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from agencies.choices import OrgKind, Role
    from agencies.models import Membership, Organization
    from certificates.services import ca_initialize
    from requests_app.choices import FormKind, Outcome, Status
    from requests_app.models import CertRequest

    agency, clerk, head = world = build_agency()
    office = Organization.objects.get(kind=OrgKind.PROVINCIAL_OFFICE)
    ca_org = Organization.objects.create(kind=OrgKind.CA, name="Cục CTS&BMTT (mô phỏng)")
    users = get_user_model().objects
    officer = users.create(username="drill_officer")
    operator = users.create(username="drill_ca_operator")
    Membership.objects.create(user=officer, role=Role.PROVINCIAL_OFFICER, organization=office)
    Membership.objects.create(user=operator, role=Role.CA_OPERATOR, organization=ca_org)
    ca_initialize(by=operator)
    pks = []
    for number in range(letters):
        pk = issued_letter(world, FormKind.ISSUE_PERSON, rows, 100 + number, distinct=True)
        CertRequest.objects.filter(pk=pk).update(
            status=Status.FORWARDED, received_on=timezone.localdate(), forwarded_at=timezone.now()
        )
        CertRequest.objects.get(pk=pk).rows.update(
            outcome=Outcome.ACCEPTED, decided_by=operator, decided_at=timezone.now()
        )
        pks.append(pk)
    return agency, {"clerk": clerk, "officer": officer, "ca": operator}, pks


def sessions_for(people: dict) -> dict[str, str]:
    from django.test import Client

    from tests.helpers import sign_in

    return {
        role: sign_in(Client(), user).cookies["sessionid"].value for role, user in people.items()
    }


def process(letter_pk: int, operator) -> None:
    """The CA operator's "Xử lý": the letter moves to in process and its task is queued."""
    from requests_app.models import CertRequest
    from requests_app.services import processing

    processing.cert_request_process(cert_request=CertRequest.objects.get(pk=letter_pk), by=operator)


def rows_done(letter_pk: int) -> int:
    from requests_app.choices import Outcome
    from requests_app.models import RequestRow

    return RequestRow.objects.filter(cert_request_id=letter_pk, outcome=Outcome.DONE).count()


def letters_done(pks: list[int]) -> int:
    from requests_app.choices import Status
    from requests_app.models import CertRequest

    return CertRequest.objects.filter(pk__in=pks, status=Status.DONE).count()


# --- the drill -----------------------------------------------------------------------------------
class Drill:
    def __init__(self, args):
        self.args = args
        self.pair = PgPair()
        self.redis = SentinelSet(self._folder("redis"))
        self.s3 = S3Server(self._folder("s3"))
        self.bouncer: PgBouncer | None = None
        self.processes: CeleryProcesses | None = None
        self.haproxy: HAProxy | None = None
        self.web_ports = [free_port(), free_port()]
        self.webs: list = []
        self.workers: dict[str, list] = {}
        self.beats: list = []
        self.lines: list[str] = []
        self.missed: list[str] = []

    @staticmethod
    def _folder(name: str) -> Path:
        folder = WORK / name
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def figure(self, label: str, value: str, ok: bool | None = None, goal: str = "") -> None:
        verdict = "" if ok is None else ("goal met" if ok else "goal NOT met")
        line = f"{label:52} {value:>22}   {goal} {verdict}".rstrip()
        print(line, flush=True)
        if ok is False:
            self.missed.append(label)

    def log(self, process) -> Path:
        return self.processes.workdir / f"process-{self.processes.processes.index(process)}.log"

    def logs(self, processes) -> list[Path]:
        return [self.log(p) for p in processes]

    # -- start ----------------------------------------------------------------------------
    def environment(self) -> dict[str, str]:
        return {
            **self.redis.env(),
            "PORTAL_CACHE_URL": "redis://sentinel-named-master/1",
            **self.s3.env(),
            "PORTAL_VAR_DIR": str(self._folder("var")),
            "STATIC_ROOT": str(self._folder("static")),
            "DEBUG": "0",
            "DATABASE_CONN_MAX_AGE": "60",  # as .env.example: connections kept
            "ALLOWED_HOSTS": "127.0.0.1",
            "LOG_FORMAT": "json",
            "CA_ALLOW_DEV_PASSPHRASE": "1",
            "CA_KEY_STORE": "file",
            "PORTAL_SUBSCRIBER_KEY_STORE": "software",
            "CA_KEY_POOL_SIZE": "0",  # no key pool: the bulk phase fills one on purpose
            "PORTAL_PROCESSING_STALL_SECONDS": "10",
            "PORTAL_PROCESSING_SWEEP_SECONDS": "5",
            "PORTAL_PROCESSING_CHUNK_SIZE": "10",  # a letter is done in several commits
            "PORTAL_HEARTBEAT_SECONDS": "2",
            "PORTAL_API_RATE_TOKEN": "1000000/minute",
            "PORTAL_API_RATE_ADDRESS": "1000000/minute",
        }

    def start(self):
        print(f"drill folder: {WORK}", flush=True)
        self.pair.start()
        self.redis.start()
        self.s3.start()
        os.environ.update(self.environment(), DATABASE_URL=self.pair.url("portal"))

    def start_portal(self, database: str) -> None:
        self.pair.start_replica()
        self.bouncer = PgBouncer("127.0.0.1", self.pair.primary_port, "postgres")
        self.bouncer.start()
        env = {
            **self.environment(),
            "DATABASE_URL": self.bouncer.url(database),
            "DATABASE_POOLER": "pgbouncer",
            "DATABASE_REPLICA_URL": self.pair.url(database, replica=True),
        }
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=_setup.ROOT, env={**os.environ, **env}, check=True, capture_output=True,
        )  # fmt: skip
        self.processes = CeleryProcesses(env["REDIS_URL"], self._folder("processes"), **env)
        self.webs = [
            self.processes.web(port, workers=self.args.web_workers) for port in self.web_ports
        ]
        for queue in QUEUES:  # every queue config/queues.py names, the webhooks' included
            self.workers[queue.name] = [
                self.processes.worker(queues=(queue.name,)) for _ in range(2)
            ]
        self.beats = [self.processes.beat(), self.processes.beat()]
        self.haproxy = HAProxy(self.web_ports, WORK)
        for port, web in zip(self.web_ports, self.webs, strict=True):
            wait_ready(f"http://127.0.0.1:{port}/health/ready/", web)
        every_worker = [w for group in self.workers.values() for w in group]
        deadline = time.monotonic() + 120
        while sum(" ready." in self.log(w).read_text() for w in every_worker) < len(every_worker):
            assert time.monotonic() < deadline, "the workers did not start"
            time.sleep(0.5)

    def stop(self) -> None:
        if self.processes is not None:
            self.processes.stop_all()
        for part in (self.haproxy, self.bouncer, self.s3, self.redis):
            if part is not None:
                with contextlib.suppress(Exception):
                    part.stop()
        self.pair.stop()

    # -- phases ---------------------------------------------------------------------------
    def one_node(self, base: str, sessions: dict[str, str], agency_id: int) -> None:
        """Phase 1 from wrk (bench/wrk_mixed.lua, bench_load's mix): a load generator in C."""
        from requests_app.choices import Status
        from requests_app.models import CertRequest

        drafts_before = CertRequest.objects.filter(status=Status.DRAFT).count()
        meter = CpuMeter(
            groups={"node": self.webs[1].pid},
            trees={
                "PostgreSQL primary": postmaster_pid(self.pair.primary_dir),
                "replica": postmaster_pid(self.pair.replica_dir),
                "PgBouncer": self.bouncer.process.pid,
            },
        )
        env = {**os.environ, "MIX_AGENCY": str(agency_id)}
        env.update({f"MIX_{role.upper()}": cookie for role, cookie in sessions.items()})
        report = wrk_run(base, MIXED_LUA, connections=self.args.users, seconds=self.args.seconds,
                         env=env, meter=meter)  # fmt: skip
        # A page answered by the sign-in page would be a 302 too: the clerk's drafts show that
        # the sessions held (every ninth request asks for one).
        drafts = CertRequest.objects.filter(status=Status.DRAFT).count() - drafts_before
        asked = report.total // 9
        bad = report.non_2xx + report.socket_errors
        print(report.cpu)
        self.figure("one node: drafts saved (the sessions held)", f"{drafts} of about {asked}",
                    drafts >= asked * 0.95, "all")  # fmt: skip
        self.figure("one node: mixed load", f"{report.rate:.1f} requests/s",
                    report.rate >= GOAL_RPS, f"≥ {GOAL_RPS:g}")  # fmt: skip
        self.figure("one node: p99", f"{report.p99:.0f} ms", report.p99 <= GOAL_P99_MS,
                    f"≤ {GOAL_P99_MS:g}")  # fmt: skip
        self.figure("one node: failed requests", f"{bad} of {report.total}", bad == 0, "0")

    def bulk(self, load: Load, app) -> None:
        started = time.time()
        waits = waits_behind_bulk(app, self.logs(self.workers["interactive"]), bulk=4, probes=10)
        p95 = percentile(waits, 0.95)
        self.figure("interactive task wait during bulk work, p95", f"{p95:.3f} s",
                    p95 <= GOAL_INTERACTIVE_P95_S, f"≤ {GOAL_INTERACTIVE_P95_S:g} s")  # fmt: skip
        pages = load.between(started, time.time())
        p95_pages = percentile([a.seconds for a in pages], 0.95)
        self.figure("pages during bulk work, p95", f"{p95_pages:.3f} s",
                    p95_pages <= GOAL_INTERACTIVE_P95_S, f"≤ {GOAL_INTERACTIVE_P95_S:g} s")  # fmt: skip

    def window(self, load: Load, what: str, killed_at: float, recovered_in: float | None) -> None:
        """The failed requests from the kill to the end of its window; `recovered_in` None:
        until the last of them (0 when none failed)."""
        time.sleep(max(0.0, killed_at + self.args.seconds_between - time.time()))
        answers = load.between(killed_at, killed_at + self.args.seconds_between)
        bad = failed(answers)
        if recovered_in is None:
            recovered_in = max((a.at for a in bad), default=killed_at) - killed_at
        share = len(bad) / max(1, len(answers))
        self.figure(f"{what}: failed requests in {self.args.seconds_between} s",
                    f"{len(bad)} of {len(answers)} ({share:.1%})",
                    share <= GOAL_FAILED_SHARE, f"≤ {GOAL_FAILED_SHARE:.0%}")  # fmt: skip
        self.figure(f"{what}: recovery", f"{recovered_in:.1f} s",
                    recovered_in <= GOAL_RECOVERY_S, f"≤ {GOAL_RECOVERY_S:g} s")  # fmt: skip

    def kill_web(self, load: Load) -> None:
        victim = self.webs[0]
        killed_at = time.time()
        CeleryProcesses.kill(victim)
        self.window(load, "web node killed", killed_at, None)
        self.webs[0] = self.processes.web(self.web_ports[0], workers=self.args.web_workers)
        wait_ready(f"http://127.0.0.1:{self.web_ports[0]}/health/ready/", self.webs[0])

    def kill_worker_mid_letter(self, load: Load, letter: int, operator) -> None:
        group = self.workers["interactive"]
        before = {w.pid: self.log(w).read_text().count(PROCESSING_TASK) for w in group}
        process(letter, operator)
        deadline = time.monotonic() + 60
        victim = None
        while victim is None:
            assert time.monotonic() < deadline, "no interactive worker took the letter"
            for worker in group:
                if self.log(worker).read_text().count(PROCESSING_TASK) > before[worker.pid]:
                    victim = worker
            time.sleep(0.05)
        while rows_done(letter) == 0:  # in the middle: a chunk of rows committed, not all
            assert time.monotonic() < deadline, "the letter's first rows were never done"
            time.sleep(0.05)
        killed_at = time.time()
        CeleryProcesses.kill(victim)
        print(f"  killed with {rows_done(letter)} of {self.args.rows} rows done", flush=True)
        deadline = time.monotonic() + 180
        while not letters_done([letter]):
            assert time.monotonic() < deadline, "the letter was never finished"
            time.sleep(0.5)
        self.window(
            load, "interactive worker killed mid-letter", killed_at, time.time() - killed_at
        )
        group[group.index(victim)] = self.processes.worker(queues=("interactive",))

    def kill_beat(self, load: Load) -> None:
        def sent(beat) -> int:
            return self.log(beat).read_text().count("Sending due task")

        time.sleep(6)
        active = max(self.beats, key=sent)
        other = next(b for b in self.beats if b is not active)
        before = sent(other)
        killed_at = time.time()
        CeleryProcesses.kill(active)
        deadline = time.monotonic() + 120
        while sent(other) <= before:
            assert time.monotonic() < deadline, "the other beat never took over"
            time.sleep(0.2)
        self.window(load, "active beat killed", killed_at, time.time() - killed_at)
        self.beats[self.beats.index(active)] = self.processes.beat()

    def kill_redis_master(self, load: Load, app) -> None:
        everyone = [w for group in self.workers.values() for w in group]
        killed_at = time.time()
        self.redis.master.stop()
        deadline = time.monotonic() + 120
        probe = None
        while True:
            assert time.monotonic() < deadline, "no task went through after the failover"
            if probe is None:
                with contextlib.suppress(Exception):
                    probe = app.send_task(INTERACTIVE_TASK, args=(MISSING,)).id
            if probe is not None and probe in received(self.logs(everyone)):
                break
            time.sleep(0.2)
        self.window(load, "Redis master killed", killed_at, time.time() - killed_at)

    def kill_replica(self, load: Load) -> None:
        killed_at = time.time()
        self.pair.stop_replica()
        deadline = time.monotonic() + 60
        while True:
            assert time.monotonic() < deadline, "the lists never answered again"
            status, _ = load._request("clerk", "/van-ban/")
            if status == 200:
                break
            time.sleep(0.2)
        self.window(load, "PostgreSQL replica killed", killed_at, time.time() - killed_at)

    def outcome(self, load: Load, letters: list[int]) -> None:
        from django.db.models import Count

        from certificates.models import Certificate
        from requests_app.models import CertRequest

        deadline = time.monotonic() + 120
        while letters_done(letters) < len(letters) and time.monotonic() < deadline:
            time.sleep(1)
        with load.lock:  # the users' threads may still be finishing their last request
            answered = list(load.drafts)
        acknowledged = set(answered)
        stored = set(CertRequest.objects.filter(pk__in=acknowledged).values_list("pk", flat=True))
        lost = len(acknowledged - stored)
        self.figure("acknowledged drafts lost", f"{lost} of {len(acknowledged)}", lost == 0, "0")
        doubled = (
            Certificate.objects.filter(origin__startswith="request_row:")
            .values("origin")
            .annotate(n=Count("pk"))
            .filter(n__gt=1)
            .count()
        )
        repeated = len(answered) - len(acknowledged)
        if repeated:
            twice = sorted({pk for pk in answered if answered.count(pk) > 1})
            print(f"drafts acknowledged twice (one page for two clicks): {twice}")
        self.figure("duplicate certificates or drafts", f"{doubled + repeated}",
                    doubled + repeated == 0, "0")  # fmt: skip
        done = letters_done(letters)
        self.figure("letters processed", f"{done} of {len(letters)}", done == len(letters))
        everything = load.between(0, time.time())
        self.figure("requests in the working day", f"{len(everything)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=6, help="threads of clerks, officers, CA")
    parser.add_argument("--seconds", type=int, default=20, help="of the one-node measurement")
    parser.add_argument("--seconds-between", type=int, default=20, help="window of each kill")
    parser.add_argument("--rows", type=int, default=60, help="rows of each letter processed")
    parser.add_argument(
        "--web-workers", type=int, default=3, help="gunicorn processes per node (as shipped)"
    )
    parser.add_argument(
        "--one-node-only", action="store_true", help="stop after phase 1 (to profile a node)"
    )
    args = parser.parse_args()
    for binary in ("haproxy", "redis-server", "pg_dump", "wrk"):
        if not shutil.which(binary) and not Path(f"/usr/sbin/{binary}").exists():
            print(f"the drill needs {binary} (Debian's package)", file=sys.stderr)
            return 2
    drill = Drill(args)
    try:
        drill.start()
        drill.pair.sql("CREATE DATABASE portal")
        django.setup()
        call_command("migrate", verbosity=0)
        from config.celery import app

        agency, people, letters = build(letters=3, rows=args.rows)
        sessions = sessions_for(people)
        from django.db import connections

        connections.close_all()
        drill.start_portal("portal")
        print("the portal is up; phase 1: one node", flush=True)
        node = f"http://127.0.0.1:{drill.web_ports[1]}"
        drill.one_node(node, sessions, agency.pk)
        if args.one_node_only:
            return 1 if drill.missed else 0
        balanced = f"http://127.0.0.1:{drill.haproxy.port}"
        day = Load(balanced, sessions, agency.pk)
        day_threads = day.run(args.users)
        print("phase 2: bulk work", flush=True)
        drill.bulk(day, app)
        print("phase 3: one failure at a time", flush=True)
        process(letters[1], people["ca"])
        drill.kill_web(day)
        drill.kill_worker_mid_letter(day, letters[0], people["ca"])
        drill.kill_beat(day)
        drill.kill_redis_master(day, app)
        process(letters[2], people["ca"])
        drill.kill_replica(day)
        day.stop.set()
        for thread in day_threads:  # every click answered or given up before the count
            thread.join(timeout=40)
        drill.outcome(day, letters)
    finally:
        drill.stop()
    print("load average: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    if drill.missed:
        print("goals NOT met: " + "; ".join(drill.missed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
