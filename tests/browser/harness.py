"""Real-browser test harness: a live Streamlit server plus Debian's headless Chromium via Playwright.

Write one test module per page in tests/browser/; every test there is marked ``browser``:

    from .harness import assert_no_exception, goto_app, screenshot

    def test_map_page(page, base_url, browser_log):
        goto_app(page, base_url, "/map", query={"region": ["A", "B"]})
        assert_no_exception(page)
        screenshot(page, "map")                     # artifacts/screenshots/map.png
        assert not browser_log.page_errors
        assert not browser_log.unexpected_console_errors()

goto_app waits until the script run is over (and fails on Streamlit's "Page not found" dialog),
not until charts and deck.gl maps have painted: wait for those with playwright's ``expect``.

Fixtures (tests/browser/conftest.py):
  app_server / base_url  <repo>/streamlit_app.py on a free port with a fresh data dir, shared by tests/browser
  start_app              factory for an extra server: ``with start_app(env={...}) as srv: srv.base_url``
  browser                headless Chromium (SwiftShader WebGL), shared by tests/browser
  page                   new 1920x1080 context per test; at teardown fails if any request left the app
  browser_log            requests, console errors and page errors of that page's context

Environment: TIDELINE_CHROMIUM (default /usr/bin/chromium); when Chromium is missing the tests
skip, unless CI=true or TIDELINE_REQUIRE_BROWSER=1, where they fail. TIDELINE_APP_SCRIPT points
the harness at another entry script (default <repo>/streamlit_app.py).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
SERVER_LOGS = ARTIFACTS / "logs"
DEFAULT_CHROMIUM = "/usr/bin/chromium"

CHROMIUM_ARGS = [
    # deck.gl needs WebGL; headless Chromium without a GPU only has it through SwiftShader.
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-features=Translate,OptimizationHints,MediaRouter",
    "--disable-default-apps",
]

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
LOCAL_SCHEMES = {"data", "blob", "about"}
# host:port of every server this process started: the only places a page may talk to.
_APP_NETLOCS: set[tuple[str, int]] = set()
_RUNNING: list[AppServer] = []


def chromium_path() -> str:
    return os.environ.get("TIDELINE_CHROMIUM") or DEFAULT_CHROMIUM


def chromium_available() -> bool:
    path = chromium_path()
    return os.path.isfile(path) and os.access(path, os.X_OK)


def browser_required() -> bool:
    return os.environ.get("CI", "").lower() in {"true", "1"} or os.environ.get("TIDELINE_REQUIRE_BROWSER", "") == "1"


def missing_chromium_message() -> str:
    return (
        f"Chromium not found at {chromium_path()}; install Debian's chromium package "
        "(apt-get install chromium) to run browser tests"
    )


def app_script() -> Path:
    return Path(os.environ.get("TIDELINE_APP_SCRIPT") or REPO_ROOT / "streamlit_app.py")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The health check must never go through an HTTP proxy from the environment.
_NO_PROXY_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class AppServer:
    """A running ``streamlit run`` subprocess; usable as a context manager (stops on exit)."""

    port: int
    data_dir: Path
    log_path: Path
    process: subprocess.Popen
    started_in: float = 0.0  # seconds from spawn to healthy

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no server log)"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 10) -> None:
        if self in _RUNNING:
            _RUNNING.remove(self)
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                # Its own session (start_new_session): the group holds only what this server spawned.
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout)
        log = getattr(self.process, "_tideline_log", None)
        if log is not None:
            log.close()

    def __enter__(self) -> AppServer:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start_app(
    data_dir: Path,
    env: dict[str, str | None] | None = None,
    script: Path | None = None,
    timeout: float = 90,
    args: list[str] | None = None,
    port: int | None = None,
) -> AppServer:
    """Start the app on a free port (or `port`) with TIDELINE_DATA_DIR=data_dir; return once /_stcore/health is ok.

    ``env`` overlays os.environ (a None value removes the variable); ``args`` are added to ``streamlit run``
    (e.g. ``["--secrets.files", path]``).
    """
    script = script or app_script()
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    SERVER_LOGS.mkdir(parents=True, exist_ok=True)
    log_path = SERVER_LOGS / f"streamlit-{port}.log"

    run_env = dict(os.environ)
    run_env.update(
        TIDELINE_DATA_DIR=str(data_dir),
        STREAMLIT_CLIENT_SHOW_ERROR_DETAILS="full",  # show tracebacks in the page, for the tests
        PYTHONUNBUFFERED="1",
    )
    for key, value in (env or {}).items():
        if value is None:
            run_env.pop(key, None)
        else:
            run_env[key] = value
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(script),
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        # Others edit the sources while tests run: no watcher, no "source changed" reruns.
        "--server.fileWatcherType", "none",
        *(args or []),
    ]  # fmt: skip
    log = open(log_path, "w")  # closed in AppServer.stop
    log.write(f"$ {' '.join(cmd)}\n# TIDELINE_DATA_DIR={data_dir}\n")
    log.flush()
    t0 = time.monotonic()
    process = subprocess.Popen(
        cmd,
        cwd=REPO_ROOT,  # so .streamlit/config.toml applies
        env=run_env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    process._tideline_log = log  # type: ignore[attr-defined]
    server = AppServer(port=port, data_dir=data_dir, log_path=log_path, process=process)
    _RUNNING.append(server)
    _APP_NETLOCS.update({("127.0.0.1", port), ("localhost", port), ("::1", port)})

    health = f"{server.base_url}/_stcore/health"
    deadline = t0 + timeout
    while True:
        if process.poll() is not None:
            server.stop()
            pytest.fail(
                f"streamlit exited with code {process.returncode} before it was healthy "
                f"({script}).\n--- server log {log_path} (tail) ---\n{server.log_tail()}",
                pytrace=False,
            )
        try:
            with _NO_PROXY_OPENER.open(health, timeout=2) as resp:
                if resp.read().strip() == b"ok":
                    break
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            server.stop()
            pytest.fail(
                f"streamlit not healthy at {health} after {timeout:.0f}s.\n"
                f"--- server log {log_path} (tail) ---\n{server.log_tail()}",
                pytrace=False,
            )
        time.sleep(0.2)
    server.started_in = time.monotonic() - t0
    return server


def allow_local_service(port: int) -> None:
    """Count a test's own local service (the OpenID provider) as part of the system under test: requests to
    it stay on this machine, so they are not "leaving the app"."""
    _APP_NETLOCS.update({("127.0.0.1", port), ("localhost", port), ("::1", port)})


def running_servers() -> list[AppServer]:
    return list(_RUNNING)


@dataclass
class BrowserLog:
    """What one browser context did: request URLs (incl. websockets), console errors, page errors."""

    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def foreign_requests(self) -> list[str]:
        return [url for url in self.requests if not is_app_url(url)]

    def unexpected_console_errors(self) -> list[str]:
        """Console errors minus the 404s Streamlit's own base-path probe logs on every deep link."""
        return [e for e in self.console_errors if not _STREAMLIT_PROBE_404.search(e)]


