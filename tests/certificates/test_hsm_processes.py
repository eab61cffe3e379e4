"""Several processes meeting the same SoftHSM2 store at once (portal/lib/pkcs11/library.py,
`store_lock`): web workers logging in to the remote-signing slot for their first PIN check
together. SoftHSM2 rewrites a token's file at each login and another process reading it at that
instant found the slot gone: a request failed, and the slot was made again, twice. Each process
here is a fresh interpreter, as a gunicorn worker is, and they start their first contact at the
same moment (a file barrier): a race, so these two can pass by luck without the lock (they
failed two runs in three without it); the lock itself is shown to hold across processes by
the test after them, which cannot pass by luck."""

import os
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings

from portal.lib.pkcs11 import library

CHILD = r"""
import os, sys, time
from pathlib import Path
import django
django.setup()
from certificates.backends import remote_keys
from portal.lib import pkcs11

folder, name = Path(sys.argv[1]), sys.argv[2]
(folder / f"{name}.ready").touch()
while not (folder / "go").exists():
    time.sleep(0.002)
try:
    for i in range(3):
        remote_keys.remote_pin_mac(data=b"%d" % i)
    print("ok", len(pkcs11.token_serials(remote_keys.settings.RSSP_HSM_TOKEN_LABEL)))
except Exception as error:
    print(type(error).__name__, error, repr(error.__cause__))
"""


def _store(folder: Path) -> dict:
    (folder / "tokens").mkdir()
    conf = folder / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {folder / 'tokens'}\nobjectstore.backend = file\n"
        "log.level = ERROR\n"
    )
    return {
        **os.environ,
        "SOFTHSM2_CONF": str(conf),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PYTHONPATH": os.pathsep.join([str(settings.BASE_DIR), os.environ.get("PYTHONPATH", "")]),
    }


def _at_once(folder: Path, env: dict, count: int) -> list[str]:
    """`count` fresh processes, each checking three PINs from the same instant."""
    (folder / "go").unlink(missing_ok=True)
    for ready in folder.glob("*.ready"):
        ready.unlink()
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, str(folder), str(i)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for i in range(count)
    ]
    try:
        deadline = time.monotonic() + 120
        while len(list(folder.glob("*.ready"))) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        (folder / "go").touch()
        answers = []
        for child in children:
            out, err = child.communicate(timeout=120)
            answers.append(out.strip() or err.strip()[-300:])  # a crash shows its traceback
        return answers
    finally:
        for child in children:
            child.kill()


def test_workers_meeting_the_slot_at_once_all_check_pins_and_keep_one_slot(tmp_path):
    env = _store(tmp_path)
    assert _at_once(tmp_path, env, 1) == ["ok 1"]  # the slot made by the first process

    answers = [answer for _ in range(3) for answer in _at_once(tmp_path, env, 3)]

    assert answers == ["ok 1"] * 9


def test_workers_making_the_slot_at_once_make_one(tmp_path):
    answers = _at_once(tmp_path, _store(tmp_path), 3)

    assert answers == ["ok 1"] * 3


LOCKED = r"""
import fcntl, sys
with open(sys.argv[1], "ab") as held:
    try:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        print("free")
    except BlockingIOError:
        print("held")
"""


def test_the_store_lock_is_held_across_processes_and_taken_again_inside_one():
    path = library._store_lock_path()
    assert path is not None  # the tests' module is SoftHSM2

    def another_process_finds() -> str:
        return subprocess.run(
            [sys.executable, "-c", LOCKED, str(path)], capture_output=True, text=True, timeout=60
        ).stdout.strip()

    with library.store_lock():
        with library.store_lock():  # the same process again: no wait on itself
            assert another_process_finds() == "held"
        assert another_process_finds() == "held"  # still the outer block's
    assert another_process_finds() == "free"
