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
from dataclasses import dataclass
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
MISSED = re.compile(r"\b(NOT met|FAIL)\b")


def figures(output: str) -> list[str]:
    lines = []
    for line in output.splitlines():
        if ("goal" in line.lower() or re.search(r"\b(PASS|FAIL)\b", line)) and VERDICT.search(line):
            lines.append(line.strip())
    return lines


@dataclass
class Part:
    """What one part said: its figure lines and whether it missed a goal."""

    name: str
    lines: list[str]
    missed: bool


def part_judged(name: str, stdout: str, returncode: int) -> Part:
    """A part misses when it exits non-zero, when any of its figure lines says a goal was not
    met (a part that prints "goal NOT met" and exits 0 is still red), or when it printed no
    figure at all: its exit code alone is never believed."""
    found = figures(stdout)
    if not found:
        found = [f"exited {returncode} without a figure: FAIL"]
    elif returncode != 0:
        found.append(f"exited {returncode}: FAIL")
    missed = returncode != 0 or any(MISSED.search(line) for line in found)
    return Part(name, found, missed)


def part_run(name: str, command: list[str], env: dict) -> Part:
    """Runs one part (a Python script in bench/ and its arguments), echoes its output and
    judges it."""
    if not (BENCH / command[0]).exists():
        return Part(name, [f"{command[0]} is missing: FAIL"], True)
    result = subprocess.run([PYTHON, *command], cwd=BENCH, env=env, capture_output=True, text=True)
    print((result.stdout + result.stderr).rstrip(), flush=True)
    return part_judged(name, result.stdout, result.returncode)


def summary(judged: list[Part]) -> tuple[str, int]:
    """The closing table: every figure line under its part, then a count of the lines and of
    the parts that missed, never kinder than the lines; and bench/run's exit code."""
    table = [f"{part.name:<11} {line}" for part in judged for line in part.lines]
    missed_lines = sum(bool(MISSED.search(line)) for part in judged for line in part.lines)
    missed_parts = [part.name for part in judged if part.missed]
    lines = len(table)
    if missed_parts:
        table.append(
            f"goals NOT met: {missed_lines} of {lines} lines, in {len(missed_parts)} of "
            f"{len(judged)} parts ({', '.join(missed_parts)})"
        )
        return "\n".join(table), 1
    table.append(f"all goals met: {lines} lines in {len(judged)} parts")
    return "\n".join(table), 0


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

    judged: list[Part] = []
    for name, command in chosen.items():
        print(f"\n== {name}: {' '.join(command)}", flush=True)
        # The dataset's own parts read the seeded database, or a copy of it; the others make
        # their own.
        part_env = env if name in ON_DATASET else {**env, "DATABASE_URL": base}
        if name in ON_COPY:
            command = [*command, "--from-template", args.database]
        if name in ("load", "export"):
            command = [*command, "--port", str(args.port)]
        started = time.perf_counter()
        judged.append(part_run(name, command, part_env))
        print(f"({name}: {time.perf_counter() - started:.0f} s)", flush=True)

    print("\n== national scale: every figure against its goal")
    print(f"dataset: {args.database}, " + ", ".join(f"{k} {v:,}" for k, v in sizes.items()))
    text, code = summary(judged)
    print(text)
    return code


if __name__ == "__main__":
    sys.exit(main())
