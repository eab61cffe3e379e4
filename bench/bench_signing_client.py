"""Benchmark of the signing client's share of one signing round trip (clients/signing).

    python bench/bench_signing_client.py [--n 50] [--key rsa|ec]

Sets up a throw-away SoftHSM2 token store with one personalised token (key generated inside
it, certificate on it; tests/signing_client/make_token.py), starts `python -m
portal_signing_client` on a free loopback port as the official would, and for each of N
requests does what the portal page and the popup do, with the human left out (the confirm form
is posted as soon as the page is read):

1. POST /v1/sign (the page hands over the digest),
2. GET /v1/confirm/<id> (the popup shows the page),
3. POST /v1/confirm/<id> with the PIN (C_Login, find the key, sign, check the signature),
4. GET /v1/sign/<id> (the page's poll finds the result).

Prints the median and 95th percentile of the whole and of each step. The client's own goal:
its share of the round trip at most 100 ms (median), so that the official waits for the portal
(whose share has its own goal of 300 ms), not for the client. No database, no Django.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _verdicts import exit_code, verdict  # noqa: E402

from tests.signing_client.client_tools import ClientProcess, TokenStore, sign_body  # noqa: E402

GOAL = 0.100
STEPS = ("sign", "page", "confirm", "poll")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=50)
    parser.add_argument("--key", choices=["rsa", "ec"], default="rsa")
    args = parser.parse_args()

    store = TokenStore(Path(tempfile.mkdtemp(prefix="bench-signing-client-")))
    certificate = store.make_token("BENCH", key=args.key)
    client = ClientProcess(store, "--log-level", "WARNING")
    timings = {step: [] for step in (*STEPS, "total")}
    load_before = os.getloadavg()[0]
    try:
        for i in range(args.n + 1):
            t0 = time.perf_counter()
            created = client.post_json("/v1/sign", sign_body(certificate)).json()
            t1 = time.perf_counter()
            _, csrf = client.confirm_page(created["confirm_url"])
            t2 = time.perf_counter()
            client.confirm(created["confirm_url"], csrf=csrf)
            t3 = time.perf_counter()
            result = client.poll(created["id"]).json()
            t4 = time.perf_counter()
            assert result["status"] == "done", result
            if i == 0:
                continue  # warm-up: first C_Login and key search of the process
            for step, elapsed in zip(STEPS, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
                timings[step].append(elapsed)
            timings["total"].append(t4 - t0)
    finally:
        client.stop()
    load_after = os.getloadavg()[0]

    def ms(values, q):
        if q == 50:
            return statistics.median(values) * 1000
        return statistics.quantiles(values, n=20)[-1] * 1000

    print(f"signing client round trip, {args.n} requests, {args.key} key on SoftHSM2")
    for step in STEPS:
        print(
            f"  {step:<8} median {ms(timings[step], 50):7.1f} ms   p95 {ms(timings[step], 95):7.1f} ms"
        )
    median = statistics.median(timings["total"])
    median_verdict = verdict(median <= GOAL)
    print(
        f"  total    median {median * 1000:7.1f} ms   p95 {ms(timings['total'], 95):7.1f} ms"
        f"   (goal ≤ {GOAL * 1000:.0f} ms median: {median_verdict})"
    )
    print(
        f"load average (1 min): {load_before:.2f} before, {load_after:.2f} after, {os.cpu_count()} CPUs"
    )


if __name__ == "__main__":
    main()
    sys.exit(exit_code())
