"""What users get from one node under load (docs/scale.md §12.7): pages over HTTP from gunicorn
as shipped, on the dataset `manage.py seed_scale` left (1M certificates through `bench/run`),
from a second process on loopback, bounded in time:

    DATABASE_URL=postgres://…/portal_scale REDIS_URL=redis://…/N python bench/bench_load.py
    python bench/bench_load.py --seconds 10 --connections 6 --port 8800   # a short run

1. gunicorn with the Dockerfile's command line (`--workers 3`) and production settings (DEBUG
   off, the manifest static files collected into a temporary folder, connections kept
   `DATABASE_CONN_MAX_AGE=60` and the shared cache in Redis as .env.example has them), bound to
   127.0.0.1:--port;
2. **the mixed load**: the dataset's CA operator, a province's officer and an agency's clerk,
   each signed in (a session as the sign-in page leaves it), in turn, over the pages each uses
   most, every third clerk request a new draft (bench/wrk_mixed.lua, the drill's mix), from
   --connections connections (20: the concurrent users of the goal) for --seconds; the drafts
   it wrote are deleted afterwards, so the dataset stays as seeded;
3. **the CA's lists**: a CA operator signs in over HTTP (password, then the authenticator's
   code), as a person would, then wrk walks the hot lists and the API lists in turn
   (bench/wrk_pages.lua) with --list-connections connections.

wrk (Debian's `wrk`) is the load generator: its own CPU stays small beside the node's. Prints,
for each load, requests per second, p50/p95/p99, every error (non-2xx answers, socket errors
and timeouts, any answer but the expected ones in gunicorn's access log) and the CPU each
request cost the node and PostgreSQL (bench/_cpu.py): on a shared machine the rate moves with
whatever else runs, the CPU per request much less."""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _setup
from _cpu import CpuMeter, postmaster_pid

# The mixed load among 1M certificates: 20 users of three roles got 28–31 requests/s at p95
# 0.9 s before the node's work per request was cut (docs/scale.md §12.7); the goal is the
# failover drill's for the same mix on its small dataset.
GOAL_MIXED_RPS, GOAL_MIXED_P99_MS = 80.0, 500.0
GOAL_RPS, GOAL_P99_MS = 40.0, 1000.0
MIXED_LUA = Path(__file__).with_name("wrk_mixed.lua")
LISTS_LUA = Path(__file__).with_name("wrk_pages.lua")


def next_database(redis_url: str) -> str:
    """The shared cache's Redis database: the one after the broker's (.env.example)."""
    number = re.search(r"/(\d+)$", redis_url)
    following = (int(number.group(1)) + 1) % 16 if number else 1
    return re.sub(r"(/\d+)?$", f"/{following}", redis_url, count=1)


def to_ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


class Node:
    """gunicorn on the dataset, its access log, and the CPU meter of it and PostgreSQL."""

    def __init__(self, env: dict, port: int, var_dir: Path):
        from bench_export import start_gunicorn
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SHOW data_directory")
            data_directory = Path(cursor.fetchone()[0])
        database = connection.settings_dict["NAME"]
        self.base = f"http://127.0.0.1:{port}"
        self.access_log = var_dir / "access.log"
        self.process = start_gunicorn(env, port=port, access_log=self.access_log)
        trees = {"node": self.process.pid}
        if data_directory.exists():  # a local server: its backends' CPU on the dataset too
            trees["PostgreSQL"] = (postmaster_pid(data_directory), f" {database} ")
        self.meter = CpuMeter(groups={}, trees=trees)

    def log_lines(self) -> int:
        time.sleep(1)  # the access log flushed
        return len(self.access_log.read_text().splitlines())

    def statuses(self, since: int) -> dict[str, int]:
        found: dict[str, int] = {}
        for line in self.access_log.read_text().splitlines()[since:]:
            status = re.search(r'" (\d{3}) ', line)
            if status:
                found[status.group(1)] = found.get(status.group(1), 0) + 1
        return found

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


