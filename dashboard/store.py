"""The data store: immutable Parquet files per data version, a manifest swapped in atomically,
and read-only DuckDB connections pinned to one version, reading its Parquet files in place.

Layout of the data directory::

    manifest.json                 {"format": 1, "current": 3, "versions": [...]}
    versions/<id>/<table>.parquet one file per table written in that version

A version lists, per table, the file that holds the table's rows in that version; tables a
load did not touch point at an earlier version's file. Files are never rewritten, so every
version stays readable by id. A load writes its files into a staging folder, renames it into
place, then replaces the manifest (write temp, fsync, rename, fsync folder): a load that dies
or fails at any point leaves the previous manifest, hence the previous version, current.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import json
import logging
import os
import re
import shutil
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeAlias

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from . import schema
from .clean import BIDI_SQL_PATTERN, text
from .files import exclusive_lock, fsync_dir, sha256_file, sha256_files, write_json_atomic
from .sources.base import Staged

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent
DEMO_DIR = REPO_ROOT / "data" / "demo"
DEFAULT_DATA_DIR = REPO_ROOT / "var"
MANIFEST = "manifest.json"
FORMAT = 1

Frame: TypeAlias = pd.DataFrame | pa.Table

WRITE_MEMORY = "1GB"  # DuckDB's memory for writing one table of a version; beyond it, it spills (spill_dir)


@dataclass(frozen=True)
class Kept:
    """The rows of a table in the version a commit builds on that the new version keeps: a SQL condition on the
    table's columns, whose named values (getvariable('name') in the condition) are given in `variables`."""

    where: str
    variables: Mapping[str, object] = field(default_factory=dict)


Part: TypeAlias = Frame | Staged | Kept


class StoreError(Exception):
    """A load or a version lookup that cannot be done; the message says why."""


class UnknownVersionError(StoreError):
    """The requested data version does not exist in this store."""


@dataclass(frozen=True)
class Version:
    """One data version as recorded in the manifest."""

    id: int
    created_at: str
    source_name: str
    file_name: str | None
    sha256: str | None
    note: str | None
    synthetic: bool
    tables: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # table -> {"file", "rows"}

    @property
    def rows(self) -> int:
        return sum(int(t["rows"]) for t in self.tables.values())

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Version:
        return cls(
            id=int(d["id"]),
            created_at=str(d["created_at"]),
            source_name=str(d["source_name"]),
            file_name=d.get("file_name"),
            sha256=d.get("sha256"),
            note=d.get("note"),
            synthetic=bool(d.get("synthetic", False)),
            tables=d.get("tables", {}),
        )


def data_dir_from_env() -> Path:
    """The data directory: $TIDELINE_DATA_DIR, or var/ inside the repo (git-ignored)."""
    value = os.environ.get("TIDELINE_DATA_DIR", "").strip()
    return _resolved(value) if value else DEFAULT_DATA_DIR


@functools.lru_cache(maxsize=16)
def _resolved(value: str) -> Path:
    # Pages ask for the data directory on every cached query; resolving it each time costs syscalls.
    # Cached per value for the process: a symlink re-pointed while the app runs is not followed.
    return Path(value).expanduser().resolve()


DAMAGED_HELP = (
    "the store is damaged. Run `python -m dashboard check` to see which versions and files are affected; "
    "restore the data directory from a backup, or point TIDELINE_DATA_DIR at a sound copy"
)


def read_only_message(data_dir: Path, exc: OSError) -> str:
    """Why a write to the store failed, in words: read-only, no permission, disk full, or the error itself."""
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return (
            f"the store at {data_dir} is read-only ({exc.strerror}): it can be read, but imports and "
            "saved views need write access to the data directory"
        )
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return (
            f"the disk holding the store at {data_dir} is full ({exc.strerror}): nothing was changed; "
            "free some space and try again"
        )
    return f"the store at {data_dir} cannot be written ({exc.strerror or exc}): nothing was changed"


