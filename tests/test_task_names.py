"""Services send tasks by their registered names (portal.lib.queueing.enqueue) and the beat
schedule names them too: every such name written in the code is a task the worker knows, so a
misspelt name fails here instead of queueing a message no worker can run."""

import re
from pathlib import Path

from config.celery import app
from config.queues import ROUTES

ROOT = Path(__file__).resolve().parent.parent
APPS = ["agencies", "api", "bulk", "certificates", "config", "dashboard", "deadlines", "demand",
        "devices", "mailing", "orgmerge", "portal", "privacy", "requests_app", "webhooks"]  # fmt: skip
TASK_NAME = re.compile(r"""["']((?:""" + "|".join(APPS) + r""")(?:\.\w+)*\.tasks\.\w+)["']""")


def task_names_in_code() -> dict[str, str]:
    found = {}
    for app_dir in APPS:
        for path in (ROOT / app_dir).rglob("*.py"):
            for name in TASK_NAME.findall(path.read_text(encoding="utf-8")):
                found.setdefault(name, str(path.relative_to(ROOT)))
    return found


def test_every_task_name_in_the_code_is_a_registered_task():
    app.loader.import_default_modules()
    found = task_names_in_code()
    assert len(found) >= 10, found  # the services' sends and the beat schedule
    unknown = {name: where for name, where in found.items() if name not in app.tasks}
    assert unknown == {}


def test_every_task_of_the_portal_has_its_queue():
    """config/queues.py names each task: a new one must say which kind of work it is."""
    app.loader.import_default_modules()
    ours = {name for name in app.tasks if not name.startswith("celery.")}
    assert ours - set(ROUTES) == set()
    assert set(ROUTES) - ours == set()  # and no route for a task that is gone