# On /map Streamlit first tries /map/_stcore/host-config and /map/_stcore/health (is /map a base
# path?), gets 404s, then uses /: harmless, but Chromium logs them as console errors.
_STREAMLIT_PROBE_404 = re.compile(r"status of 404 .*\[https?://[^\]\s]+/_stcore/(host-config|health)\]$")


def is_app_url(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in LOCAL_SCHEMES:
        return True
    try:
        port = parts.port or {"http": 80, "ws": 80, "https": 443, "wss": 443}.get(parts.scheme)
    except ValueError:
        return False
    return parts.hostname in LOOPBACK_HOSTS and (parts.hostname, port) in _APP_NETLOCS


def assert_only_app_requests(log: BrowserLog) -> None:
    """Fail if the page requested anything but the app servers (data: and blob: URLs are fine)."""
    foreign = sorted(set(log.foreign_requests()))
    if foreign:
        pytest.fail(
            f"{len(foreign)} request(s) went to a host other than the app:\n  " + "\n  ".join(foreign),
            pytrace=False,
        )


def app_url(base_url: str, path: str = "/", query: str | dict | None = "") -> str:
    url = base_url.rstrip("/") + "/" + path.lstrip("/")
    if isinstance(query, dict):
        query = urlencode(query, doseq=True)  # lists become repeated keys
    if query:
        url += "?" + query.lstrip("?")
    return url


# Idle = connected and the script is not running, continuously for `stable` ms (a script may
# rerun itself right after its first run, e.g. when query-param-bound widgets clean the URL).
_IDLE_JS = """
([stable]) => {
  const app = document.querySelector('[data-testid="stApp"]');
  const idle = app !== null
    && app.getAttribute('data-test-connection-state') === 'CONNECTED'
    && ['notRunning', 'compilationError'].includes(app.getAttribute('data-test-script-state'))
    && document.querySelector('[data-testid="stStatusWidgetRunningIcon"]') === null;
  if (!idle) { window.__tidelineIdleSince = undefined; return false; }
  const now = performance.now();
  if (window.__tidelineIdleSince === undefined) window.__tidelineIdleSince = now;
  return now - window.__tidelineIdleSince >= stable;
}
"""


def wait_for_app_idle(page, timeout: float = 60_000, stable: float = 500) -> None:
    """Wait (ms) until Streamlit has finished running the script and stayed idle for `stable` ms."""
    try:
        page.wait_for_function(_IDLE_JS, arg=[stable], timeout=timeout, polling=100)
    except Exception as exc:  # playwright TimeoutError; report the app's state instead
        state = page.evaluate(
            """() => { const a = document.querySelector('[data-testid="stApp"]');
                return a ? [a.getAttribute('data-test-script-state'),
                            a.getAttribute('data-test-connection-state')] : null; }"""
        )
        pytest.fail(
            f"app at {page.url} not idle after {timeout / 1000:.0f}s "
            f"(stApp [script-state, connection-state] = {state}): {exc}",
            pytrace=False,
        )


def goto_app(
    page,
    base_url: str,
    path: str = "/",
    query: str | dict | None = "",
    timeout: float = 60_000,
    allow_page_not_found: bool = False,
):
    """Open base_url + path (+ ?query, a string or a dict of str/list) and wait for the script run.

    Waits for the script, not for charts and maps to paint: wait for those with ``expect``.
    Fails if Streamlit answers the deep link with its "Page not found" dialog.
    """
    url = app_url(base_url, path, query)
    page.goto(url, wait_until="domcontentloaded", timeout=timeout)
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout)
    wait_for_app_idle(page, timeout=timeout)
    if not allow_page_not_found:
        assert_page_found(page)
    return page


def assert_page_found(page) -> None:
    """Fail if Streamlit shows its "Page not found" dialog (it then runs the main page instead)."""
    dialog = page.get_by_role("dialog").filter(has_text="Page not found")
    if dialog.count():
        pytest.fail(
            f"Streamlit showed 'Page not found' for {page.url}: {dialog.first.inner_text()!r}. "
            "(Streamlit's legacy pages/ mode answers a deep link on a fresh server's first run; "
            "each url path needs its launcher in pages/, see pages/README.md.)",
            pytrace=False,
        )


def exception_texts(page) -> list[str]:
    return page.locator('[data-testid="stException"]').all_inner_texts()


def assert_no_exception(page) -> None:
    """Fail, quoting them, if the page shows any Streamlit exception box."""
    texts = exception_texts(page)
    if texts:
        pytest.fail(
            f"{len(texts)} Streamlit exception(s) on {page.url}:\n" + "\n---\n".join(texts),
            pytrace=False,
        )


def screenshot(page, name: str, full_page: bool = False) -> Path:
    """Save <repo>/artifacts/screenshots/<name>.png and return its path."""
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "screenshot"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{safe}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