def os_error(exc: duckdb.Error) -> OSError:
    """A DuckDB I/O error as the OSError it reports (DuckDB puts the errno in its message), for read_only_message."""
    found = re.search(r'"errno":\s*"(\d+)"', str(exc))
    code = int(found[1]) if found else errno.EIO
    return OSError(code, os.strerror(code), str(exc)[:200])


def manifest_problem(manifest: object) -> str | None:
    """What is wrong with a manifest's shape, in words; None when it is sound."""
    if not isinstance(manifest, dict):
        return f"expected an object, found {type(manifest).__name__}"
    if manifest.get("format") != FORMAT:
        return f"unsupported manifest format {manifest.get('format')!r} (this Tideline reads format {FORMAT})"
    versions = manifest.get("versions")
    if not isinstance(versions, list):
        return "'versions' is not a list"
    ids: list[int] = []
    for n, v in enumerate(versions, start=1):
        if not isinstance(v, dict) or not isinstance(v.get("id"), int) or isinstance(v.get("id"), bool):
            return f"version entry {n} has no whole-number id"
        for key in ("created_at", "source_name"):
            if not isinstance(v.get(key), str):
                return f"version {v['id']} has no {key}"
        tables = v.get("tables")
        if not isinstance(tables, dict):
            return f"version {v['id']} has no table list"
        for table, info in tables.items():
            if table not in schema.DATA_TABLES:
                return f"version {v['id']} lists {str(table)[:40]!r}, which is not a canonical table"
            if (
                not isinstance(info, dict)
                or not isinstance(info.get("file"), str)
                or not isinstance(info.get("rows"), int)
            ):
                return f"version {v['id']} table {table} has no file or row count"
        ids.append(v["id"])
    if len(set(ids)) != len(ids):
        return "two versions have the same id"
    current = manifest.get("current")
    if current is not None and current not in ids:
        known = ", ".join(map(str, ids)) or "none"
        return f"the current version {current!r} is not among the versions (known: {known})"
    if current is None and ids:
        return "versions are listed but none is current"
    return None


def read_demo_csvs(demo_dir: Path = DEMO_DIR, tables: Iterable[str] = schema.DATA_TABLES) -> dict[str, pd.DataFrame]:
    """The committed demo CSVs (of `tables`) as text frames (empty field = NULL); the store casts them."""
    frames = {}
    for table in tables:
        path = demo_dir / f"{table}.csv"
        if not path.exists():
            raise StoreError(f"demo data file missing: {path} (run `python -m dashboard demo`)")
        frames[table] = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    return frames


def harden(
    con: duckdb.DuckDBPyConnection,
    memory_limit: str = "2GB",
    *,
    temp_directory: Path | None = None,
    temp_limit_bytes: int = 2_000_000_000,
    allowed_paths: Sequence[Path] = (),
) -> None:
    """No file or network access (but reading `allowed_paths`: a version's own Parquet files), no extension
    loading, bounded memory; then freeze settings.

    Spilling to disk goes only into `temp_directory`, up to `temp_limit_bytes`; without one it is off (a query
    that does not fit in memory fails), never DuckDB's default <cwd>/.tmp."""
    if allowed_paths:  # exact files, not folders: another version's files or anything else stay refused
        con.execute("SET allowed_paths = $paths", {"paths": [str(p) for p in allowed_paths]})
    con.execute("SET temp_directory = $dir", {"dir": "" if temp_directory is None else str(temp_directory)})
    con.execute("SET max_temp_directory_size = $size", {"size": f"{int(temp_limit_bytes)}B"})
    con.execute("SET autoinstall_known_extensions = false")
    con.execute("SET autoload_known_extensions = false")
    con.execute("SET enable_external_access = false")
    con.execute(f"SET memory_limit = '{memory_limit}'")  # a constant, not user input
    con.execute("SET lock_configuration = true")


@dataclass(frozen=True)
class VersionCheck:
    """What `Store.check` found for one data version."""

    id: int
    current: bool
    rows: int
    problems: list[str]  # each one makes the version unsound
    notes: list[str]  # worth knowing, not damage (e.g. no checksum recorded by an older Tideline)


