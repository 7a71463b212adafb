"""Imports started at the same moment, as real processes (`python -m dashboard ingest`): each builds on
the version current when it commits, so none is lost; the same file twice gives one version."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard import queries, schema
from dashboard.store import Store

REPO = Path(__file__).resolve().parent.parent
WRITERS = 4


def crossings_csv(folder: Path, n: int) -> Path:
    """A canonical crossings_daily file from its own source: 40 days of 10 people a day."""
    lines = ["date,route,people,boats,source,status"]
    lines += [f"2025-0{1 + n % 9}-{day:02d},English Channel,10,1,Publisher {n},final" for day in range(1, 29)]
    path = folder / f"crossings-{n}.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def start(store: Store, path: Path, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "TIDELINE_DATA_DIR": str(store.data_dir)}
    return subprocess.Popen(
        [sys.executable, "-m", "dashboard", "ingest", str(path), "--source", "canonical", *extra],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def people_by_source(store: Store) -> dict[str, int]:
    con = store.connect()
    try:
        return dict(con.execute("SELECT source, sum(people)::INTEGER FROM crossings_daily GROUP BY 1").fetchall())
    finally:
        con.close()


@pytest.mark.parametrize("trial", range(3))
def test_imports_started_together_all_land(tmp_path, trial):
    store = Store(tmp_path / "store")
    store.ensure_initialised()  # the demo: every import also drops the demo rows
    files = [crossings_csv(tmp_path, n) for n in range(WRITERS)]
    procs = [start(store, f) for f in files]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, (out, err)
    reported = sorted(int(out.split("New data version: ")[1].split()[0]) for out, _ in outs)
    assert reported == list(range(2, 2 + WRITERS))  # one version each, none reused
    assert store.current_id() == 1 + WRITERS
    assert people_by_source(store) == {f"Publisher {n}": 280 for n in range(WRITERS)}  # every import kept
    con = store.connect()
    try:
        assert not queries.is_synthetic(con)  # the demo rows went, whichever import came first
        assert con.execute(f"SELECT count(*) FROM incidents WHERE source = '{schema.DEMO_SOURCE}'").fetchone() == (0,)
    finally:
        con.close()


def test_the_same_file_twice_at_once_gives_one_version(tmp_path):
    store = Store(tmp_path / "store")
    store.ensure_initialised()
    path = crossings_csv(tmp_path, 0)
    procs = [start(store, path), start(store, path)]
    outs = [p.communicate(timeout=300) for p in procs]
    landed = [out for out, _ in outs if "New data version:" in out]
    assert len(landed) == 1, outs
    other = next((p, o) for p, o in zip(procs, outs, strict=True) if "New data version:" not in o[0])
    # Either it planned after the first landed ("No change", exit 0) or it was refused under the lock (exit 2).
    assert ("No change" in other[1][0] and other[0].returncode == 0) or (
        other[0].returncode == 2 and "was already imported (data version 2, same sha256)" in other[1][1]
    ), outs
    assert store.current_id() == 2 and people_by_source(store) == {"Publisher 0": 280}


def test_plans_read_before_another_import_lands_still_keep_it(tmp_path):
    """The upload page's order: two analysts each read a file (plan), then both press Import. The second
    commit builds on the first's version, not on the version both plans were read against."""
    from dashboard import ingest

    store = Store(tmp_path / "store")
    store.ensure_initialised()
    plans = [ingest.plan(store, crossings_csv(tmp_path, n), source="canonical") for n in range(2)]
    first, second = (ingest.apply(store, p) for p in plans)
    assert (first.id, second.id) == (2, 3)
    assert people_by_source(store) == {"Publisher 0": 280, "Publisher 1": 280}
    assert "synthetic demo rows removed" in (first.note or "") and "demo" not in (second.note or "")
