"""The national-scale table (docs/scale.md §12.7): `bench/run` seeds (or reuses)
the dataset and runs every benchmark, then prints one table of every figure with its goal and
verdict.

    bench/run                         # 1M certificates: the goals are decided at this size
    bench/run --quick                 # a small dataset and short runs, to try the harness
    bench/run --only lists,load       # some parts: lists, load, letter, processing, tokens,
                                      #   sweeps, ca, pdf, signing, desk, merger, export,
                                      #   stats, import, crypto, remote
    bench/run --database scale_b --port 8900   # another dataset, gunicorn on another port

Needs PostgreSQL and Redis (DATABASE_URL=postgres://host:port/<any>, REDIS_URL=redis://…;
defaults: the local servers): the server, its port and credentials come from DATABASE_URL, the
dataset's name from --database (default portal_scale), gunicorn's port (the load test and the
export) from --port. The dataset is made by `manage.py migrate` and `manage.py seed_scale`
when missing, migrated and reused when its certificates are as many as asked (--reseed drops
it first). What users get is measured on it: the lists in process, the load over HTTP against
gunicorn; processing, the token path, the sweeps and the export each on a copy of it (CREATE
DATABASE … TEMPLATE, dropped afterwards, so the dataset stays as seeded). The other parts make
and drop their own throw-away database (bench/_setup.py).
"""

import argparse
import os
import re
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PYTHON = sys.executable

FULL = {
    "certificates": 1_000_000,
    "letters": 200_000,
    "agencies": 20_000,
    "devices": 300_000,
    "people": 600_000,
    "notices": 50_000,
    "obligations": 20_000,
}
QUICK = {
    "certificates": 50_000,
    "letters": 10_000,
    "agencies": 1_000,
    "devices": 15_000,
    "people": 30_000,
    "notices": 2_500,
    "obligations": 1_000,
}


def parts(quick: bool) -> dict[str, list[str]]:
    """Each part's command line (after the Python interpreter)."""
    small = quick
    return {
        "lists": ["bench_lists.py", "--repeat", "5" if small else "20"],
        "letter": ["bench_letter_page.py"],
        "load": ["bench_load.py", "--seconds", "10" if small else "30"],
        "processing": ["bench_processing.py", *(["--rows", "200"] if small else [])],
        "tokens": [
            "bench_tokens.py",
            *(["--personalise", "10", "--rows", "200", "--empty-rows", "20"] if small else []),
        ],
        "sweeps": ["bench_sweeps.py"],
        "ca": ["bench_ca.py", *(["--n", "50", "--crl", "10000", "--repeat", "2"] if small else [])],
        "pdf": ["bench_pdf.py", *(["--repeat", "1"] if small else [])],
        "signing": ["bench_signing.py", *(["--n", "3"] if small else [])],
        "desk": ["bench_desk_signing.py", *(["--n", "5"] if small else [])],
        "merger": ["bench_merger.py", *(["--agencies", "200"] if small else [])],
        "export": ["bench_export.py", *(["--devices", "20000"] if small else [])],
        "stats": ["bench_stats.py", *(["--certificates", "50000"] if small else [])],
        "import": ["bench_import.py", *(["--rows", "2000"] if small else [])],
        "crypto": ["bench_field_crypto.py", *(["--certificates", "5000"] if small else [])],
        "remote": [
            "bench_remote_signing.py",
            *(["--holders", "20", "--credentials", "50000"] if small else []),
        ],
    }


# The parts that read the dataset itself, and those that work on a copy of it.
ON_DATASET = ("lists", "load")
ON_COPY = ("processing", "tokens", "sweeps", "export")


def with_database(url: str, name: str) -> str:
    return urllib.parse.urlunsplit(urllib.parse.urlsplit(url)._replace(path=f"/{name}"))


def admin(url: str, sql: str, params=()) -> list:
    import psycopg

    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as connection:
        cursor = connection.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def certificates_in(url: str) -> int | None:
    """The certificates of the database at `url`, None when it or the table is missing."""
    import psycopg

    try:
        with psycopg.connect(url) as connection:
            return connection.execute("SELECT count(*) FROM certificates_certificate").fetchone()[0]
    except psycopg.Error:
        return None


