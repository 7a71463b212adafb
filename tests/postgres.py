"""A real PostgreSQL server for tests: the `database_url` fixture yields the URL of a fresh, empty database.

The server is $TIDELINE_TEST_DATABASE_URL (CI starts one with scripts/postgres.sh), else one this session starts
with scripts/postgres.sh in a temp folder and stops at the end. Without either the tests are skipped, unless
$TIDELINE_REQUIRE_POSTGRES=1 (CI), where they fail. Use: ``from postgres import database_url  # noqa: F401``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "postgres.sh"
URL_ENV = "TIDELINE_TEST_DATABASE_URL"
REQUIRE_ENV = "TIDELINE_REQUIRE_POSTGRES"


def with_conninfo(url: str, **changes: str) -> str:
    """The URL with other connection parameters (dbname, user); a URL stays a URL."""
    from psycopg.conninfo import make_conninfo

    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres"):
        return make_conninfo(url, **changes)
    netloc, path = parts.netloc, parts.path
    if "dbname" in changes:
        path = "/" + changes.pop("dbname")
    if "user" in changes:
        netloc = changes.pop("user") + "@" + netloc.rpartition("@")[2]
    if changes:
        raise ValueError(f"with_conninfo: only dbname and user, not {sorted(changes)}")
    return urlunsplit((parts.scheme, netloc, path, parts.query, parts.fragment))


def _unavailable(why: str) -> None:
    message = f"PostgreSQL not available: {why}; CI sets {URL_ENV}"
    if os.environ.get(REQUIRE_ENV, "").strip() == "1":
        pytest.fail(f"{message} ({REQUIRE_ENV}=1)", pytrace=False)
    pytest.skip(message)


# The server of this test session: its URL, or why there is none (started at most once).
_SERVER: dict[str, str] = {}


def _server(config: pytest.Config) -> str:
    """The server's URL (its maintenance database): from the environment, or started once for the session."""
    url = os.environ.get(URL_ENV, "").strip()
    if url:
        return url
    if "url" in _SERVER:
        return _SERVER["url"]
    if "why" in _SERVER:
        _unavailable(_SERVER["why"])
    # Not under pytest's tmp_path: that is private to root, and the server runs as the postgres OS user.
    folder = Path(tempfile.mkdtemp(prefix="tideline-pg-"))
    try:
        r = subprocess.run(["bash", str(SCRIPT), "start", str(folder)], capture_output=True, text=True, timeout=120)
        failed = "" if r.returncode == 0 and r.stdout.strip() else (r.stderr.strip() or f"exit {r.returncode}")
    except (OSError, subprocess.TimeoutExpired) as exc:
        failed = str(exc)
    if failed:
        shutil.rmtree(folder, ignore_errors=True)
        _SERVER["why"] = f"scripts/postgres.sh start failed: {failed.splitlines()[-1]}"
        _unavailable(_SERVER["why"])

    def stop() -> None:
        subprocess.run(["bash", str(SCRIPT), "stop", str(folder)], capture_output=True, text=True, timeout=120)
        shutil.rmtree(folder, ignore_errors=True)

    config.add_cleanup(stop)  # at the end of the session
    _SERVER["url"] = r.stdout.strip().splitlines()[-1]
    return _SERVER["url"]


@pytest.fixture
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh database on the server for this test (dropped afterwards): its URL."""
    import psycopg

    postgres_server = _server(request.config)
    name = f"t_{uuid.uuid4().hex[:16]}"
    try:
        with psycopg.connect(postgres_server, autocommit=True, connect_timeout=10) as admin:
            admin.execute(f"CREATE DATABASE {name}")
    except psycopg.Error as exc:
        _unavailable(f"cannot create a test database on {URL_ENV}'s server ({str(exc).strip()})")
    try:
        yield with_conninfo(postgres_server, dbname=name)
    finally:
        with psycopg.connect(postgres_server, autocommit=True, connect_timeout=10) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
