"""An export of 300,000 devices through gunicorn as shipped (docs/scale.md
§12.5), on PostgreSQL and Redis:

    DATABASE_URL=postgres://… REDIS_URL=redis://…/N python bench/bench_export.py
    python bench/bench_export.py --devices 30000        # a quick run (goals not decided)

1. a throw-away database: a copy of the national-scale dataset when `manage.py seed_scale` (or
   bench/run) has left one in the database portal_scale, or of --from-template NAME
   (`CREATE DATABASE … TEMPLATE`), else a new database migrated and seeded with --devices
   devices by COPY (bench/_devices_seed.py);
2. the shipped processes on loopback with production settings (DEBUG off, the manifest
   static files collected, a private PORTAL_VAR_DIR): `gunicorn config.wsgi:application
   --workers 3` (Dockerfile, docker-compose.yml; its default 30 s timeout) and
   `celery -A config worker --concurrency 2`;
3. a CA operator signs in over HTTP (password, then the authenticator's code), asks for the
   inventory's export (`/thiet-bi/?xuat=xlsx`), follows the job's page as the browser does
   (htmx every second) and downloads the file.

Prints the click's answer time, the time until the file is ready, the rows of the file,
every 5xx seen (the page polls, the download and the server's access log), and the peak memory
(VmHWM) of the worker process that built the file. Goals: the export completes with no 5xx
and 300,000 rows; the worker's peak ≤ 250 MB (Django and every app loaded are about half of
it; the Python memory of building the file is bench/bench_stats.py's ≤ 100 MB).
The database and the folders are removed at the end (--keep leaves the database)."""

import argparse
import http.cookiejar
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

import _setup

GOAL_DEVICES = 300_000
GOAL_WORKER_MB = 250
SCALE_DATABASE = "portal_scale"
USERNAME = "bench-export-ca"
PASSWORD = secrets.token_urlsafe(16)
BIN = Path(sys.executable).parent


def database_url(base: str, name: str) -> str:
    parts = urllib.parse.urlsplit(base)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))


def admin_command(base: str, sql: str, params=()) -> list:
    import psycopg

    with psycopg.connect(database_url(base, "postgres"), autocommit=True) as connection:
        cursor = connection.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def prepare_database(base: str, *, template: str | None, n_devices: int, log) -> None:
    """Django set up on the throw-away database (named in DATABASE_URL), migrated, seeded."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    log(f"migrated in {time.perf_counter() - started:.0f} s")
    if template is None:
        from _devices_seed import seed_devices

        started = time.perf_counter()
        seed_devices(connection, n_devices=n_devices, n_agencies=3400, log=log)
        log(f"seeded {n_devices:,} devices by COPY in {time.perf_counter() - started:.0f} s")


def bench_operator():
    """A CA operator with a password and a confirmed authenticator (its secret known here)."""
    from django.contrib.auth import get_user_model
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from agencies.choices import OrgKind, Role
    from agencies.models import Membership, Organization

    ca = Organization.objects.filter(kind=OrgKind.CA).first() or Organization.objects.create(
        kind=OrgKind.CA, name="Cục Chứng thực số và Bảo mật thông tin"
    )
    user, _created = get_user_model().objects.get_or_create(username=USERNAME)
    user.set_password(PASSWORD)
    user.save()
    Membership.objects.get_or_create(user=user, role=Role.CA_OPERATOR, organization=ca)
    TOTPDevice.objects.get_or_create(user=user, name="Bench", defaults={"confirmed": True})
    return user


class Browser:
    """Cookies, CSRF and no automatic redirects: what the bench's requests need."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), self._NoRedirect
        )
        self.statuses: list[tuple[int, str]] = []

    def request(self, path: str, data: dict | None = None, headers: dict | None = None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body, headers=headers or {})
        if data is not None:
            request.add_header("Referer", self.base + path)
        try:
            response = self.opener.open(request, timeout=120)
        except urllib.error.HTTPError as error:
            response = error
        self.statuses.append((response.status, path))
        return response

    def csrf(self) -> str:
        return next(c.value for c in self.jar if c.name == "csrftoken")

    def sign_in(self, user) -> None:
        from tests.helpers import totp_code

        self.request("/dang-nhap/").read()
        answer = self.request(
            "/dang-nhap/",
            {"username": USERNAME, "password": PASSWORD, "csrfmiddlewaretoken": self.csrf()},
        )
        assert answer.status == 302, f"sign-in answered {answer.status}"
        self.request("/tai-khoan/xac-minh/").read()
        answer = self.request(
            "/tai-khoan/xac-minh/", {"code": totp_code(user), "csrfmiddlewaretoken": self.csrf()}
        )
        assert answer.status == 302, f"second step answered {answer.status}"