class Report:
    """The figures of one wrk run."""

    def __init__(self, output: str, used: dict[str, float], seconds: int):
        self.rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
        self.total = int(re.search(r"(\d+) requests in", output).group(1))
        self.p50 = to_ms(re.search(r"^\s*50%\s+(\S+)", output, re.M).group(1))
        self.p95 = to_ms(re.search(r"p95 latency: (\S+)", output).group(1))
        self.p99 = to_ms(re.search(r"^\s*99%\s+(\S+)", output, re.M).group(1))
        self.non_2xx = int((re.search(r"Non-2xx or 3xx responses: (\d+)", output) or [0, 0])[1])
        socket = re.search(
            r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
        )
        self.socket_errors = sum(int(n) for n in socket.groups()) if socket else 0
        self.seconds = seconds
        per_request = ", ".join(
            f"{name} {1000 * value / max(self.total, 1):.1f} ms"
            for name, value in used.items()
            if name != "machine"
        )
        self.cpu = (
            f"CPU per request: {per_request} (the machine {used['machine'] / seconds:.2f} of"
            f" {os.cpu_count()} CPUs busy, load average {os.getloadavg()[0]:.1f})"
        )


def wrk_run(base: str, lua: Path, *, connections: int, seconds: int, env: dict,
            meter: CpuMeter, headers: tuple[str, ...] = ()) -> Report:  # fmt: skip
    """wrk against `base` with `lua`, its report printed, and the CPU each part used meanwhile."""
    extra = [arg for header in headers for arg in ("--header", header)]
    meter.start()
    result = subprocess.run(
        ["wrk", "--threads", "2", "--connections", str(connections),
         "--duration", f"{seconds}s", "--timeout", "10s", "--latency",
         "--script", str(lua), *extra, base],
        capture_output=True, text=True, env=env, timeout=seconds + 60, check=False,
    )  # fmt: skip
    used = meter.stop()
    output = result.stdout + result.stderr
    print(output.rstrip())
    return Report(output, used, seconds)


def mixed(node: Node, args) -> bool:
    """The three roles' pages and the clerk's drafts (bench/wrk_mixed.lua)."""
    from django.contrib.auth import get_user_model
    from django.db import connections
    from django.test import Client

    from dashboard.scale_seed import CA_USERNAME, CLERK_USERNAME, OFFICER_USERNAME
    from requests_app.models import CertRequest
    from tests.helpers import sign_in

    users = get_user_model().objects
    people = {
        "ca": users.get(username=CA_USERNAME),
        "officer": users.get(username=OFFICER_USERNAME.format(province=1)),
        "clerk": users.get(username=CLERK_USERNAME.format(agency=1)),
    }
    cookies = {
        role: sign_in(Client(), user).cookies["sessionid"].value for role, user in people.items()
    }
    agency = people["clerk"].memberships.values_list("organization_id", flat=True).first()
    last_letter = CertRequest.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    connections.close_all()
    env = {**os.environ, "MIX_AGENCY": str(agency)}
    env.update({f"MIX_{role.upper()}": cookie for role, cookie in cookies.items()})
    since = node.log_lines()
    report = wrk_run(node.base, MIXED_LUA, connections=args.connections, seconds=args.seconds,
                     env=env, meter=node.meter)  # fmt: skip
    statuses = node.statuses(since)
    # Pages answer 200, a draft a redirect to its page; anything else is an error.
    wrong = sum(count for status, count in statuses.items() if status not in ("200", "302"))
    drafts = CertRequest.objects.filter(pk__gt=last_letter, created_by=people["clerk"])
    written = drafts.count()
    drafts.delete()
    errors = report.non_2xx + report.socket_errors + wrong
    ok = errors == 0 and report.rate >= GOAL_MIXED_RPS and report.p99 <= GOAL_MIXED_P99_MS
    print(
        f"\nmixed load: {args.connections} connections for {args.seconds} s, a CA operator, a"
        f" province's officer and an agency's clerk in turn ({written} drafts written, then"
        f" deleted); answers in gunicorn's log by status: {dict(sorted(statuses.items()))}"
    )
    print(report.cpu)
    print(
        f"Goal ≥ {GOAL_MIXED_RPS:.0f} requests/s, p99 ≤ {GOAL_MIXED_P99_MS:.0f} ms, no error: "
        f"{'goal met' if ok else 'goal NOT met'} (mixed load: {report.rate:.1f} requests/s,"
        f" p50 {report.p50:.0f} ms, p95 {report.p95:.0f} ms, p99 {report.p99:.0f} ms;"
        f" {errors} errors)"
    )
    return ok


