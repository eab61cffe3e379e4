"""The checkpoint file: the audit chain's head, kept outside the database (docs/architecture.md §6).

One JSON object per line, `{"at": …, "key_id": …, "mac": …, "seq": …}`, appended and never
rewritten: the file is opened with O_APPEND, locked while a line is decided and written, and
fsynced. Someone who rewinds the head in the database cannot rewind this file as well, so
`audit_verify` finds every checkpoint's (seq, MAC) in the chain or reports the loss.
"""

import fcntl
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

TAIL_BYTES = 4096


class CheckpointFileError(Exception):
    """The checkpoint file cannot be read as checkpoints (operators read this message)."""


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    mac: str
    key_id: str
    at: str

    def to_line(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":")) + "\n"

    @classmethod
    def from_line(cls, line: str) -> "Checkpoint":
        data = json.loads(line)
        checkpoint = cls(seq=data["seq"], mac=data["mac"], key_id=data["key_id"], at=data["at"])
        if not isinstance(checkpoint.seq, int) or checkpoint.seq < 1:
            raise ValueError("seq must be a positive integer")
        if not isinstance(checkpoint.mac, str) or len(checkpoint.mac) != 64:
            raise ValueError("mac must be 64 hex digits")
        return checkpoint


def read_checkpoints(path: str | Path) -> list[tuple[int, Checkpoint]]:
    """(line number, checkpoint) for every line of the file, in order."""
    checkpoints = []
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                checkpoints.append((number, Checkpoint.from_line(line)))
            except (ValueError, KeyError, TypeError) as exc:
                raise CheckpointFileError(
                    f"checkpoint file {path} line {number} is not a checkpoint ({exc})"
                ) from None
    return checkpoints


def append_checkpoint(path: str | Path, checkpoint: Checkpoint) -> bool:
    """Append `checkpoint` unless the file's last line already holds the same seq and MAC.

    Returns whether a line was written. Concurrent callers are serialised by a lock on the
    file, so two runs with the same head write one line.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    created = not path.exists()
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        last = _last_line(fd)
        if last is not None:
            try:
                previous = Checkpoint.from_line(last)
            except (ValueError, KeyError, TypeError):
                previous = None
            if previous and (previous.seq, previous.mac) == (checkpoint.seq, checkpoint.mac):
                return False
        os.write(fd, checkpoint.to_line().encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)  # releases the lock
    if created:
        _fsync_directory(path.parent)
    return True


def _last_line(fd: int) -> str | None:
    size = os.fstat(fd).st_size
    if size == 0:
        return None
    tail = os.pread(fd, min(size, TAIL_BYTES), max(0, size - TAIL_BYTES))
    lines = [line for line in tail.decode("utf-8", errors="replace").splitlines() if line]
    return lines[-1] if lines else None


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
