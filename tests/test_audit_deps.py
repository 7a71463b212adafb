"""scripts/audit_deps.py against a fake index on disk (file:// URLs): each status and the exit codes."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "audit_deps.py"
spec = importlib.util.spec_from_file_location("audit_deps", SCRIPT)
audit_deps = importlib.util.module_from_spec(spec)
spec.loader.exec_module(audit_deps)

PYCRYPTO_VULNS = [{"id": "PYSEC-2018-97", "aliases": ["CVE-2018-6594"], "fixed_in": []}]


@pytest.fixture
def index(tmp_path: Path) -> str:
    docs = {
        "safe": {"info": {"version": "1.0"}, "vulnerabilities": []},
        "pycrypto": {"info": {"version": "2.6.1"}, "vulnerabilities": PYCRYPTO_VULNS},
        "moved-on": {"info": {"version": "3.0"}, "vulnerabilities": []},
        "no-data": {"info": {"version": "1.0"}},
    }
    for name, doc in docs.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "json").write_text(json.dumps(doc))
    return tmp_path.as_uri()


@pytest.mark.parametrize(
    ("name", "version", "status", "detail"),
    [
        ("safe", "1.0", "clean", ""),
        ("safe", "1.0.0", "clean", ""),  # the same version, spelt differently
        ("pycrypto", "2.6.1", "VULNERABLE", "PYSEC-2018-97 / CVE-2018-6594 (fixed in -)"),
        ("moved-on", "2.9", "not covered", "newest release is 3.0"),
        ("no-data", "1.0", "not covered", "no advisory data"),
        ("missing", "1.0", "unreachable", "No such file"),
    ],
)
def test_each_status(index, name, version, status, detail):
    got_status, got_detail = audit_deps.audit(name, version, index, timeout=5)
    assert got_status == status and detail in got_detail


def test_exit_codes(index, monkeypatch, capsys):
    monkeypatch.setattr(audit_deps, "installed", lambda: {"safe": "1.0", "moved-on": "2.9"})
    assert audit_deps.main(["--index", index]) == 0
    assert "1 clean · 0 VULNERABLE · 1 not covered · 0 accepted · 0 unreachable · 2 distributions" in (
        capsys.readouterr().out
    )
    assert audit_deps.main(["--index", index, "--strict"]) == 1
    assert audit_deps.main(["--index", index, "--strict", "--accept", "Moved_On==2.9"]) == 0  # reviewed pin
    assert "1 accepted" in capsys.readouterr().out
    assert audit_deps.main(["--index", index, "--strict", "--accept", "moved-on==2.8"]) == 1  # another version
    monkeypatch.setattr(audit_deps, "installed", lambda: {"safe": "1.0", "pycrypto": "2.6.1"})
    assert audit_deps.main(["--index", index]) == 1
    assert "audit FAILED" in capsys.readouterr().out
    monkeypatch.setattr(audit_deps, "installed", lambda: {"safe": "1.0"})
    assert audit_deps.main(["--index", index + "/nowhere"]) == 2


def test_lists_this_environment():
    found = audit_deps.installed()
    assert found["streamlit"] and found["duckdb"] and found["pytest"]


def test_accept_must_be_an_exact_pin(index, capsys):
    with pytest.raises(SystemExit) as exit_info:
        audit_deps.main(["--index", index, "--strict", "--accept", "numpy>=2"])
    assert exit_info.value.code == 2
    assert "--accept takes NAME==VERSION (an exact pin), got 'numpy>=2'" in capsys.readouterr().err
