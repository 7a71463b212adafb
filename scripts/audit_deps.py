"""Audit every installed distribution (the pins and what they pulled in) against PyPI's advisory data.

    .venv/bin/python scripts/audit_deps.py [--index https://pypi.org/pypi] [--strict] [--accept NAME==VERSION ...]

Why not pip-audit: it asks PyPI for each exact version (/pypi/<name>/<version>/json), which the
registry mirror on our build machines does not serve ("Dependency not found on PyPI" for every
pin), so it cannot audit anything here. The project document (/pypi/<name>/json) is served, and
its ``vulnerabilities`` are PyPI's advisories (OSV: PYSEC, GHSA) for the project's newest release.
So a distribution is

  clean        installed == newest release and PyPI lists no advisory for it;
  VULNERABLE   installed == newest release and PyPI lists advisories (printed);
  not covered  installed != newest release: this data says nothing about the installed version.

With --strict, "not covered" fails too, except for the exact NAME==VERSION pins given with
--accept (reviewed by hand: e.g. the newest release that supports our Python), so an outdated pin
cannot pass unnoticed. Exit 1 if anything is vulnerable, unreachable or (with --strict) not covered
and not accepted; exit 2 if the index cannot be reached at all; 0 otherwise. Needs the package
index, so it runs in CI (make audit, from .ci/run), not in the offline test suite.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import re
import sys
import urllib.error
import urllib.request
from importlib import metadata

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version


def installed() -> dict[str, str]:
    """{canonical name: version} of every distribution in this interpreter's environment."""
    found = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            found[canonicalize_name(name)] = dist.version
    return dict(sorted(found.items()))


def project(index: str, name: str, timeout: float) -> dict:
    with urllib.request.urlopen(f"{index.rstrip('/')}/{name}/json", timeout=timeout) as response:
        return json.load(response)


def same_version(a: str, b: str) -> bool:
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


def audit(name: str, version: str, index: str, timeout: float) -> tuple[str, str]:
    """(status, detail) for one distribution."""
    try:
        doc = project(index, name, timeout)
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        return "unreachable", f"{type(exc).__name__}: {exc}"
    newest = doc.get("info", {}).get("version", "")
    if not same_version(version, newest):
        return "not covered", f"newest release is {newest}; PyPI's advisory data here is for that release only"
    vulns = doc.get("vulnerabilities")
    if vulns is None:
        return "not covered", "the index gave no advisory data"
    if not vulns:
        return "clean", ""
    ids = [
        f"{' / '.join([v.get('id', '?'), *v.get('aliases', [])])} (fixed in {', '.join(v.get('fixed_in') or ['-'])})"
        for v in vulns
    ]
    return "VULNERABLE", "; ".join(ids)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", default="https://pypi.org/pypi", help="PyPI JSON API base (default: %(default)s)")
    parser.add_argument("--strict", action="store_true", help="fail when a distribution is not covered")
    parser.add_argument(
        "--accept",
        action="append",
        default=[],
        metavar="NAME==VERSION",
        help="with --strict: a reviewed pin that may stay not covered (repeatable)",
    )
    parser.add_argument("--timeout", type=float, default=30.0)
    args = parser.parse_args(argv)

    bad = [a for a in args.accept if not re.fullmatch(r"[A-Za-z0-9._-]+==[A-Za-z0-9.!+_-]+", a)]
    if bad:
        parser.error(f"--accept takes NAME==VERSION (an exact pin), got {', '.join(map(repr, bad))}")
    dists = installed()
    accepted = {canonicalize_name(a.partition("==")[0]): a.partition("==")[2] for a in args.accept}
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        results = dict(zip(dists, pool.map(lambda n: audit(n, dists[n], args.index, args.timeout), dists), strict=True))
    for name, (status, detail) in results.items():
        if status == "not covered" and name in accepted and same_version(accepted[name], dists[name]):
            results[name] = ("accepted", detail + " (accepted: --accept)")

    width = max(map(len, dists)) + 2
    for name, (status, detail) in results.items():
        print(f"{name:<{width}}{dists[name]:<20}{status:<13}{detail}")
    counts = {
        s: sum(1 for st, _ in results.values() if st == s)
        for s in ("clean", "VULNERABLE", "not covered", "accepted", "unreachable")
    }
    print("\n" + " · ".join(f"{n} {s}" for s, n in counts.items()) + f" · {len(dists)} distributions")
    if counts["unreachable"] == len(dists):
        print(f"cannot audit: {args.index} could not be reached", file=sys.stderr)
        return 2
    failed = counts["VULNERABLE"] + counts["unreachable"] + (counts["not covered"] if args.strict else 0)
    print(
        "audit "
        + ("FAILED" if failed else "passed")
        + (" (not covered ones listed above)" if counts["not covered"] and not failed else "")
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
