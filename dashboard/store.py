"""The data store: immutable Parquet files per data version, a manifest swapped in atomically,
and read-only in-memory DuckDB connections pinned to one version.

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

import functools
import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
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
from .files import exclusive_lock, fsync_dir, sha256_files, write_json_atomic

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent
DEMO_DIR = REPO_ROOT / "data" / "demo"
DEFAULT_DATA_DIR = REPO_ROOT / "var"
MANIFEST = "manifest.json"
FORMAT = 1

Frame: TypeAlias = pd.DataFrame | pa.Table


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


def read_demo_csvs(demo_dir: Path = DEMO_DIR) -> dict[str, pd.DataFrame]:
    """The committed demo CSVs as text frames (empty field = NULL); the store casts them."""
    frames = {}
    for table in schema.DATA_TABLES:
        path = demo_dir / f"{table}.csv"
        if not path.exists():
            raise StoreError(f"demo data file missing: {path} (run `python -m dashboard demo`)")
        frames[table] = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    return frames


def harden(con: duckdb.DuckDBPyConnection, memory_limit: str = "2GB") -> None:
    """No file or network access, no extension loading, bounded memory; then freeze settings."""
    con.execute("SET autoinstall_known_extensions = false")
    con.execute("SET autoload_known_extensions = false")
    con.execute("SET enable_external_access = false")
    con.execute(f"SET memory_limit = '{memory_limit}'")  # a constant, not user input
    con.execute("SET lock_configuration = true")


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
            text = self.manifest_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {"format": FORMAT, "current": None, "versions": []}
        manifest: dict[str, Any] = json.loads(text)
        if manifest.get("format") != FORMAT:
            raise StoreError(f"{self.manifest_path}: unsupported manifest format {manifest.get('format')!r}")
        return manifest

    def _write_manifest(self, manifest: dict[str, Any]) -> None:
        write_json_atomic(self.manifest_path, manifest, indent=1, sort_keys=True)

    def _lock(self) -> AbstractContextManager[None]:
        return exclusive_lock(self.data_dir / ".lock")

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

    # -- loading ------------------------------------------------------------------------
    def ensure_initialised(self) -> Version:
        """The current version; on first use of an empty store, load the demo data as version 1."""
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
        frames: Mapping[str, Frame],
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

    def _commit_locked(
        self,
        frames: Mapping[str, Frame],
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
        versions_dir.mkdir(parents=True, exist_ok=True)
        staging = versions_dir / f".staging-{uuid.uuid4().hex}"
        staging.mkdir()
        try:
            tables = dict(prev["tables"]) if prev else {}
            for table in schema.DATA_TABLES:
                if table in frames:
                    arrow = typed_table(table, frames[table], sha256=sha256, version_id=new_id)
                elif table not in tables:
                    arrow = typed_table(table, None, sha256=sha256, version_id=new_id)
                else:
                    continue
                pq.write_table(arrow, staging / f"{table}.parquet", compression="zstd")
                tables[table] = {"file": f"versions/{new_id}/{table}.parquet", "rows": arrow.num_rows}
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
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)

    # -- reading ------------------------------------------------------------------------
    def connect(self, version_id: int | None = None, memory_limit: str = "2GB") -> duckdb.DuckDBPyConnection:
        """An in-memory, hardened DuckDB connection holding the tables of one version."""
        version = self.version(version_id)
        manifest = self._read_manifest()
        con = duckdb.connect(":memory:")
        con.execute("SET threads = 2")
        for table in schema.DATA_TABLES:
            con.execute(schema.create_sql(table))
            info = version.tables.get(table)
            if info:
                arrow = pq.read_table(self.data_dir / str(info["file"]))
                con.register("_incoming", arrow)
                con.execute(f'INSERT INTO "{table}" BY NAME SELECT * FROM _incoming')
                con.unregister("_incoming")
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
        harden(con, memory_limit)
        return con


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


def typed_table(table: str, frame: Frame | None, *, sha256: str | None, version_id: int | None) -> pa.Table:
    """Cast a frame to the canonical table's types and constraints (StoreError on mismatch)."""
    con = duckdb.connect(":memory:")
    try:
        con.execute(schema.create_sql(table))
        if frame is not None:
            required = [c.name for c in schema.columns(table, provenance=False)]
            present = list(frame.columns) if isinstance(frame, pd.DataFrame) else frame.column_names
            missing = [c for c in required if c not in present]
            # rows carried over from an earlier version keep their own provenance
            cols = required + [c.name for c in schema.PROVENANCE if c.name in present]
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