@dataclass(frozen=True)
class StoreCheck:
    """The whole store: the manifest's problem (if it cannot be read, nothing else can) and each version."""

    manifest_problem: str | None
    versions: list[VersionCheck]
    stale: list[str] = field(default_factory=list)  # staging folders left by a killed import

    @property
    def sound(self) -> bool:
        return self.manifest_problem is None and not any(v.problems for v in self.versions)


class Store:
    """A versioned store in one data directory."""

    def __init__(self, data_dir: Path | str | None = None, demo_dir: Path = DEMO_DIR) -> None:
        self.data_dir = Path(data_dir) if data_dir is not None else data_dir_from_env()
        self.demo_dir = demo_dir

    # -- manifest -----------------------------------------------------------------------
    @property
    def manifest_path(self) -> Path:
        return self.data_dir / MANIFEST

    def _read_manifest(self) -> dict[str, Any]:
        try:
            raw = self.manifest_path.read_bytes()
        except FileNotFoundError:
            return {"format": FORMAT, "current": None, "versions": []}
        except OSError as exc:
            raise StoreError(f"{self.manifest_path} cannot be read ({exc.strerror or exc})") from exc
        try:
            manifest = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            what = "is empty" if not raw.strip() else f"is not valid JSON ({exc})"
            raise StoreError(f"{self.manifest_path} {what}: {DAMAGED_HELP}") from exc
        problem = manifest_problem(manifest)
        if problem:
            raise StoreError(f"{self.manifest_path}: {problem}: {DAMAGED_HELP}")
        result: dict[str, Any] = manifest
        return result

    def _write_manifest(self, manifest: dict[str, Any]) -> None:
        write_json_atomic(self.manifest_path, manifest, indent=1, sort_keys=True)

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        """The store's write lock; StoreError when the store cannot be written at all."""
        with contextlib.ExitStack() as stack:
            try:
                stack.enter_context(exclusive_lock(self.data_dir / ".lock"))
            except OSError as exc:
                raise StoreError(read_only_message(self.data_dir, exc)) from exc
            yield

    def versions(self) -> list[Version]:
        """All data versions, oldest first."""
        return [Version.from_json(v) for v in self._read_manifest()["versions"]]

    def current_id(self) -> int | None:
        current: int | None = self._read_manifest()["current"]
        return current

    def version(self, version_id: int | None = None) -> Version:
        """One version by id (None = current); UnknownVersionError if there is none."""
        manifest = self._read_manifest()
        wanted = manifest["current"] if version_id is None else version_id
        for v in manifest["versions"]:
            if v["id"] == wanted:
                return Version.from_json(v)
        known = ", ".join(str(v["id"]) for v in manifest["versions"]) or "none"
        if version_id is None:
            raise UnknownVersionError(f"the store at {self.data_dir} has no data version yet")
        raise UnknownVersionError(f"data version {version_id} does not exist (known versions: {known})")

    def table_file(self, version_id: int, table: str, info: Mapping[str, Any]) -> Path:
        """Where a version keeps a table: confined to the store's versions/ folder (StoreError otherwise)."""
        versions_dir = (self.data_dir / "versions").resolve()
        path = (self.data_dir / str(info["file"])).resolve()
        if not path.is_relative_to(versions_dir) or path.suffix != ".parquet":
            raise StoreError(
                f"{self.manifest_path}: data version {version_id} table {table} points outside the "
                f"store's versions folder ({str(info['file'])[:80]!r}): {DAMAGED_HELP}"
            )
        return path

    def _table_schema(self, version_id: int, table: str, info: Mapping[str, Any]) -> tuple[Path, pa.Schema]:
        """A version's table file and its schema, read from the footer only (StoreError when unreadable)."""
        path = self.table_file(version_id, table, info)
        try:
            return path, pq.read_schema(path)
        except FileNotFoundError as exc:
            raise StoreError(f"data version {version_id}: {info['file']} is missing: {DAMAGED_HELP}") from exc
        except (OSError, pa.ArrowException) as exc:
            raise StoreError(
                f"data version {version_id}: {info['file']} cannot be read ({str(exc)[:200]}): {DAMAGED_HELP}"
            ) from exc

    # -- loading ------------------------------------------------------------------------
    def ensure_initialised(self) -> Version:
        """The current version; on first use of an empty store, load the demo data as version 1."""
        if self.current_id() is not None:  # no lock needed to read: a read-only store still opens
            return self.version()
        with self._lock():
            if self.current_id() is None:
                self._commit_locked(
                    read_demo_csvs(self.demo_dir),
                    source_name="demo",
                    file_name=str(self.demo_dir.relative_to(REPO_ROOT))
                    if self.demo_dir.is_relative_to(REPO_ROOT)
                    else str(self.demo_dir),
                    sha256=sha256_files(sorted(self.demo_dir.glob("*.csv"))),
                    note="Synthetic demo data (committed in data/demo)",
                    synthetic=True,
                )
        return self.version()

    def commit(
        self,
        frames: Mapping[str, Frame | Sequence[Part]],
        *,
        source_name: str,
        file_name: str | None = None,
        sha256: str | None = None,
        note: str | None = None,
        synthetic: bool = False,
        _before_publish: Callable[[], None] | None = None,
    ) -> Version:
        """Create a new version in which each given table's rows are replaced by the frame's."""
        with self._lock():
            return self._commit_locked(
                frames,
                source_name=source_name,
                file_name=file_name,
                sha256=sha256,
                note=note,
                synthetic=synthetic,
                _before_publish=_before_publish,
            )

    def commit_on_current(
        self,
        build: Callable[[duckdb.DuckDBPyConnection], Mapping[str, Frame | Sequence[Part]]],
        *,
        source_name: str,
        file_name: str | None = None,
        sha256: str | None = None,
        note: str | Callable[[], str] | None = None,
    ) -> Version:
        """Build the new tables from the version that is current at commit time, and commit them, all
        under the store's lock: two imports at once run one after the other, each on the other's result,
        so neither is lost. `build` gets a connection to the current version and may raise to refuse; `note`
        may be a callable, called after `build`."""
        with self._lock():
            con = self.connect()
            try:
                frames = build(con)
            finally:
                con.close()
            return self._commit_locked(
                frames,
                source_name=source_name,
                file_name=file_name,
                sha256=sha256,
                note=note() if callable(note) else note,  # a callable sees what build() found
                synthetic=False,
            )

    def _commit_locked(
        self,
        frames: Mapping[str, Frame | Sequence[Part]],
        *,
        source_name: str,
        file_name: str | None,
        sha256: str | None,
        note: str | None,
        synthetic: bool,
        _before_publish: Callable[[], None] | None = None,
    ) -> Version:
        started = time.monotonic()
        unknown = sorted(set(frames) - set(schema.DATA_TABLES))
        if unknown:
            raise StoreError(f"not a canonical table: {', '.join(unknown)}")
        manifest = self._read_manifest()
        prev = manifest["versions"][-1] if manifest["versions"] else None
        new_id = (max(v["id"] for v in manifest["versions"]) + 1) if manifest["versions"] else 1
        versions_dir = self.data_dir / "versions"
        try:
            versions_dir.mkdir(parents=True, exist_ok=True)
            for stale in versions_dir.glob(".staging-*"):  # left by a killed load; we hold the lock
                shutil.rmtree(stale, ignore_errors=True)
            staging = versions_dir / f".staging-{uuid.uuid4().hex}"
            staging.mkdir()
        except OSError as exc:
            raise StoreError(read_only_message(self.data_dir, exc)) from exc
        try:
            tables = dict(prev["tables"]) if prev else {}
            spill = self.spill_dir()
            for table in schema.DATA_TABLES:
                out = staging / f"{table}.parquet"
                given = frames.get(table)
                if isinstance(given, pd.DataFrame | pa.Table):
                    arrow = typed_table(table, given, sha256=sha256, version_id=new_id, spill=spill)
                elif given is not None:  # parts, streamed by DuckDB from the files they live in
                    previous = prev["tables"].get(table) if prev else None
                    rows = write_parts(
                        table,
                        given,
                        out,
                        previous=None if not prev or not previous else self.table_file(prev["id"], table, previous),
                        sha256=sha256,
                        version_id=new_id,
                        spill=spill,
                    )
                    arrow = None
                elif table not in tables:
                    arrow = typed_table(table, None, sha256=sha256, version_id=new_id)
                else:
                    continue
                if arrow is not None:
                    pq.write_table(arrow, out, compression="zstd")
                    rows = arrow.num_rows
                tables[table] = {
                    "file": f"versions/{new_id}/{table}.parquet",
                    "rows": rows,
                    "sha256": sha256_file(staging / f"{table}.parquet"),
                }  # for `dashboard check`
            for p in staging.iterdir():
                with p.open("rb") as f:
                    os.fsync(f.fileno())
            fsync_dir(staging)
            final = versions_dir / str(new_id)
            if final.exists():  # left by a load that died before publishing its manifest
                shutil.rmtree(final)
            os.rename(staging, final)
            fsync_dir(versions_dir)
            if _before_publish:  # test hook: lets a test die between the data and the manifest
                _before_publish()
            entry = {
                "id": new_id,
                "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                # shown on the Data page: without bidi controls, like the tables' text
                "source_name": text(source_name),
                "file_name": None if file_name is None else text(file_name),
                "sha256": sha256,
                "note": None if note is None else text(note),
                "synthetic": synthetic,
                "tables": tables,
            }
            manifest["versions"].append(entry)
            manifest["current"] = new_id
            self._write_manifest(manifest)
            log.info(
                "data version %d committed in %.2f s: source %s, file %s, sha256 %s, rows %s",
                new_id,
                time.monotonic() - started,
                source_name,
                file_name,
                sha256,
                {t: tables[t]["rows"] for t in sorted(frames)},
            )
            return Version.from_json(entry)
        except OSError as exc:  # disk full, read-only, permissions: the manifest still names the previous version
            if self._read_manifest()["current"] != new_id:
                shutil.rmtree(versions_dir / str(new_id), ignore_errors=True)
            raise StoreError(read_only_message(self.data_dir, exc)) from exc
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
            shutil.rmtree(self.data_dir / "tmp" / "commit", ignore_errors=True)

    def spill_dir(self) -> Path:
        """Where a commit's DuckDB work may spill: <data dir>/tmp/commit (removed after each commit, under the lock)."""
        return self.data_dir / "tmp" / "commit"

    # -- checking -----------------------------------------------------------------------
    def check(self) -> StoreCheck:
        """Verify the whole store without changing it: the manifest, then every version's files (present,
        inside the store, readable Parquet with the recorded row count, the checksum recorded at commit)."""
        try:
            manifest = self._read_manifest()
        except StoreError as exc:
            return StoreCheck(manifest_problem=str(exc), versions=[])
        results = []
        for v in manifest["versions"]:
            problems, notes, rows = [], [], 0
            missing = [t for t in schema.DATA_TABLES if t not in v["tables"]]
            later = [t for t in missing if t in schema.ADDED_LATER]
            if later:
                notes.append(f"no file for {', '.join(later)} (written before the table existed; read as empty)")
            if len(missing) > len(later):
                problems.append(f"no file listed for {', '.join(t for t in missing if t not in later)}")
            for table, info in sorted(v["tables"].items()):
                try:
                    path = self.table_file(v["id"], table, info)
                except StoreError:
                    problems.append(f"{table}: {str(info['file'])[:80]!r} points outside the store")
                    continue
                if not path.is_file():
                    problems.append(f"{info['file']} is missing")
                    continue
                recorded = info.get("sha256")
                if recorded is None:
                    notes.append(f"{info['file']}: no checksum recorded (written before checksums were kept)")
                elif sha256_file(path) != recorded:
                    problems.append(f"{info['file']} has changed since it was written (checksum differs)")
                    continue
                try:
                    found = pq.ParquetFile(path).metadata.num_rows
                except (OSError, pa.ArrowException) as exc:
                    problems.append(f"{info['file']} is not readable Parquet ({str(exc)[:120]})")
                    continue
                if found != info["rows"]:
                    problems.append(f"{info['file']} holds {found:,} rows where {info['rows']:,} were written")
                rows += found
            results.append(VersionCheck(v["id"], v["id"] == manifest["current"], rows, problems, notes))
        return StoreCheck(
            manifest_problem=None,
            versions=results,
            stale=sorted(p.name for p in (self.data_dir / "versions").glob(".staging-*")),
        )

    # -- reading ------------------------------------------------------------------------
    def connect(
        self,
        version_id: int | None = None,
        memory_limit: str = "2GB",
        *,
        temp_directory: Path | None = None,
        temp_limit_bytes: int = 2_000_000_000,
        beside: int | None = None,
    ) -> duckdb.DuckDBPyConnection:
        """A hardened DuckDB connection on one version: each table a view over the version's Parquet file,
        read in place (nothing copied, so opening costs milliseconds and memory does not grow with rows).
        It may read those files and no other; it spills to disk only into `temp_directory` (see harden).
        With `beside`, that version's tables too, as views in the schema `before` (to compare two versions in
        one connection, both read in place)."""
        version = self.version(version_id)
        other = None if beside is None else self.version(beside)
        manifest = self._read_manifest()
        con = duckdb.connect(
            ":memory:",
            config={
                "temp_directory": "" if temp_directory is None else str(temp_directory),
                "max_temp_directory_size": f"{int(temp_limit_bytes)}B",
            },
        )
        con.execute("SET threads = 2")
        try:
            files = self._views(con, version)
            if other is not None:
                con.execute("CREATE SCHEMA before")
                files += self._views(con, other, "before")
        except BaseException:  # a file missing or unreadable (StoreError): no connection left open
            con.close()
            raise
        con.execute(schema.create_sql("snapshots"))
        for v in manifest["versions"]:
            if v["id"] > version.id:
                continue
            rows = sum(int(t["rows"]) for t in v["tables"].values())
            status = "current" if v["id"] == manifest["current"] else "superseded"
            con.execute(
                "INSERT INTO snapshots VALUES ($id, $created, $source, $file, $sha, $rows, $status, $note)",
                {
                    "id": v["id"],
                    "created": v["created_at"].rstrip("Z"),
                    "source": v["source_name"],
                    "file": v.get("file_name"),
                    "sha": v.get("sha256"),
                    "rows": rows,
                    "status": status,
                    "note": v.get("note"),
                },
            )
        harden(con, memory_limit, temp_directory=temp_directory, temp_limit_bytes=temp_limit_bytes, allowed_paths=files)
        return con

    def _views(self, con: duckdb.DuckDBPyConnection, version: Version, in_schema: str | None = None) -> list[Path]:
        """A view per table over the version's Parquet files (in `in_schema`, else the default one); returns the
        files they read."""
        prefix = "" if in_schema is None else f'"{in_schema}".'
        files: list[Path] = []
        for table in schema.DATA_TABLES:
            info = version.tables.get(table)
            if not info:  # a table added after this version was written: empty, with its columns
                con.execute(schema.create_sql(table, in_schema=in_schema))
                continue
            path, found = self._table_schema(version.id, table, info)
            files.append(path)
            # The schema's types, whatever an older Tideline wrote; a column added since reads as NULL.
            cols = ", ".join(
                f'CAST("{c.name}" AS {c.type}) AS "{c.name}"'
                if c.name in found.names
                else f'CAST(NULL AS {c.type}) AS "{c.name}"'
                for c in schema.columns(table)
            )
            con.execute(f'CREATE VIEW {prefix}"{table}" AS SELECT {cols} FROM read_parquet({_sql_string(path)})')
        return files


