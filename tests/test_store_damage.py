"""A damaged, read-only or full store: every command and page says plainly what is wrong and what to
do (never a traceback), paths stay inside the store, `python -m dashboard check` verifies it all."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import registry
from dashboard.filters import FilterState
from dashboard.saved_views import ViewError, ViewStore
from dashboard.store import Store, StoreError

REPO = Path(__file__).resolve().parent.parent
APP = str(REPO / "streamlit_app.py")
HELP = "python -m dashboard check"


def cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TIDELINE_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "dashboard", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=180
    )


@pytest.fixture
def demo_store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "store")
    store.ensure_initialised()
    return store


def manifest(store: Store) -> dict:
    return json.loads(store.manifest_path.read_text())


def set_manifest(store: Store, doc: object) -> None:
    store.manifest_path.write_text(json.dumps(doc))


def edit_manifest(change: Callable[[dict], None]) -> Callable[[Store], None]:
    def damage(store: Store) -> None:
        doc = manifest(store)
        change(doc)
        set_manifest(store, doc)

    return damage


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


DAMAGE: dict[str, tuple[Callable[[Store], None], str]] = {
    "manifest cut short": (lambda s: truncate(s.manifest_path), "is not valid JSON"),
    "manifest empty": (lambda s: s.manifest_path.write_text(""), "manifest.json is empty"),
    "manifest not an object": (lambda s: set_manifest(s, []), "expected an object, found list"),
    "manifest versions not a list": (edit_manifest(lambda d: d.update(versions={})), "'versions' is not a list"),
    "version without tables": (edit_manifest(lambda d: d["versions"][0].pop("tables")), "has no table list"),
    "version without id": (edit_manifest(lambda d: d["versions"][0].pop("id")), "has no whole-number id"),
    "current points at a missing version": (
        edit_manifest(lambda d: d.update(current=7)),
        "the current version 7 is not among the versions (known: 1)",
    ),
    "file path outside the store": (
        edit_manifest(lambda d: d["versions"][0]["tables"]["incidents"].update(file="../../../etc/passwd")),
        "points outside the store's versions folder",
    ),
    "parquet deleted": (
        lambda s: (s.data_dir / "versions/1/incidents.parquet").unlink(),
        "versions/1/incidents.parquet is missing",
    ),
    "parquet cut short": (
        lambda s: truncate(s.data_dir / "versions/1/incidents.parquet"),
        "versions/1/incidents.parquet cannot be read",
    ),
}


@pytest.mark.parametrize("case", list(DAMAGE))
def test_commands_name_the_damage_and_what_to_do(demo_store, case):
    damage, message = DAMAGE[case]
    damage(demo_store)
    for args in (["versions"], ["sql", "SELECT count(*) FROM incidents"], ["brief", "--out", "/dev/null"]):
        r = cli(demo_store.data_dir, *args)
        if case in {"parquet deleted", "parquet cut short", "file path outside the store"} and args == ["versions"]:
            assert r.returncode == 0  # the manifest itself is sound: the versions can be listed
            continue
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert "Traceback" not in r.stderr and message in r.stderr and HELP in r.stderr, (args, r.stderr)
    r = cli(demo_store.data_dir, "check")
    assert r.returncode == 2 and "DAMAGED" in r.stdout and "Traceback" not in r.stderr, (r.stdout, r.stderr)


@pytest.mark.parametrize("case", ["manifest cut short", "current points at a missing version", "parquet deleted"])
def test_the_app_says_the_store_is_damaged_instead_of_a_traceback(demo_store, monkeypatch, case):
    DAMAGE[case][0](demo_store)
    monkeypatch.setenv("TIDELINE_DATA_DIR", str(demo_store.data_dir))
    for page in [registry.DEFAULT.script, registry.page("briefing").script]:
        at = AppTest.from_file(APP, default_timeout=60)
        at.run()
        if page != registry.DEFAULT.script:
            at.switch_page(page).run()
        assert not at.exception, [e.stack_trace for e in at.exception]
        errors = " ".join(e.value for e in at.error).replace("\\", "")  # as shown: markdown escapes removed
        assert "The data store cannot be read" in errors and DAMAGE[case][1] in errors, errors
        assert sum("OFFICIAL" in m.value for m in at.markdown) == 2  # the marking still frames the page


def test_a_path_outside_the_store_is_never_opened(demo_store, tmp_path):
    secret = tmp_path / "secret.parquet"
    shutil.copy(demo_store.data_dir / "versions/1/incidents.parquet", secret)  # a real Parquet file, elsewhere
    edit_manifest(lambda d: d["versions"][0]["tables"]["incidents"].update(file=str(secret)))(demo_store)
    with pytest.raises(StoreError, match="points outside the store's versions folder"):
        demo_store.connect()
    edit_manifest(lambda d: d["versions"][0]["tables"]["incidents"].update(file="versions/../../secret.parquet"))(
        demo_store
    )
    with pytest.raises(StoreError, match="points outside"):
        demo_store.connect()


def test_check_reports_every_version_and_exits_0_when_sound(demo_store, tmp_path):
    csv = tmp_path / "crossings.csv"
    csv.write_text("date,route,people,boats,source,status\n2025-01-01,English Channel,10,1,P,final\n")
    assert cli(demo_store.data_dir, "ingest", str(csv)).returncode == 0
    r = cli(demo_store.data_dir, "check")
    assert r.returncode == 0, r.stdout
    assert "data version 1: sound" in r.stdout and "data version 2 (current): sound" in r.stdout
    assert "The store is sound." in r.stdout
    # A file changed after it was written: its checksum no longer matches what the commit recorded.
    path = demo_store.data_dir / "versions/2/crossings_daily.parquet"
    shutil.copy(demo_store.data_dir / "versions/1/crossings_daily.parquet", path)
    r = cli(demo_store.data_dir, "check")
    assert r.returncode == 2
    assert "data version 2 (current): DAMAGED" in r.stdout and "checksum differs" in r.stdout
    assert "data version 1: sound" in r.stdout and "1 of 2 data versions damaged (2)" in r.stdout


def test_a_version_written_before_checksums_is_sound_with_a_note(demo_store):
    edit_manifest(lambda d: [info.pop("sha256") for info in d["versions"][0]["tables"].values()])(demo_store)
    r = cli(demo_store.data_dir, "check")
    assert r.returncode == 0 and "no checksum recorded" in r.stdout


def test_stale_staging_folders_are_reported_then_removed_by_the_next_import(demo_store, tmp_path):
    stale = demo_store.data_dir / "versions" / ".staging-0123abcd"
    stale.mkdir()
    (stale / "incidents.parquet").write_bytes(b"half written")
    assert ".staging-0123abcd" in cli(demo_store.data_dir, "check").stdout
    csv = tmp_path / "crossings.csv"
    csv.write_text("date,route,people,boats,source,status\n2025-01-01,English Channel,10,1,P,final\n")
    assert cli(demo_store.data_dir, "ingest", str(csv)).returncode == 0
    assert not list((demo_store.data_dir / "versions").glob(".staging-*"))


# -- read-only and full disks: real mounts (root) ------------------------------------------------
def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True, text=True, timeout=30)


def _mounts_allowed(tmp_path: Path) -> str | None:
    """None when this process may mount (root in a container that allows it), else why not."""
    probe = tmp_path / "probe"
    probe.mkdir()
    try:
        _mount("-t", "tmpfs", "-o", "size=64k", "tmpfs", str(probe))
    except (OSError, subprocess.CalledProcessError) as exc:
        return f"cannot mount here ({getattr(exc, 'stderr', '') or exc})"
    subprocess.run(["umount", str(probe)], check=False, timeout=30)
    return None


@pytest.fixture
def mounts(tmp_path: Path) -> Iterator[Callable[..., None]]:
    """mount(args…): mounts that are undone after the test; skips (fails in CI) where mounting is refused."""
    why = _mounts_allowed(tmp_path)
    if why:
        if os.environ.get("CI", "").lower() in {"1", "true"}:
            pytest.fail(f"read-only and full-disk store tests are mandatory in CI: {why}")
        pytest.skip(why)
    mounted: list[str] = []

    def mount(*args: str) -> None:
        _mount(*args)
        mounted.append(args[-1])

    yield mount
    for target in reversed(mounted):
        subprocess.run(["umount", "-l", target], check=False, timeout=30)


def test_a_read_only_store_can_be_read_and_refuses_writes_clearly(demo_store, tmp_path, mounts, monkeypatch):
    ro = tmp_path / "ro"
    ro.mkdir()
    mounts("--bind", str(demo_store.data_dir), str(ro))
    mounts("-o", "remount,bind,ro", str(ro))
    r = cli(ro, "versions")
    assert r.returncode == 0 and r.stdout.count("\n") == 2, r.stderr
    # A query must be recorded: with the trail on the read-only store, nothing runs, and the refusal says where
    # a trail can go instead.
    r = cli(ro, "sql", "SELECT count(*) AS n FROM incidents")
    assert r.returncode == 2 and r.stdout == "" and "TIDELINE_AUDIT_DIR" in r.stderr, r.stderr
    trail = tmp_path / "trail"
    monkeypatch.setenv("TIDELINE_AUDIT_DIR", str(trail))
    r = cli(ro, "sql", "SELECT count(*) AS n FROM incidents")
    assert r.returncode == 0 and int(r.stdout.split()[1]) > 1000, r.stderr
    assert (trail / "audit.jsonl").exists()
    assert cli(ro, "check").returncode == 0
    csv = tmp_path / "crossings.csv"
    csv.write_text("date,route,people,boats,source,status\n2025-01-01,English Channel,10,1,P,final\n")
    r = cli(ro, "ingest", str(csv))
    assert r.returncode == 2 and "is read-only" in r.stderr and "Traceback" not in r.stderr, r.stderr
    views = ViewStore(ro)
    assert views.list() == []
    with pytest.raises(ViewError, match="saved views cannot be changed: .* cannot be written"):
        views.add("Title", "", "map", FilterState(period=(date(2025, 1, 1), date(2025, 1, 31)), version=1))
    monkeypatch.setenv("TIDELINE_DATA_DIR", str(ro))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception and not at.error and [t.value for t in at.title] == ["Overview"]


def test_a_full_disk_leaves_the_previous_version_current_and_nothing_half_written(tmp_path, mounts):
    disk = tmp_path / "disk"
    disk.mkdir()
    mounts("-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk))
    store = Store(disk / "store")
    store.ensure_initialised()
    free = shutil.disk_usage(disk).free
    (disk / "filler").write_bytes(b"\0" * max(free - 24 * 1024, 0))  # room for a few tables, not all nine
    csv = tmp_path / "crossings.csv"
    csv.write_text("date,route,people,boats,source,status\n2025-01-01,English Channel,10,1,P,final\n")
    r = cli(store.data_dir, "ingest", str(csv))
    assert r.returncode == 2 and "is full" in r.stderr and "nothing was changed" in r.stderr, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    assert store.current_id() == 1 and sorted(p.name for p in (store.data_dir / "versions").iterdir()) == ["1"]
    (disk / "filler").unlink()
    assert cli(store.data_dir, "ingest", str(csv)).returncode == 0 and store.current_id() == 2  # space again: fine
    with contextlib.suppress(FileNotFoundError):
        assert cli(store.data_dir, "check").returncode == 0
