"""Atomic file writes (a temporary file in the same folder, renamed over the target) and append-only JSON lines.

A reader (or a crash) sees either the old file or the new one, never half of one.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_UMASK = os.umask(0)
os.umask(_UMASK)


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success fsync it and rename it to ``path``, else delete it."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    os.chmod(tmp_path, 0o666 & ~_UMASK)  # mkstemp makes 0600; run files are for sharing
    try:
        yield tmp_path
        with open(tmp_path, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def replace_folder(new: str | Path, final: str | Path) -> None:
    """Replace folder ``final`` by ``new`` (two renames); a kill leaves ``final`` or ``final.old`` whole."""
    new, final = Path(new), Path(final)
    old = final.with_name(final.name + ".old")
    if final.exists():
        shutil.rmtree(old, ignore_errors=True)
        final.rename(old)
    new.rename(final)
    shutil.rmtree(old, ignore_errors=True)


def remove_orphans(path: str | Path) -> list[Path]:
    """Delete the temporary files that killed ``atomic_path`` writers of ``path`` left (``.<name>.*.part``).

    A checkpoint writer calls it before each save: its own temporaries are gone by then (``atomic_path`` removes
    them in every case but a kill), so what matches is left by an earlier process. One writer per target."""
    path = Path(path)
    removed = []
    for orphan in path.parent.glob(f".{path.name}.*.part"):
        try:
            orphan.unlink()
            removed.append(orphan)
        except OSError:
            continue
    return removed


class JsonlAppender:
    """Appends JSON lines to ``path`` with one ``os.write`` per line (``O_APPEND``): a killed writer leaves every
    line it finished, and at most a torn last one, which readers skip and the next appender ends with a newline
    before writing. ``fsync_each``: fsync after every line (episode logs); otherwise at ``close`` (event logs).

    ``encode`` turns a record into JSON-ready values (e.g. numpy arrays to lists); ``sort_keys`` as in ``json``.
    """

    def __init__(self, path: str | Path, fsync_each: bool = False, sort_keys: bool = False,
                 encode: Callable[[Any], Any] | None = None) -> None:
        self.path = Path(path)
        self.fsync_each, self.sort_keys, self.encode = fsync_each, sort_keys, encode
        self._fd: int | None = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666 & ~_UMASK)
        self._torn = False
        if os.fstat(self._fd).st_size > 0:
            with open(self.path, "rb") as f:
                f.seek(-1, os.SEEK_END)
                self._torn = f.read(1) != b"\n"

    def append(self, record: Any) -> None:
        if self._fd is None:
            raise ValueError(f"{self.path}: appender is closed")
        obj = self.encode(record) if self.encode else record
        data = (json.dumps(obj, sort_keys=self.sort_keys) + "\n").encode()
        if self._torn:
            data, self._torn = b"\n" + data, False
        os.write(self._fd, data)
        if self.fsync_each:
            os.fsync(self._fd)

    def close(self) -> None:
        if self._fd is not None:
            os.fsync(self._fd)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> JsonlAppender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_jsonl(path: str | Path) -> list[Any]:
    """Every whole JSON line of ``path`` (a torn or corrupt line, e.g. from a kill, is skipped); [] if missing."""
    path = Path(path)
    if not path.exists():
        return []
    out = []
    for line in path.read_text(errors="replace").splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return out