def _sql_string(path: Path) -> str:
    """A file path as an SQL string literal. Only the store's own paths get here (table_file confines them)."""
    return "'" + str(path).replace("'", "''") + "'"


def _cleaned(con: duckdb.DuckDBPyConnection, table: str, cols: list[str]) -> str:
    """The SELECT list for the incoming frame: text columns without bidi controls."""
    types = dict(con.execute(f'SELECT column_name, column_type FROM (DESCRIBE "{table}")').fetchall())

    # Text is stored without bidi controls (clean.BIDI_CHARACTERS): they reorder what follows them.
    strip = f"'{BIDI_SQL_PATTERN}', '', 'g'"

    def clean(c: str) -> str:
        if types.get(c) == "VARCHAR":
            return f'regexp_replace(CAST("{c}" AS VARCHAR), {strip})'
        if types.get(c) == "VARCHAR[]":  # e.g. regions' source label lists
            return f'list_transform(CAST("{c}" AS VARCHAR[]), lambda x: regexp_replace(x, {strip}))'
        return f'"{c}"'

    return ", ".join(clean(c) for c in cols)


def typed_table(
    table: str, frame: Frame | None, *, sha256: str | None, version_id: int | None, spill: Path | None = None
) -> pa.Table:
    """Cast a frame to the canonical table's types and constraints (StoreError on mismatch). A big table spills
    only into `spill` (the store's own tmp folder), never into DuckDB's default <cwd>/.tmp; without it, not at all."""
    con = duckdb.connect(":memory:", config={"temp_directory": "" if spill is None else str(spill)})
    try:
        con.execute(schema.create_sql(table))
        if frame is not None:
            present = list(frame.columns) if isinstance(frame, pd.DataFrame) else frame.column_names
            # a nullable column the frame lacks (one added to the schema later, e.g. incidents.group_id) is NULL
            missing = [
                c.name for c in schema.columns(table, provenance=False) if not c.nullable and c.name not in present
            ]
            # rows carried over from an earlier version keep their own provenance
            cols = [c.name for c in schema.columns(table) if c.name in present]
            if missing:
                raise StoreError(f"table {table}: missing column(s) {', '.join(missing)}")
            con.register("_incoming", frame)
            select = ", ".join(f'"{c}"' for c in cols)
            try:
                con.execute(f'INSERT INTO "{table}" ({select}) SELECT {_cleaned(con, table, cols)} FROM _incoming')
            except duckdb.Error as exc:
                raise StoreError(f"table {table}: {exc}") from exc
            con.execute(
                f'UPDATE "{table}" SET source_sha256 = coalesce(source_sha256, $sha), '
                "loaded_version = coalesce(loaded_version, $version)",
                {"sha": sha256, "version": version_id},
            )
        order = schema.CLUSTER_BY[table]
        return con.sql(f'SELECT * FROM "{table}" ORDER BY "{order}"').to_arrow_table()
    finally:
        con.close()