def start_gunicorn(env: dict, *, port: int, access_log: Path) -> subprocess.Popen:
    """The static files collected, then gunicorn with the shipped command line (Dockerfile,
    docker-compose.yml: `--workers 3`) bound to loopback, its access log kept."""
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=_setup.ROOT, env=env, check=True, capture_output=True,
    )  # fmt: skip
    return subprocess.Popen(
        [BIN / "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", "3", "--access-logfile", str(access_log)],
        cwd=_setup.ROOT, env=env, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def vm_kb(pid: int, field: str) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return 0
    match = re.search(rf"^{field}:\s+(\d+) kB", status, re.M)
    return int(match.group(1)) if match else 0


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def wait_for(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=5).read()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer in {timeout} s")


def count_rows(path: Path) -> int:
    """Data lines of a list export: its sheet's rows less the title, time and header lines."""
    rows, tail = 0, b""
    with zipfile.ZipFile(path) as archive, archive.open("xl/worksheets/sheet1.xml") as sheet:
        while chunk := sheet.read(1 << 20):
            data = tail + chunk
            rows += data.count(b"<row ")
            tail = data[-4:]
            rows -= tail.count(b"<row ")
    return rows - 3


def run(args, log=print) -> int:
    base_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    if not base_url.startswith("postgres") or not redis_url.startswith("redis"):
        print("bench_export needs DATABASE_URL=postgres://… and REDIS_URL=redis://…")
        return 2
    scale_seeded = admin_command(
        base_url, "SELECT 1 FROM pg_database WHERE datname = %s", [SCALE_DATABASE]
    )
    template = args.from_template or (SCALE_DATABASE if scale_seeded else None)
    name = f"{template}_exports" if template else "portal_bench_exports"
    admin_command(base_url, f'DROP DATABASE IF EXISTS "{name}"')
    started = time.perf_counter()
    if template:
        admin_command(base_url, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        log(f"copied {template} into {name} in {time.perf_counter() - started:.0f} s")
    else:
        admin_command(base_url, f'CREATE DATABASE "{name}"')
    var_dir = Path(tempfile.mkdtemp(prefix="bench-export-"))
    env = {
        **os.environ,
        "DATABASE_URL": database_url(base_url, name),
        "REDIS_URL": redis_url,
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "PORTAL_VAR_DIR": str(var_dir),
        "STATIC_ROOT": str(var_dir / "static_root"),
        "PYTHONUNBUFFERED": "1",
    }
    os.environ.update(env)
    processes: list[subprocess.Popen] = []
    try:
        prepare_database(base_url, template=template, n_devices=args.devices, log=log)
        from devices.models import Device

        n_devices = Device.objects.count()
        user = bench_operator()
        import redis

        redis.Redis.from_url(redis_url).flushdb()
        port = args.port
        access_log = var_dir / "access.log"
        processes.append(start_gunicorn(env, port=port, access_log=access_log))
        worker_log = (var_dir / "worker.log").open("w")
        processes.append(
            subprocess.Popen(
                [BIN / "celery", "-A", "config", "worker", "-l", "INFO", "--concurrency", "2"],
                cwd=_setup.ROOT, env=env, stdout=worker_log, stderr=subprocess.STDOUT,
            )
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        wait_for(base + "/dang-nhap/")
        deadline = time.monotonic() + 120
        while "ready." not in (var_dir / "worker.log").read_text():
            if time.monotonic() > deadline:
                raise RuntimeError("the Celery worker did not start")
            time.sleep(0.5)
        worker_pids = children(processes[1].pid)
        baseline = {pid: vm_kb(pid, "VmRSS") for pid in worker_pids}
        cpu_before = {pid: cpu_seconds(pid) for pid in worker_pids}

        browser = Browser(base)
        browser.sign_in(user)
        clicked = time.perf_counter()
        answer = browser.request("/thiet-bi/?xuat=xlsx")
        click_seconds = time.perf_counter() - clicked
        location = answer.headers.get("Location", "")
        assert answer.status == 302 and "/xuat-excel/" in location, (answer.status, location)
        job_path = urllib.parse.urlsplit(location).path
        polls = 0
        while True:
            poll = browser.request(job_path, headers={"HX-Request": "true"})
            poll.read()
            polls += 1
            if poll.headers.get("HX-Refresh") == "true" or poll.status >= 400:
                break
            if time.perf_counter() - clicked > args.timeout:
                raise RuntimeError(f"the job was not done after {args.timeout} s")
            time.sleep(1)
        ready_seconds = time.perf_counter() - clicked
        page = browser.request(job_path).read().decode()
        link = re.search(r'href="([^"]+/tai-ve/)"', page)
        assert link, "the job's page offers no download: " + re.sub(r"\s+", " ", page)[-600:]
        download = browser.request(link.group(1))
        target = var_dir / "download.xlsx"
        with target.open("wb") as out:
            shutil.copyfileobj(download, out)
        total_seconds = time.perf_counter() - clicked
        rows = count_rows(target)
        size_mb = target.stat().st_size / 1024 / 1024
        peaks = {pid: vm_kb(pid, "VmHWM") for pid in worker_pids}
        cpu = {pid: cpu_seconds(pid) - cpu_before[pid] for pid in worker_pids}
        from portal.models import ExportJob

        job = ExportJob.objects.get(pk=int(job_path.rstrip("/").rsplit("/", 1)[1]))
        build_seconds = (job.finished_at - job.created_at).total_seconds()
        load = os.getloadavg()[0]
        gunicorn_peak = max((vm_kb(pid, "VmHWM") for pid in children(processes[0].pid)), default=0)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        from django.db import connections

        connections.close_all()
        if not args.keep:
            admin_command(base_url, f'DROP DATABASE IF EXISTS "{name}"')
    server_5xx = [
        line for line in access_log.read_text().splitlines() if re.search(r'" 5\d\d ', line)
    ]
    shutil.rmtree(var_dir, ignore_errors=True)
    seen_5xx = [(status, path) for status, path in browser.statuses if status >= 500]
    builder = max(cpu, key=lambda pid: cpu[pid])
    peak_mb, base_mb = peaks[builder] / 1024, baseline.get(builder, 0) / 1024

    at_goal_size = n_devices >= GOAL_DEVICES
    failed = False

    def verdict(ok: bool, decided: bool = True) -> str:
        nonlocal failed
        if not decided:
            return "not decided (run with 300,000 devices)"
        failed |= not ok
        return "goal met" if ok else "goal NOT met"

    log(
        f"export of {n_devices:,} devices as a CA operator: the click answered in "
        f"{click_seconds * 1000:.0f} ms (a redirect to the job's page), the file was ready "
        f"after {ready_seconds:.1f} s ({polls} polls), downloaded after {total_seconds:.1f} s"
    )
    log(
        f"file: {rows:,} rows, {size_mb:.1f} MB; {rows / ready_seconds:,.0f} rows/s from click "
        f"to file (goal: all {n_devices:,} rows): {verdict(rows == n_devices, at_goal_size)}"
    )
    log(
        f"the worker built it in {build_seconds:.1f} s from the click "
        f"({rows / build_seconds:,.0f} rows/s) using {cpu[builder]:.1f} s of CPU "
        f"({rows / max(cpu[builder], 0.001):,.0f} rows per CPU second); load average "
        f"{load:.1f} on {os.cpu_count()} CPUs"
    )
    log(
        f"5xx answers: {len(seen_5xx)} seen by the client, {len(server_5xx)} in gunicorn's "
        f"access log (goal: none): {verdict(not seen_5xx and not server_5xx)}"
    )
    log(
        f"worker process that built the file: peak {peak_mb:.0f} MB (VmHWM; {base_mb:.0f} MB "
        f"before the export), gunicorn workers' peak {gunicorn_peak / 1024:.0f} MB "
        f"(goal: worker ≤ {GOAL_WORKER_MB} MB): {verdict(peak_mb <= GOAL_WORKER_MB, at_goal_size)}"
    )
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=GOAL_DEVICES)
    parser.add_argument("--from-template", help="copy this database instead of seeding")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--timeout", type=float, default=900, help="seconds to wait for the file")
    parser.add_argument("--keep", action="store_true", help="leave the database")
    args = parser.parse_args()
    _setup.configure()
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
