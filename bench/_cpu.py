"""Where a load's CPU went on this machine: the processes of each part of the layout (a
gunicorn node, a PostgreSQL server, PgBouncer…) and the machine as a whole, read from Linux's
/proc before and after, so that a throughput measured on a shared machine can be read as CPU
per request, which another load on the machine does not change much."""

import os
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def _processes() -> dict[int, tuple[int, int, int, str]]:
    """pid -> (parent pid, process group, CPU ticks so far, command line) of every process."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
            command = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:  # it ended meanwhile
            continue
        # The command's name, in parentheses, may hold spaces: the fields follow its last ")".
        fields = text[text.rindex(")") + 2 :].split()
        ticks = int(fields[11]) + int(fields[12])
        found[int(stat.parent.name)] = (int(fields[1]), int(fields[2]), ticks, command)
    return found


def _machine_ticks() -> int:
    """Ticks the machine's CPUs spent working (not idle, not waiting for the disk)."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(
        int, Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    )
    return user + nice + system + irq + softirq + steal


class CpuMeter:
    """Counts CPU seconds per named part between `start()` and `stop()`. A part is a process
    group (`groups`: a gunicorn node started in its own group) or a server process and its
    children (`trees`: a postmaster and its backends; with a text, only the children whose
    command line holds it, e.g. the backends of one database on a shared server). A process
    that ends between the two readings takes its CPU with it: the parts measured keep theirs
    (connections kept open)."""

    def __init__(self, *, groups: dict[str, int], trees: dict[str, int | tuple[int, str]]):
        self.groups = groups
        self.trees = {
            name: tree if isinstance(tree, tuple) else (tree, "") for name, tree in trees.items()
        }

    def _ticks(self) -> dict[tuple[str, int], int]:
        """(part, pid) -> CPU ticks so far, for every process of every part."""
        ticks = {}
        for pid, (parent, group, used, command) in _processes().items():
            for name, wanted in self.groups.items():
                if group == wanted:
                    ticks[name, pid] = used
            for name, (root, text) in self.trees.items():
                if pid == root or (parent == root and text in command):
                    ticks[name, pid] = used
        return ticks

    def start(self) -> None:
        self.before, self.machine_before = self._ticks(), _machine_ticks()

    def stop(self) -> dict[str, float]:
        """CPU seconds of each part (processes started meanwhile counted whole), of the
        machine, and of `the rest` of the machine (load generator, Redis, the idle workers,
        anything else running)."""
        after, machine = self._ticks(), _machine_ticks()
        used = dict.fromkeys([*self.groups, *self.trees], 0.0)
        for (name, pid), ticks in after.items():
            used[name] += (ticks - self.before.get((name, pid), 0)) / TICK
        used["machine"] = (machine - self.machine_before) / TICK
        used["the rest"] = used["machine"] - sum(v for k, v in used.items() if k != "machine")
        return used


def postmaster_pid(data_dir: Path) -> int:
    return int((data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