def prepare(base: str, name: str, sizes: dict, reseed: bool, env: dict) -> None:
    url = with_database(base, name)
    exists = bool(admin(base, "SELECT 1 FROM pg_database WHERE datname = %s", [name]))
    found = certificates_in(url) if exists else None
    if reseed or (exists and (found or 0) < sizes["certificates"]):
        print(f"dropping {name} (it holds {found or 0:,} certificates)", flush=True)
        admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        exists = False
    if not exists:
        admin(base, f'CREATE DATABASE "{name}"')
    manage = [PYTHON, "manage.py"]
    started = time.perf_counter()
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    if not exists:
        print(f"seeding {name}: " + ", ".join(f"{k} {v:,}" for k, v in sizes.items()), flush=True)
        options = [f"--{k}={v}" for k, v in sizes.items()]
        subprocess.run([*manage, "seed_scale", *options], cwd=ROOT, env=env, check=True)
    else:
        print(f"reusing {name}: {found:,} certificates", flush=True)
    print(f"dataset ready in {time.perf_counter() - started:.0f} s", flush=True)


# A figure's line: the existing benchmarks end theirs with "goal met"/"met" or "NOT met";
# bench_lists ends each line with PASS or FAIL.
VERDICT = re.compile(r"\b(goal met|goal NOT met|NOT met|met|PASS|FAIL)\b")


def figures(output: str) -> list[str]:
    lines = []
    for line in output.splitlines():
        if ("goal" in line.lower() or re.search(r"\b(PASS|FAIL)\b", line)) and VERDICT.search(line):
            lines.append(line.strip())
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="portal_scale", help="the dataset's database")
    parser.add_argument("--port", type=int, default=8766, help="gunicorn's, on 127.0.0.1")
    parser.add_argument("--quick", action="store_true", help="small dataset, short runs")
    parser.add_argument("--reseed", action="store_true", help="drop and seed the dataset again")
    parser.add_argument("--only", help="comma-separated parts (default: all)")
    for key in FULL:
        parser.add_argument(f"--{key}", type=int, help=f"dataset size (default {FULL[key]:,})")
    args = parser.parse_args()

    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    if not base.startswith("postgres"):
        print("bench/run needs PostgreSQL: DATABASE_URL=postgres://…", file=sys.stderr)
        return 2
    sizes = {**(QUICK if args.quick else FULL)}
    sizes.update({k: getattr(args, k) for k in FULL if getattr(args, k)})
    env = {
        **os.environ,
        "DATABASE_URL": with_database(base, args.database),
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14"),
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only-secret-key"),
        "CA_ALLOW_DEV_PASSPHRASE": "1",
        "AUDIT_HMAC_KEY": os.environ.get("AUDIT_HMAC_KEY", "bench-only-audit-key-" + "0" * 32),
        "PYTHONUNBUFFERED": "1",
    }
    chosen = parts(args.quick)
    if args.only:
        wanted = [p.strip() for p in args.only.split(",")]
        unknown = set(wanted) - set(chosen)
        if unknown:
            print(f"unknown parts {sorted(unknown)}; known: {', '.join(chosen)}", file=sys.stderr)
            return 2
        chosen = {name: chosen[name] for name in wanted}
    prepare(base, args.database, sizes, args.reseed, env)

    table: list[tuple[str, str]] = []
    failed = False
    for name, command in chosen.items():
        if not (BENCH / command[0]).exists():
            table.append((name, f"{command[0]} is missing: FAIL"))
            failed = True
            continue
        print(f"\n== {name}: {' '.join(command)}", flush=True)
        # The dataset's own parts read the seeded database, or a copy of it; the others make
        # their own.
        part_env = env if name in ON_DATASET else {**env, "DATABASE_URL": base}
        if name in ON_COPY:
            command = [*command, "--from-template", args.database]
        if name in ("load", "export"):
            command = [*command, "--port", str(args.port)]
        started = time.perf_counter()
        result = subprocess.run(
            [PYTHON, *command], cwd=BENCH, env=part_env, capture_output=True, text=True
        )
        output = result.stdout + result.stderr
        print(output.rstrip(), flush=True)
        found = figures(result.stdout)
        if result.returncode != 0 and not found:
            found = [f"exited {result.returncode} without a figure: FAIL"]
        if result.returncode != 0:
            failed = True
        table.extend((name, line) for line in found)
        print(f"({name}: {time.perf_counter() - started:.0f} s)", flush=True)

    print("\n== national scale: every figure against its goal")
    print(f"dataset: {args.database}, " + ", ".join(f"{k} {v:,}" for k, v in sizes.items()))
    for name, line in table:
        print(f"{name:<11} {line}")
    print("all goals met" if not failed else "some goals NOT met (see the lines above)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
