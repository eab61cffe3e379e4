"""Every hot list and API list at national scale, for each role (docs/scale.md
§12.7), on the dataset `manage.py seed_scale` leaves in a PostgreSQL database:

    DATABASE_URL=postgres://…/portal_scale python bench/bench_lists.py [--repeat 20]

For each page and role it requests the first page and a deep position as that user (Django's
test client in this process, DEBUG off, so the time is the server's: middleware, view, queries,
template) and prints the median and p95 over --repeat requests after two warm-up requests,
the queries per request, and the verdict against the goals: p95 ≤ 150 ms, the deep position
≤ 2× the first page, ≤ 10 queries a page. A page that does not answer 200 fails.

The deep position is the list's own jump far down (a date two years back, a serial near the
end: the pager's "Đến" box) followed by its "next" link once, or, for a list without a jump,
the "next" link followed --depth times; a numbered pager is asked for its last page. It writes nothing
but the sign-in: a confirmed authenticator for each account that needs a second factor."""

import argparse
import re
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta
from html import unescape
from urllib.parse import urlencode

import _setup

GOAL_P95_MS = 150.0
GOAL_DEEP_RATIO = 2.0
GOAL_QUERIES = 10


@dataclass
class Figure:
    label: str
    role: str
    position: str
    median_ms: float
    p95_ms: float
    queries: int
    status: int


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


NEXT_LINK = re.compile(r'<a[^>]*href="([^"]+)"[^>]*rel="next"|<a[^>]*rel="next"[^>]*href="([^"]+)"')
LAST_PAGE = re.compile(r'href="(\?[^"]*page=(\d+)[^"]*)"')


def deep_url(client, url: str, depth: int, jump: str | None = None) -> str:
    """A deep position of the list at `url`: its jump to `jump` and then its "next" link once,
    or `depth` times its "next" link (keyset pager), or else the highest page number its pager
    links to, or an API's `next` cursor."""
    current = url
    if jump is not None:
        current = f"{url}?{urlencode({'den': jump})}"
        depth = 1
    for _ in range(depth):
        response = client.get(current)
        if response.get("Content-Type", "").startswith("application/json"):
            following = response.json().get("next")
            if not following:
                break
            current = following.replace("http://testserver", "")
            continue
        html = response.content.decode()
        found = NEXT_LINK.search(html)
        if found:
            link = unescape(found.group(1) or found.group(2))
            current = link if link.startswith("/") else url.split("?")[0] + link
            continue
        pages = [(int(m.group(2)), unescape(m.group(1))) for m in LAST_PAGE.finditer(html)]
        if pages:
            current = url.split("?")[0] + max(pages)[1]
        break
    return current


