"""A load test of the hot pages through gunicorn as shipped (issue 16, docs/architecture.md
§12.7), from a second process on loopback, bounded in time:

    DATABASE_URL=postgres://…/portal_scale REDIS_URL=redis://…/N python bench/bench_load.py
    python bench/bench_load.py --seconds 10 --connections 4      # a short run

1. gunicorn with the Dockerfile's command line (`--workers 3`) and production settings (DEBUG
   off, the manifest static files collected into a temporary folder), bound to 127.0.0.1;
2. a CA operator signs in over HTTP (password, then the authenticator's code), as a person
   would; its session cookie is handed to the load generator;
3. wrk (Debian's `wrk`: apt-get install wrk) runs --seconds with --connections connections,
   each request the next of the hot lists in turn (bench/wrk_pages.lua): certificates, letters,
   the CA queue, devices, Mẫu 07, return obligations, and the certificates, letters and devices
   API lists.

Prints the requests per second, the latency percentiles and every error (non-2xx answers,
socket errors and timeouts, any answer but 200 in gunicorn's access log) against the goals: no error, at
least GOAL_RPS requests a second, p99 ≤ GOAL_P99_MS. Reads the dataset `manage.py seed_scale`
left; writes only the operator's account and its session."""

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

GOAL_RPS = 40.0
GOAL_P99_MS = 1000.0
LUA = Path(__file__).with_name("wrk_pages.lua")


def to_ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def run(args) -> int:
    if not shutil.which("wrk"):
        print("bench_load needs wrk: apt-get install wrk", file=sys.stderr)
        return 2
    base_url = os.environ.get("DATABASE_URL", "")
    if not base_url.startswith("postgres"):
        print("bench_load needs DATABASE_URL=postgres://… (the seed_scale database)")
        return 2
    var_dir = Path(tempfile.mkdtemp(prefix="bench-load-"))
    env = {
        **os.environ,
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "PORTAL_VAR_DIR": str(var_dir),
        "STATIC_ROOT": str(var_dir / "static_root"),
        "PYTHONUNBUFFERED": "1",
        # The load measures throughput; the API's rate limits are counted but never reached.
        "PORTAL_API_RATE_TOKEN": os.environ.get("PORTAL_API_RATE_TOKEN", "1000000/minute"),
        "PORTAL_API_RATE_ADDRESS": os.environ.get("PORTAL_API_RATE_ADDRESS", "1000000/minute"),
    }
    os.environ.update(env)
    import django

    django.setup()
    from bench_export import Browser, bench_operator, start_gunicorn, wait_for

    from certificates.models import Certificate

    certificates = Certificate.objects.count()
    user = bench_operator()
    from django.db import connections

    connections.close_all()
    access_log = var_dir / "access.log"
    base = f"http://127.0.0.1:{args.port}"
    gunicorn = start_gunicorn(env, port=args.port, access_log=access_log)
    try:
        wait_for(base + "/dang-nhap/")
        browser = Browser(base)
        browser.sign_in(user)
        cookie = "; ".join(f"{c.name}={c.value}" for c in browser.jar)
        # Every worker warm before the clock starts (imports, templates, connections).
        for _ in range(6):
            browser.request("/chung-thu/").read()
        time.sleep(1)  # the access log flushed: lines after this many are wrk's
        before = len(access_log.read_text().splitlines())
        started = time.perf_counter()
        result = subprocess.run(
            ["wrk", "--threads", "2", "--connections", str(args.connections),
             "--duration", f"{args.seconds}s", "--timeout", "10s", "--latency",
             "--script", str(LUA), "--header", f"Cookie: {cookie}", base],
            capture_output=True, text=True, timeout=args.seconds + 60, check=False,
        )  # fmt: skip
        elapsed = time.perf_counter() - started
    finally:
        gunicorn.terminate()
        try:
            gunicorn.wait(timeout=30)
        except subprocess.TimeoutExpired:
            gunicorn.kill()
    output = result.stdout + result.stderr
    print(output.rstrip())
    statuses: dict[str, int] = {}
    for line in access_log.read_text().splitlines()[before:]:
        found = re.search(r'" (\d{3}) ', line)
        if found:
            statuses[found.group(1)] = statuses.get(found.group(1), 0) + 1
    # A redirect is an error here too: every list answers 200 to a signed-in operator.
    not_200 = sum(count for status, count in statuses.items() if status != "200")
    shutil.rmtree(var_dir, ignore_errors=True)

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50 = to_ms(re.search(r"50%\s+(\S+)", output).group(1))
    p99 = to_ms(re.search(r"99%\s+(\S+)", output).group(1))
    non_2xx = int((re.search(r"Non-2xx or 3xx responses: (\d+)", output) or [0, 0])[1])
    socket = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    socket_errors = sum(int(n) for n in socket.groups()) if socket else 0
    errors = non_2xx + socket_errors + not_200
    ok = errors == 0 and rps >= GOAL_RPS and p99 <= GOAL_P99_MS
    print()
    print(
        f"load test: {args.connections} connections for {elapsed:.0f} s over the hot lists as a "
        f"CA operator, {certificates:,} certificates; gunicorn --workers 3, production settings; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    print(f"answers in gunicorn's log by status: {dict(sorted(statuses.items()))}")
    print(
        f"Goal ≥ {GOAL_RPS:.0f} requests/s, p99 ≤ {GOAL_P99_MS:.0f} ms, no error: "
        f"{'goal met' if ok else 'goal NOT met'} ({rps:.1f} requests/s, p50 {p50:.0f} ms, "
        f"p99 {p99:.0f} ms; {non_2xx} non-2xx, {socket_errors} socket errors, "
        f"{not_200} answers other than 200 in the log)"
    )
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--connections", type=int, default=6)
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args()
    _setup.configure()
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
