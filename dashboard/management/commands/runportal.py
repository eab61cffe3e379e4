"""Run the web server, a Celery worker, Celery beat and the signing client together, for
`make run`.

One command so a new user gets the whole portal (deadlines and CRL publication included) from
one terminal; Ctrl-C stops them all. The signing client stands for the one each official runs
on their own computer (clients/signing/README.md): here it serves the demo heads' SoftHSM2
tokens, marked as demo devices. Production runs the server parts as separate containers.
"""

import signal
import subprocess
import sys
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand

from certificates.services.system_seal import DEMO_LABEL as SYSTEM_SEAL_LABEL
from portal.lib.pkcs11 import softhsm_conf


def demo_excluded_labels() -> list[str]:
    """The demo's tokens that are nobody's desk token: the CA's HSM slot and the portal's
    system seal share the demo's token store with the signers' devices (docs/ca.md,
    "Signing at the signer's desk"), and the signing client must not offer them."""
    return sorted({settings.CA_HSM_TOKEN_LABEL, SYSTEM_SEAL_LABEL})


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
            "signing-client": self._signing_client(python, addrport),
        }  # fmt: skip
        processes = {name: subprocess.Popen(cmd) for name, cmd in commands.items()}
        broker = "Redis" if settings.REDIS_URL else "file-system broker (var/celery)"
        self.stdout.write(
            self.style.SUCCESS(
                f"Portal at http://{addrport}/ — worker and beat on {broker}; demo signing "
                f"client at {settings.PORTAL_SIGNING_CLIENT_URL}."
            )
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

    @staticmethod
    def _signing_client(python: str, addrport: str) -> list[str]:
        """The signing client on the demo's token store, answering the portal's own pages."""
        softhsm_conf(settings.PKCS11_TOKEN_DIR)
        host, _, port = addrport.rpartition(":")
        origins = {f"http://{host or '127.0.0.1'}:{port}", f"http://localhost:{port}"}
        client_port = urlsplit(settings.PORTAL_SIGNING_CLIENT_URL).port or 10555
        return [
            python, "-m", "portal_signing_client", "--demo",
            "--module", settings.PKCS11_MODULE, "--port", str(client_port),
            *(arg for origin in sorted(origins) for arg in ("--origin", origin)),
            *(arg for label in demo_excluded_labels() for arg in ("--exclude-label", label)),
        ]  # fmt: skip