def write_parts(
    table: str,
    parts: Sequence[Part],
    out: Path,
    *,
    previous: Path | None,
    sha256: str | None,
    version_id: int,
    spill: Path,
) -> int:
    """Write the table as the union of its parts into the Parquet file `out`, DuckDB reading each part where it
    lives (the previous version's file for Kept, the importer's database for Staged), in bounded memory; returns
    the row count. Frames are cast and checked as typed_table does; staged and kept rows were checked already.

    Rows are sorted by the table's CLUSTER_BY column, so a page's period filter skips the row groups outside it:
    at ten million incidents the sort costs the import about 4 s and saves every page's queries about two thirds
    of their time (benchmarks/bench_scale.py). When every part is already in that order (kept rows, frames, rows
    an importer found in order: Staged.clustered), the parts are written about as they come (two threads may mix
    neighbouring chunks), without the sort: each row group still holds a narrow range, but for a few where two
    parts meet (tested in tests/test_import_set_based.py)."""
    spill.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(
        ":memory:",
        config={"temp_directory": str(spill), "memory_limit": WRITE_MEMORY, "preserve_insertion_order": False},
    )
    union = spill / f"union-{uuid.uuid4().hex}.parquet"  # the parts written together, when they need a sort
    try:
        columns = schema.columns(table)
        selects = []
        for i, part in enumerate(parts):
            name = f"_part{i}"
            if isinstance(part, Kept):
                if previous is None:
                    continue
                for key, value in part.variables.items():
                    con.execute(f'SET VARIABLE "{key}" = $value', {"value": value})
                con.execute(
                    f"CREATE VIEW {name} AS SELECT * FROM read_parquet({_sql_string(previous)}) WHERE {part.where}"
                )
                if not con.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0]:
                    continue  # nothing kept (a release replacing every row, the demo dropped): one part fewer
            elif isinstance(part, Staged):
                if not part.database.is_file():
                    raise StoreError(
                        f"table {table}: the checked rows of this import are gone (a read nobody confirmed is removed "
                        "after a day): read the file again"
                    )
                con.execute(f"ATTACH {_sql_string(part.database)} AS {name}_db (READ_ONLY)")
                con.execute(f'CREATE VIEW {name} AS SELECT * FROM {name}_db."{part.table}"')
            else:
                con.register(name, typed_table(table, part, sha256=sha256, version_id=version_id, spill=spill))
            present = {r[0] for r in con.execute(f"SELECT column_name FROM (DESCRIBE {name})").fetchall()}
            cols = []
            for c in columns:
                if c.name not in present:
                    value = "NULL"
                else:
                    value = f'"{c.name}"'
                if isinstance(part, Staged) and not c.nullable:  # NOT NULL, as typed_table's table enforces it
                    value = (
                        f"""CASE WHEN "{c.name}" IS NULL THEN error('{c.name} is required but NULL') ELSE {value} END"""
                    )
                cols.append(f'CAST({value} AS {c.type}) AS "{c.name}"')
            selects.append(f"SELECT {', '.join(cols)} FROM {name}")
        con.execute("SET VARIABLE _sha256 = $sha", {"sha": sha256})
        con.execute("SET VARIABLE _version = $version", {"version": version_id})
        if selects:
            body = " UNION ALL ".join(selects)
        else:  # nothing kept, nothing new: an empty table with its columns
            con.execute(schema.create_sql(table))
            body = f'SELECT * FROM "{table}"'
        # Kept rows come from a version written in order, frames are sorted by typed_table: only staged rows
        # that came out of order need the sort (at ten million rows 7.4 s against 3.6 s without it)
        unordered = any(isinstance(p, Staged) and not p.clustered for p in parts)
        order = f' ORDER BY "{schema.CLUSTER_BY[table]}"' if unordered else ""
        # A new row's provenance is filled in after the sort: a 64-character hash on each of ten million rows made
        # the sort carry 640 MB more (8.5 s against 7.1 s). Rows that have their own keep it.
        provenance = (
            "SELECT * REPLACE (CAST(coalesce(source_sha256, getvariable('_sha256')) AS VARCHAR) AS source_sha256, "
            "CAST(coalesce(loaded_version, getvariable('_version')) AS INTEGER) AS loaded_version) FROM ({})"
        )
        try:
            if order and len(selects) > 1:
                # DuckDB 2.0 runs out of memory sorting a UNION ALL of ten million rows within WRITE_MEMORY (1 GB),
                # where it sorts one scan of the same rows in it: the parts are written together first, then sorted
                con.execute(f"COPY ({body}) TO {_sql_string(union)} (FORMAT parquet, COMPRESSION lz4)")
                body = f"SELECT * FROM read_parquet({_sql_string(union)})"
            written = provenance.format(body + order)
            con.execute(
                f"COPY ({written}) TO {_sql_string(out)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)"
            )
        except duckdb.IOException as exc:  # disk full, read-only: an OSError, said in words by the commit
            raise os_error(exc) from exc
        except duckdb.Error as exc:
            raise StoreError(f"table {table}: {exc}") from exc
        return int(pq.ParquetFile(out).metadata.num_rows)
    finally:
        con.close()
        union.unlink(missing_ok=True)