def measure(client, url: str, repeat: int) -> tuple[list[float], int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(2):
        client.get(url)
    times, queries, status = [], 0, 200
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            times.append(1000 * (time.perf_counter() - started))
        queries = max(queries, len(captured))
        if response.status_code != 200:
            status = response.status_code
    return times, queries, status


def pages() -> list[tuple[str, str, str, str | None]]:
    """(label, username, url, deep jump) of every hot list: the CA operator's, a province
    officer's and an agency clerk's view of each; the jump is what the list's "Đến" box is
    given for a deep position (None: follow "next")."""
    from dashboard.scale_seed import CA_USERNAME, CLERK_USERNAME, OFFICER_USERNAME

    ca = CA_USERNAME
    officer = OFFICER_USERNAME.format(province=1)
    clerk = CLERK_USERNAME.format(agency=1)
    years_back = (date.today() - timedelta(days=700)).strftime("%d/%m/%Y")
    last_devices = "VT000290000"  # seed_scale's USB Tokens are VT + 9 digits
    return [
        ("dashboard", ca, "/", None),
        ("dashboard", officer, "/", None),
        ("dashboard", clerk, "/", None),
        ("notifications", ca, "/thong-bao/", None),
        ("certificates", ca, "/chung-thu/", years_back),
        ("certificates", officer, "/chung-thu/", years_back),
        ("certificates", clerk, "/chung-thu/", years_back),
        ("letters", ca, "/van-ban/", years_back),
        ("letters", officer, "/van-ban/", years_back),
        ("letters", clerk, "/van-ban/", years_back),
        ("CA queue", ca, "/ca/hang-doi/", None),
        ("Sở inbox", officer, "/so-khcn/hop-thu/", None),
        ("devices", ca, "/thiet-bi/", last_devices),
        ("devices", officer, "/thiet-bi/", last_devices),
        ("devices", clerk, "/thiet-bi/", last_devices),
        ("Mẫu 07", ca, "/thiet-bi/mau-07/", years_back),
        ("Mẫu 07", officer, "/thiet-bi/mau-07/", years_back),
        ("return obligations", ca, "/thiet-bi/thu-hoi/", None),
        ("return obligations", officer, "/thiet-bi/thu-hoi/", None),
        ("API certificates", ca, "/api/v1/chung-thu/", None),
        ("API certificates", officer, "/api/v1/chung-thu/", None),
        ("API letters", ca, "/api/v1/van-ban/", None),
        ("API letters", clerk, "/api/v1/van-ban/", None),
        ("API devices", ca, "/api/v1/thiet-bi/", None),
    ]


def run(repeat: int, depth: int, only: str | None) -> int:
    import logging

    import django

    django.setup()
    logging.getLogger("axes").setLevel(logging.WARNING)  # one sign-in line per account
    from django.contrib.auth import get_user_model
    from django.test import Client

    from agencies.models import Membership
    from tests.helpers import sign_in

    _setup.serve_pages()
    User = get_user_model()
    clients: dict[str, Client] = {}
    figures: list[Figure] = []
    failures = 0
    print(
        f"{'list':<20} {'role':<18} {'position':<8} {'median':>8} {'p95':>8} {'queries':>7}  verdict"
    )
    for label, username, url, jump in pages():
        if only and only.lower() not in label.lower():
            continue
        if username not in clients:
            user = User.objects.get(username=username)
            # A session with its second factor, as after the code page (tests/helpers.py).
            clients[username] = sign_in(Client(), user)
        client = clients[username]
        role = Membership.objects.filter(user__username=username).values_list("role", flat=True)[0]
        first = None
        deep = deep_url(client, url, depth, jump)
        positions = [("first", url)] + ([("deep", deep)] if deep != url else [])
        for position, target in positions:
            times, queries, status = measure(client, target, repeat)
            figure = Figure(
                label, role, position, statistics.median(times), p95(times), queries, status
            )
            problems = []
            if status != 200:
                problems.append(f"HTTP {status}")
            if figure.p95_ms > GOAL_P95_MS:
                problems.append(f"p95 > {GOAL_P95_MS:.0f} ms")
            if queries > GOAL_QUERIES:
                problems.append(f"> {GOAL_QUERIES} queries")
            if position == "first":
                first = figure
            elif first and figure.p95_ms > GOAL_DEEP_RATIO * max(first.p95_ms, 1.0):
                problems.append(f"deep > {GOAL_DEEP_RATIO:.0f}× first")
            failures += bool(problems)
            figures.append(figure)
            print(
                f"{label:<20} {role:<18} {position:<8} {figure.median_ms:7.1f}ms"
                f" {figure.p95_ms:7.1f}ms {queries:>7}  "
                + ("PASS" if not problems else "FAIL: " + ", ".join(problems)),
                flush=True,
            )
        if deep == url:
            print(f"{'':<20} {'':<18} deep     (one page only: no deeper position)")
    print(
        f"Goals: p95 ≤ {GOAL_P95_MS:.0f} ms, deep ≤ {GOAL_DEEP_RATIO:.0f}× first, "
        f"≤ {GOAL_QUERIES} queries — {len(figures) - failures} of {len(figures)} met"
    )
    return 1 if failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--depth", type=int, default=50, help="'next' links followed for deep")
    parser.add_argument("--only", help="lists whose label contains this")
    args = parser.parse_args()
    _setup.configure()
    return run(args.repeat, args.depth, args.only)


if __name__ == "__main__":
    sys.exit(main())
