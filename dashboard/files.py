"""Files the store and the saved views share: atomic JSON replacement, an exclusive lock, digests."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

CHUNK = 1 << 20


def fsync_dir(path: Path) -> None:
    """Make a rename inside ``path`` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_text_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` (UTF-8): temp file beside it, fsync, rename, fsync the folder.

    A crash or an error at any point leaves either the old file or the new one, whole, and no temp file."""
    write_bytes_atomic(path, text.encode("utf-8"))


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data``, atomically (as write_text_atomic)."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with tmp.open("wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(path.parent)


def write_json_atomic(path: Path, doc: Any, **dump_options: Any) -> None:
    """Replace ``path`` with ``doc`` as JSON, atomically (write_text_atomic)."""
    write_text_atomic(path, json.dumps(doc, **dump_options))


@contextlib.contextmanager
def exclusive_lock(lock_file: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock on ``lock_file`` (created if needed) for the block."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with lock_file.open("w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def sha256_file(path: Path) -> str:
    """sha256 of one file's bytes (hex)."""
    h = hashlib.sha256()
    _feed(h, path)
    return h.hexdigest()


def sha256_files(paths: Iterable[Path]) -> str:
    """sha256 over the names and bytes of several files, in the given order."""
    h = hashlib.sha256()
    for p in paths:
        h.update(p.name.encode())
        h.update(b"\0")
        _feed(h, p)
    return h.hexdigest()


def _feed(h: hashlib._Hash, path: Path) -> None:
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            h.update(chunk)
