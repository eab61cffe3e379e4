"""Run the web server, a Celery worker and Celery beat together, for `make run`.

One command so a new user gets the whole portal (deadlines and CRL publication included) from
one terminal; Ctrl-C stops all three. Production runs them as separate containers instead.
"""

import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the development web server, a Celery worker and Celery beat together."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args, addrport, **options):
        python = sys.executable
        # SQLite allows one writer: a single-threaded worker avoids "database is locked".
        pool = (
            ["--pool=solo"] if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3") else []
        )
        commands = {
            "web": [python, "manage.py", "runserver", addrport, "--noreload"],
            "worker": [python, "-m", "celery", "-A", "config", "worker", "-l", "INFO", *pool],
            "beat": [
                python, "-m", "celery", "-A", "config", "beat", "-l", "INFO",
                "-s", settings.CELERY_BEAT_SCHEDULE_FILENAME,
            ],
        }  # fmt: skip
        processes = {name: subprocess.Popen(cmd) for name, cmd in commands.items()}
        broker = "Redis" if settings.REDIS_URL else "file-system broker (var/celery)"
        self.stdout.write(
            self.style.SUCCESS(f"Portal at http://{addrport}/ — worker and beat on {broker}.")
        )

        def stop(*_):
            for process in processes.values():
                if process.poll() is None:
                    process.terminate()

        signal.signal(signal.SIGTERM, stop)
        try:
            while all(p.poll() is None for p in processes.values()):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            stop()
            for process in processes.values():
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
        failed = [name for name, p in processes.items() if p.returncode not in (0, -15, None)]
        if failed:
            self.stderr.write(f"Stopped because {', '.join(failed)} exited.")
