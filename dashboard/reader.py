"""Read an import in a separate process, for the app: the page's script thread only waits on a pipe,
so a heavy or hostile file never holds the server's interpreter (other analysts' sessions carry on),
and the reader is stopped when its memory passes the limit (settings.ImportLimits.max_memory).

Parent: ``plan_in_child(store, path, progress=…)`` returns the same ``ingest.Plan`` as ``ingest.plan``.
Child: ``python -m dashboard.reader DATA_DIR FILE OUT [SOURCE]`` writes the plan (pickle) to OUT and
prints progress lines ``progress<TAB>fraction<TAB>message`` on stdout.
"""

from __future__ import annotations

import os
import pickle
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from . import ingest, settings
from .sources.base import Progress, StructuralError, TooLarge, no_progress
from .store import Store

EXIT_REFUSED = 3  # the child refused the file: OUT holds {"error": message}
POLL_S = 0.05


def plan_in_child(
    store: Store,
    path: Path,
    *,
    source: str | None = None,
    progress: Progress = no_progress,
    limits: settings.ImportLimits | None = None,
) -> ingest.Plan:
    """ingest.plan in a child process; StructuralError (or TooLarge) as ingest.plan raises them."""
    limits = limits or settings.import_limits()
    with tempfile.TemporaryDirectory(prefix="tideline-read-") as tmp:
        out = Path(tmp) / "plan.pickle"
        cmd = [sys.executable, "-m", "dashboard.reader", str(store.data_dir), str(path), str(out), source or ""]
        proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            stdin=subprocess.DEVNULL,
            cwd=Path(__file__).resolve().parent.parent,
        )
        watch = _Watch(proc, limits.max_memory)
        watch.start()
        assert proc.stdout is not None and proc.stderr is not None
        for line in proc.stdout:
            kind, _, rest = line.rstrip("\n").partition("\t")
            if kind == "progress":
                fraction, _, message = rest.partition("\t")
                progress(message, float(fraction))
        stderr = proc.stderr.read()
        proc.wait()
        watch.stop()
        if watch.killed:
            raise TooLarge(
                f"{path.name}: reading it took more than {limits.max_memory >> 20:,} MB of memory, the "
                f"limit for one import (raise {limits.env_name('max_memory')} for a file this big)"
            )
        if proc.returncode not in (0, EXIT_REFUSED) or not out.exists():
            raise StructuralError(
                f"{path.name}: could not be read ({died_of(stderr, proc.returncode)}); nothing changed"
            )
        with out.open("rb") as f:
            answer: dict[str, Any] = pickle.load(f)  # written by our own child, just now, in a private folder
    if "error" in answer:
        raise (TooLarge if answer.get("too_large") else StructuralError)(answer["error"])
    return ingest.Plan(
        path=path,
        importer=ingest.importer_named(answer["importer"]),
        result=answer["result"],
        sha256=answer["sha256"],
        duplicate_of=answer["duplicate_of"],
        drops_demo=answer["drops_demo"],
    )


def died_of(stderr: str, returncode: int) -> str:
    """Why the reading process ended without an answer, in a line: its last words before any stack trace (a native
    library's crash prints one, Python's traceback ends in the error), or the signal that stopped it."""
    lines = [line.strip() for line in stderr.strip().splitlines() if line.strip()]
    if "stack backtrace:" in lines:  # Rust: the message, then the frames
        lines = lines[: lines.index("stack backtrace:")]
    last = lines[-1][:300] if lines else ""
    if returncode >= 0:
        return last or f"exit code {returncode}"
    try:
        stopped = f"stopped by {signal.Signals(-returncode).name}"
    except ValueError:
        stopped = f"stopped by signal {-returncode}"
    crash = CRASH_WORDS.search(last)  # a warning printed earlier is not why a signal stopped it
    return f"{stopped}: {last}" if crash else stopped


CRASH_WORDS = re.compile(r"memory allocation|panicked|out of memory|fatal|abort|segmentation", re.I)


class _Watch(threading.Thread):
    """Polls the child's resident memory; kills it past the limit."""

    def __init__(self, proc: subprocess.Popen[str], limit: int) -> None:
        super().__init__(daemon=True)
        self.proc, self.limit = proc, limit
        self.killed = False
        self.peak = 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set() and self.proc.poll() is None:
            rss = resident_bytes(self.proc.pid)
            self.peak = max(self.peak, rss)
            if rss > self.limit:
                self.killed = True
                self.proc.kill()
                return
            time.sleep(POLL_S)

    def stop(self) -> None:
        self._done.set()
        self.join(timeout=5)


def resident_bytes(pid: int) -> int:
    """A process's resident set size in bytes (Linux /proc), 0 when it is gone."""
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _child(argv: list[str]) -> int:
    data_dir, file, out, source = argv
    settings.configure_logging(default="WARNING")

    def progress(message: str, fraction: float) -> None:
        print(f"progress\t{fraction:.4f}\t{' '.join(message.split())}", flush=True)

    try:
        plan = ingest.plan(Store(data_dir), Path(file), source=source or None, progress=progress)
    except StructuralError as exc:
        answer: dict[str, Any] = {"error": str(exc), "too_large": isinstance(exc, TooLarge)}
        code = EXIT_REFUSED
    else:
        answer = {
            "importer": plan.importer.NAME,
            "result": plan.result,
            "sha256": plan.sha256,
            "duplicate_of": plan.duplicate_of,
            "drops_demo": plan.drops_demo,
        }
        code = 0
    with open(out, "wb") as f:
        pickle.dump(answer, f, protocol=pickle.HIGHEST_PROTOCOL)
    return code


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1:]))