def ca_lists(node: Node, args) -> bool:
    """A CA operator signed in over HTTP, the hot lists and the API lists in turn."""
    from bench_export import Browser, bench_operator
    from django.db import connections

    user = bench_operator()
    connections.close_all()
    browser = Browser(node.base)
    browser.sign_in(user)
    cookie = "; ".join(f"{c.name}={c.value}" for c in browser.jar)
    since = node.log_lines()
    report = wrk_run(node.base, LISTS_LUA, connections=args.list_connections,
                     seconds=args.seconds, env=dict(os.environ), meter=node.meter,
                     headers=(f"Cookie: {cookie}",))  # fmt: skip
    statuses = node.statuses(since)
    # A redirect is an error here: every list answers 200 to a signed-in operator.
    not_200 = sum(count for status, count in statuses.items() if status != "200")
    errors = report.non_2xx + report.socket_errors + not_200
    ok = errors == 0 and report.rate >= GOAL_RPS and report.p99 <= GOAL_P99_MS
    print(
        f"\nthe CA's lists: {args.list_connections} connections for {args.seconds} s; answers"
        f" in gunicorn's log by status: {dict(sorted(statuses.items()))}"
    )
    print(report.cpu)
    print(
        f"Goal ≥ {GOAL_RPS:.0f} requests/s, p99 ≤ {GOAL_P99_MS:.0f} ms, no error: "
        f"{'goal met' if ok else 'goal NOT met'} (the CA's lists: {report.rate:.1f} requests/s,"
        f" p50 {report.p50:.0f} ms, p95 {report.p95:.0f} ms, p99 {report.p99:.0f} ms;"
        f" {errors} errors)"
    )
    return ok


def run(args) -> int:
    if not shutil.which("wrk"):
        print("bench_load needs wrk: apt-get install wrk", file=sys.stderr)
        return 2
    base_url = os.environ.get("DATABASE_URL", "")
    if not base_url.startswith("postgres"):
        print("bench_load needs DATABASE_URL=postgres://… (the seed_scale database)")
        return 2
    var_dir = Path(tempfile.mkdtemp(prefix="bench-load-"))
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14")
    env = {
        **os.environ,
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "PORTAL_VAR_DIR": str(var_dir),
        "STATIC_ROOT": str(var_dir / "static_root"),
        "PYTHONUNBUFFERED": "1",
        "DATABASE_CONN_MAX_AGE": "60",
        "PORTAL_CACHE_URL": os.environ.get("PORTAL_CACHE_URL", next_database(redis_url)),
        # The load measures throughput; the API's rate limits are counted but never reached.
        "PORTAL_API_RATE_TOKEN": os.environ.get("PORTAL_API_RATE_TOKEN", "1000000/minute"),
        "PORTAL_API_RATE_ADDRESS": os.environ.get("PORTAL_API_RATE_ADDRESS", "1000000/minute"),
    }
    os.environ.update(env)
    import django

    django.setup()
    from certificates.models import Certificate

    certificates = Certificate.objects.count()
    node = Node(env, args.port, var_dir)
    try:
        from bench_export import Browser, wait_for

        wait_for(node.base + "/dang-nhap/")
        # Every worker warm before the clock starts (imports, templates, connections).
        for _ in range(6):
            Browser(node.base).request("/dang-nhap/").read()
        print(
            f"one node: gunicorn --workers 3, production settings, {certificates:,}"
            f" certificates; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
        )
        ok = True
        if args.load in ("mixed", "all"):
            ok &= mixed(node, args)
        if args.load in ("lists", "all"):
            ok &= ca_lists(node, args)
    finally:
        node.stop()
        shutil.rmtree(var_dir, ignore_errors=True)
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--load", choices=["mixed", "lists", "all"], default="all")
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--connections", type=int, default=20, help="of the mixed load")
    parser.add_argument("--list-connections", type=int, default=6, help="of the CA's lists")
    parser.add_argument("--port", type=int, default=8766, help="gunicorn's, on 127.0.0.1")
    args = parser.parse_args()
    _setup.configure()
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
