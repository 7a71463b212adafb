"""Benchmark: N concurrent analyst sessions on one app server, changing the sidebar filters.

    .venv/bin/python benchmarks/bench_load.py [--sessions 50] [--duration 180] [--think 10] [--ramp 10]
        [--url http://127.0.0.1:8501 [--pid PID]] [--json FILE] [--seed N]

The default is the target scenario: 50 analysts each changing a filter about every 10 s (5-15 s) for
three minutes. --think 1 is a stress test: it asks for more reruns than one server process can run.

Each session is a websocket client speaking Streamlit's protocol (no browser). It opens a random page from
a shared link (the first rerun_script carries a query string), then until --duration (ramp included) ends:
thinks (--think s ±50 %), then changes one sidebar filter as the browser does (a rerun_script carrying the
widget_states of the sidebar filters, ids and values read from the elements the server sent) or, one time
in seven, moves to another page. A rerun is timed from sending the BackMsg to the script_finished
ForwardMsg. Periods are random whole months in 2019-01..2026-10, regions, routes and types random subsets:
most reruns miss the query cache, a worst case for the server.

Prints rerun time p50/p95/p99/max per page, per kind and overall; errors by kind (exception elements,
non-success script_finished, page_not_found, dropped connections, reruns over 30 s, runs without the page
content or on the wrong page); whether filter changes changed the filter caption (the first change of each
session sets a new period and must); RSS of the server process tree sampled every 0.5 s (idle baseline
after one warm-up run, peak, end); CPU seconds of the server tree and of this client; PASS/FAIL against
p95 <= 1.5 s and no errors. Exits 0 either way, non-zero only if the benchmark itself cannot run.

Without --url it starts a server on demo data in a temp dir (tests/browser/harness.py, log in
artifacts/logs/) and stops it at the end; with --url, memory and CPU need --pid. XSRF protection stays on:
each session gets a _streamlit_xsrf cookie from /_stcore/health and offers its token as the second
websocket subprotocol, with the cookie and a same-origin Origin, as the frontend does.

Caveats: the client shares the machine (2 cores here) with the server: compare its CPU with the server's.
Only the sidebar filters' widget states are sent (page-local widgets keep their values on the server).
Like the browser, the client caches large elements and sends their hashes, so the server answers with
references. Nothing is painted and no media are fetched: this times script runs, not the page in a browser.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import sys
import tempfile
import time
import urllib.request
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402
from websockets.asyncio.client import connect  # noqa: E402
from websockets.exceptions import ConnectionClosed  # noqa: E402

from dashboard import registry  # noqa: E402

PAGES = [p.url_path for p in registry.PAGES if p.shared_filters]  # the briefing page has no filters
REGIONS = ["UK & Channel", "Mediterranean", "Atlantic", "Balkans & Eastern Europe"]
TYPES = ["launch", "arrival", "interception", "rescue", "dead or missing"]
MONTHS = [(y, m) for y in range(2019, 2027) for m in range(1, 13) if (y, m) <= (2026, 10)]
FILTERS = ("version", "period", "region", "route", "type")  # widget keys = URL keys
TIMEOUT, GIVE_UP, TARGET_P95 = 30.0, 120.0, 1.5
EARLY = ForwardMsg.FINISHED_EARLY_FOR_RERUN
OK_STATUSES = (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY)
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def page_label(path: str) -> str:
    return path or "overview"


def widget_key(w) -> str:
    """A sidebar widget's key (= its URL key): the page syncs the URL itself, so the widget is not bound to a
    query parameter; Streamlit ends a keyed widget's id with "-<key>"."""
    return w.query_param_key or str(w.id).rsplit("-", 1)[-1]


def random_period(rng: random.Random) -> list[str]:
    (y1, m1), (y2, m2) = (MONTHS[i] for i in sorted(rng.sample(range(len(MONTHS)), 2)))
    return [date(y1, m1, 1).isoformat(), (date(y2 + m2 // 12, m2 % 12 + 1, 1) - timedelta(days=1)).isoformat()]


def percentile(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    k = (len(xs) - 1) * q
    lo = int(k)
    return xs[lo] + (xs[min(lo + 1, len(xs) - 1)] - xs[lo]) * (k - lo)


def summary(xs: list[float]) -> dict:
    return {"n": len(xs), **{f"p{q}": percentile(xs, q / 100) for q in (50, 95, 99)}, "max": max(xs)}


# -- server process tree: RSS and CPU from /proc (psutil is not installed) ----------------------
def tree_usage(pid: int) -> tuple[float, float]:
    """(RSS MB, CPU s) of pid and all its descendants."""
    children: dict[int, list[int]] = defaultdict(list)
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            children[int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])].append(int(entry))
        except (OSError, IndexError):
            continue
    rss_kb, ticks, todo = 0, 0, [pid]
    while todo:
        p = todo.pop()
        todo.extend(children.get(p, []))
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime + stime
            rss_kb += next(int(ln.split()[1]) for ln in open(f"/proc/{p}/status") if ln.startswith("VmRSS:"))
        except (OSError, IndexError, StopIteration):
            continue
    return rss_kb / 1024, ticks / os.sysconf("SC_CLK_TCK")


# -- one simulated analyst ---------------------------------------------------------------------
@dataclass
class Widget:
    id: str
    value_type: str  # "string_value" or "string_array_value"
    value: str | list[str]
    default: str | list[str]
    options: list[str]


@dataclass
class Run:
    sent: float
    done: asyncio.Future
    started: bool = False  # a new_session came after our rerun_script
    deltas: int = 0
    caption: str = ""  # the filter description under the page title
    metrics: list[str] = field(default_factory=list)
    page_hash: str = ""
    problems: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Stats:
    runs: list[tuple[str, str, float]] = field(default_factory=list)  # (page, kind, seconds)
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    checks: Counter = field(default_factory=Counter)
    unsolicited_runs: int = 0
    refs: int = 0  # elements the server sent as a reference to this client's cache


class Session:
    def __init__(self, n: int, base_url: str, stats: Stats, rng: random.Random, think: float, deadline: float):
        self.n, self.base_url, self.stats, self.rng = n, base_url, stats, rng
        self.think, self.deadline = think, deadline
        self.ws = None
        self.reader: asyncio.Task | None = None
        self.failure: Exception | None = None
        self.widgets: dict[str, Widget] = {}
        self.pages: dict[str, str] = {}  # url path -> page_script_hash, from the navigation message
        self.page, self.query, self.caption, self.metrics = "", "", "", []
        self.cache: dict[str, list] = {}  # hash -> [ForwardMsg, run count when last used]
        self.run_count, self.max_age = 0, 2
        self.current: Run | None = None
        self.idle = asyncio.Event()
        self.idle.set()

    def error(self, kind: str, message: str) -> None:
        self.stats.errors[kind].append(f"session {self.n} on {page_label(self.page)}: {message.strip()[:300]}")

    async def connect(self) -> None:
        loop = asyncio.get_running_loop()
        resp = await loop.run_in_executor(None, lambda: NO_PROXY.open(f"{self.base_url}/_stcore/health", timeout=30))
        cookies = dict(c.split(";")[0].split("=", 1) for c in resp.headers.get_all("Set-Cookie") or [])
        resp.close()
        token = cookies.get("_streamlit_xsrf", "PLACEHOLDER_AUTH_TOKEN")  # what the frontend offers without one
        self.ws = await connect(
            "ws" + self.base_url.removeprefix("http") + "/_stcore/stream", subprotocols=["streamlit", token],
            origin=self.base_url, additional_headers={"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())},
            proxy=None, max_size=None, open_timeout=TIMEOUT)  # fmt: skip
        self.reader = asyncio.create_task(self.read())

    async def read(self) -> None:
        try:
            async for data in self.ws:
                self.on_message(data)
            self.failure = ConnectionError(f"connection closed: {self.ws.close_code} {self.ws.close_reason!r}")
        except Exception as exc:  # a dropped connection, or a bug here: fail the run rather than hang
            self.failure = exc
        if self.current and not self.current.done.done():
            self.current.done.set_exception(self.failure)

    def on_message(self, data: bytes) -> None:
        msg = ForwardMsg.FromString(data)
        if msg.WhichOneof("type") == "ref_hash":  # an element this client holds in its cache
            entry = self.cache.get(msg.ref_hash)
            if entry is None:
                return self.problem("protocol", f"cached message missing for ref_hash {msg.ref_hash}")
            entry[1], msg = self.run_count, entry[0]
            self.stats.refs += 1
        elif msg.metadata.cacheable:
            self.cache[msg.hash] = [msg, self.run_count]
        kind, run = msg.WhichOneof("type"), self.current
        if kind == "new_session":
            self.max_age = msg.new_session.config.max_cached_message_age or 2
            if run:
                run.started = True
            else:
                self.stats.unsolicited_runs += 1
        elif kind == "session_status_changed":
            (self.idle.clear if msg.session_status_changed.script_is_running else self.idle.set)()
        elif kind == "delta" and run:
            self.on_delta(msg.delta, run)
        elif kind == "navigation":
            self.pages = {p.url_pathname: p.page_script_hash for p in msg.navigation.app_pages}
            if run:
                run.page_hash = msg.navigation.page_script_hash
        elif kind == "page_info_changed":
            self.query = msg.page_info_changed.query_string
        elif kind == "page_not_found":
            self.problem("page_not_found", f"page_not_found {msg.page_not_found.page_name!r}")
        elif kind == "session_event" and msg.session_event.HasField("script_compilation_exception"):
            self.problem("compile_error", msg.session_event.script_compilation_exception.message)
        elif kind == "parent_message":
            self.problem("parent_message", msg.parent_message.message)
        elif kind == "script_finished" and msg.script_finished != EARLY:
            self.run_count += 1  # like the browser: forget cached elements unused for max_age runs
            self.cache = {h: e for h, e in self.cache.items() if self.run_count - e[1] <= self.max_age}
            if run and run.started and not run.done.done():
                if msg.script_finished not in OK_STATUSES:
                    run.problems.append(("script_status", ForwardMsg.ScriptFinishedStatus.Name(msg.script_finished)))
                run.done.set_result(time.perf_counter())

    def problem(self, kind: str, message: str) -> None:
        if self.current:
            self.current.problems.append((kind, message))
        else:
            self.error(kind, message)

    def on_delta(self, delta, run: Run) -> None:
        run.deltas += 1
        if delta.WhichOneof("type") != "new_element":
            return
        el = delta.new_element
        kind = el.WhichOneof("type")
        if kind == "exception":
            run.problems.append(("page_exception", f"{el.exception.type}: {el.exception.message}"))
        elif kind == "markdown" and " · compared with " in el.markdown.body:
            run.caption = el.markdown.body
        elif kind == "metric":
            run.metrics.append(f"{el.metric.label}={el.metric.body}")
        elif kind in ("selectbox", "multiselect", "date_input") and widget_key(getattr(el, kind)) in FILTERS:
            self.track_widget(kind, getattr(el, kind))

    def track_widget(self, kind: str, w) -> None:
        """Keep the widget's value as the frontend would: the server's when set_value, else ours or the default."""
        if kind == "selectbox":
            default = w.options[w.default] if 0 <= w.default < len(w.options) else ""
            value_type, server = "string_value", w.raw_value
        elif kind == "multiselect":
            value_type, default, server = "string_array_value", [w.options[i] for i in w.default], list(w.raw_values)
        else:
            value_type, default, server = "string_array_value", list(w.default), list(w.value)
        old = self.widgets.get(widget_key(w))
        value = server if w.set_value else old.value if old and old.id == w.id else default
        self.widgets[widget_key(w)] = Widget(w.id, value_type, value, default, list(getattr(w, "options", [])))

    def url_query(self) -> str:
        """The query string the frontend writes for bound widgets: values that differ from the default."""
        params = {k: w.value for k in FILTERS if (w := self.widgets.get(k)) and w.value != w.default}
        return urlencode(params, doseq=True)

    async def rerun(self, kind: str, page: str, page_hash: str = "") -> Run:
        if self.failure:
            raise self.failure
        try:
            await asyncio.wait_for(self.idle.wait(), GIVE_UP)  # a run the server started itself
        except TimeoutError:
            raise ConnectionError("script still running before a rerun") from None
        msg = BackMsg()
        rs = msg.rerun_script
        rs.query_string, rs.page_script_hash = self.query, page_hash
        rs.page_name = "" if page_hash else page  # the first run names the url path, later ones the hash
        if kind != "open":
            for w in self.widgets.values():
                state = rs.widget_states.widgets.add(id=w.id)
                if w.value_type == "string_value":
                    state.string_value = w.value
                else:
                    state.string_array_value.data.extend(w.value)
        rs.cached_message_hashes.extend(self.cache)
        url = f"{self.base_url}/{page}" + (f"?{self.query}" if self.query else "")
        rs.context_info.MergeFrom(rs.context_info.__class__(timezone="Europe/London", timezone_offset=0,
                                  locale="en-GB", url=url, is_embedded=False, color_scheme="light"))  # fmt: skip
        run = self.current = Run(sent=time.perf_counter(), done=asyncio.get_running_loop().create_future())
        self.page = page
        try:
            await self.ws.send(msg.SerializeToString())
            try:
                finished = await asyncio.wait_for(asyncio.shield(run.done), TIMEOUT)
            except TimeoutError:
                self.error("timeout", f"{kind} rerun not finished after {TIMEOUT:.0f} s")
                try:
                    finished = await asyncio.wait_for(run.done, GIVE_UP)
                except TimeoutError:
                    raise ConnectionError(f"no script_finished {TIMEOUT + GIVE_UP:.0f} s after a rerun") from None
        finally:
            self.current = None
        self.caption, self.metrics = run.caption, run.metrics
        self.stats.runs.append((page_label(page), kind, finished - run.sent))
        if run.deltas < 5 or not run.caption:
            run.problems.append(("no_content", f"{kind} run sent {run.deltas} deltas, filter caption: {run.caption!r}"))
        if self.pages.get(page) not in (None, run.page_hash):
            run.problems.append(("wrong_page", f"{kind} to {page_label(page)!r} ran page hash {run.page_hash}"))
        for problem, message in run.problems:
            self.error(problem, message)
        return run

    def change_filter(self, key: str) -> str:
        w = self.widgets.get(key)
        if w is None:
            raise ConnectionError(f"no {key!r} widget among the elements received")
        options = w.options or (REGIONS if key == "region" else TYPES)
        for _ in range(20):
            if key == "period":
                new = random_period(self.rng)
            else:
                new = self.rng.sample(options, self.rng.randint(0, 1 if key == "route" else 2))
            if new != w.value:
                break
        w.value = new
        self.query = self.url_query()  # the frontend updates the URL, and sends it with the rerun
        return f"{key}={new}"

    async def run(self, delay: float) -> None:
        await asyncio.sleep(delay)
        try:
            await self.connect()
            rng, link = self.rng, {"period": random_period(self.rng)}
            if rng.random() < 0.5:
                link["region"] = rng.sample(REGIONS, rng.randint(1, 2))
            if rng.random() < 0.3:
                link["type"] = rng.sample(TYPES, rng.randint(1, 2))
            self.query = urlencode(link, doseq=True)
            await self.rerun("open", rng.choice(PAGES))
            checked = False
            while True:
                await asyncio.sleep(self.think * rng.uniform(0.5, 1.5))
                if time.monotonic() >= self.deadline:
                    break
                if checked and rng.random() < 1 / 7:
                    target = rng.choice([p for p in PAGES if p != self.page])
                    await self.rerun("navigate", target, self.pages.get(target, "missing"))
                    continue
                key = rng.choice(FILTERS[1:]) if checked else "period"
                what, before = self.change_filter(key), (self.caption, self.metrics)
                run = await self.rerun("filter", self.page)
                if run.caption != before[0]:
                    verdict = "changed"
                elif key == "region" and self.widgets["route"].value:  # the caption names routes, not regions
                    verdict = "unchanged (region under a route filter)"
                else:
                    verdict = "unchanged"
                    self.error("filter_no_effect", f"{what}: caption stayed {run.caption!r}")
                self.stats.checks[f"caption {verdict}"] += 1
                if run.metrics and before[1]:
                    self.stats.checks[f"KPI cards {'changed' if run.metrics != before[1] else 'unchanged'} (info)"] += 1
                if not checked:
                    self.stats.checks[f"first change of a session (period): caption {verdict}"] += 1
                    checked = True
        except (ConnectionError, ConnectionClosed, OSError, TimeoutError) as exc:
            self.error("connection", f"{type(exc).__name__}: {exc}")
        except Exception as exc:  # a client bug: report it with the rest rather than lose the run
            self.error("client", f"{type(exc).__name__}: {exc}")
        finally:
            if self.ws is not None:
                await self.ws.close()


async def warm_up(base_url: str, page: str = "") -> tuple[float, dict[str, list[str]]]:
    """Open a page (url path; the overview by default) once: on a fresh server the first run loads the data.
    Returns the run's seconds and the errors it met. Raises if it cannot connect."""
    stats = Stats()
    s = Session(0, base_url, stats, random.Random(0), 0, 0)
    await s.connect()
    try:
        await s.rerun("open", page)
    finally:
        await s.ws.close()
    return stats.runs[0][2], dict(stats.errors)


def start_server(store: Path):
    """The app server on `store` (tests/browser/harness.start_app), or None with the reason printed."""
    import pytest

    from tests.browser.harness import start_app

    try:
        return start_app(store)
    except (Exception, pytest.fail.Exception) as exc:  # the harness fails through pytest.fail
        print(f"could not start the app server: {exc}", file=sys.stderr)
        return None


async def load(args: argparse.Namespace, base_url: str, pid: int | None) -> dict:
    warm, problems = await warm_up(base_url)
    for kind, messages in problems.items():
        print(f"warm-up {kind}: {messages[0]}")
    await asyncio.sleep(2)
    memory = {"before warm-up": args.pre_warm_mb, "baseline": tree_usage(pid)[0] if pid else None}
    stats, samples, stop = Stats(), [], asyncio.Event()

    async def sample_memory() -> None:
        while not stop.is_set():
            samples.append(tree_usage(pid)[0])
            try:
                await asyncio.wait_for(stop.wait(), 0.5)
            except TimeoutError:
                pass

    sampler = asyncio.create_task(sample_memory()) if pid else None
    t0, cpu0, server_cpu0 = time.monotonic(), time.process_time(), tree_usage(pid)[1] if pid else 0.0
    master = random.Random(args.seed)
    sessions = [Session(i + 1, base_url, stats, random.Random(master.getrandbits(32)), args.think,
                        t0 + args.duration) for i in range(args.sessions)]  # fmt: skip
    await asyncio.gather(*(s.run(i * args.ramp / args.sessions) for i, s in enumerate(sessions)))
    wall, client_cpu = time.monotonic() - t0, time.process_time() - cpu0
    server_cpu = tree_usage(pid)[1] - server_cpu0 if pid else None
    stop.set()
    if sampler:
        await sampler
        await asyncio.sleep(2)  # the sessions are closed: what the server keeps
        memory.update(peak=max(samples), end=tree_usage(pid)[0], samples=len(samples))

    def group(index: int) -> dict:
        by: dict[str, list[float]] = defaultdict(list)
        for run in stats.runs:
            by[run[index]].append(run[2])
        return {k: summary(v) for k, v in by.items()}

    times = [r[2] for r in stats.runs]
    return {
        "settings": {k: v for k, v in vars(args).items() if k != "pre_warm_mb"} | {"url": base_url},
        "method": "widget_states",
        "warm_up_s": warm,
        "reruns": len(times),
        "unsolicited_runs": stats.unsolicited_runs,
        "elements_by_reference": stats.refs,
        "latency_s": {"all": summary(times) if times else None, "pages": group(0), "kinds": group(1)},
        "errors": {k: {"count": len(v), "first": v[:5]} for k, v in sorted(stats.errors.items())},
        "checks": dict(sorted(stats.checks.items())),
        "memory_mb": memory,
        "cpu_s": {"wall": wall, "client": client_cpu, "server": server_cpu},
    }


def report(r: dict) -> None:
    s, lat = r["settings"], r["latency_s"]
    print(
        f"\n== Tideline load benchmark: {s['sessions']} sessions, {s['duration']:.0f} s (ramp {s['ramp']:.0f} s "
        f"included), think {s['think']} s ±50 %, seed {s['seed']}"
    )
    print(
        f"server {s['url']}; method: {r['method']} (sidebar filters changed through rerun_script widget_states,"
        " XSRF cookie + websocket subprotocol token)"
    )
    print(f"warm-up: overview opened once in {r['warm_up_s']:.2f} s (not counted below)")
    kinds = {k: v["n"] for k, v in lat["kinds"].items()}
    print(
        f"reruns: {r['reruns']} {kinds}; runs the server started by itself: {r['unsolicited_runs']}; "
        f"elements sent as references to the client cache: {r['elements_by_reference']}"
    )
    print(f"\n{'rerun seconds':<16}{'n':>6}{'p50':>8}{'p95':>8}{'p99':>8}{'max':>8}")
    rows = [*lat["pages"].items(), ("--", None), *lat["kinds"].items(), ("ALL", lat["all"])]
    for name, st in rows:
        if st is None:
            print("-" * 54)
            continue
        print(f"{name:<16}{st['n']:>6}" + "".join(f"{st[k]:>8.2f}" for k in ("p50", "p95", "p99", "max")))
    total = sum(e["count"] for e in r["errors"].values())
    print(f"\nerrors: {total}")
    for kind, e in r["errors"].items():
        print(f"  {kind}: {e['count']}")
        for message in e["first"][:3]:
            print(f"    - {message}")
    print("filter-change check (filter caption under the title, KPI cards on the overview):")
    for check, count in r["checks"].items():
        print(f"  {check}: {count}")
    m, c = r["memory_mb"], r["cpu_s"]
    if m.get("peak") is not None:
        pre = f"before warm-up {m['before warm-up']:.0f}, " if m.get("before warm-up") else ""
        print(
            f"server RSS (process tree, MB): {pre}baseline {m['baseline']:.0f}, peak {m['peak']:.0f}, "
            f"end {m['end']:.0f} ({m['samples']} samples, 0.5 s apart)"
        )
    else:
        print("server RSS: not measured (--url without --pid)")
    server = f"server {c['server']:.1f} s ({c['server'] / c['wall']:.2f} cores), " if c["server"] is not None else ""
    print(
        f"CPU over {c['wall']:.0f} s of load: {server}this client {c['client']:.1f} s "
        f"({c['client'] / c['wall']:.2f} cores)"
    )
    p95 = lat["all"]["p95"] if lat["all"] else float("inf")
    r["pass"] = p95 <= TARGET_P95 and total == 0
    print(f"{'PASS' if r['pass'] else 'FAIL'}: p95 {p95:.2f} s (target <= {TARGET_P95} s), {total} errors (target 0)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=50)
    ap.add_argument("--duration", type=float, default=180, help="seconds of load, ramp included")
    ap.add_argument("--think", type=float, default=10.0, help="mean think time between reruns (±50 %%)")
    ap.add_argument("--ramp", type=float, default=10, help="start the sessions over this many seconds")
    ap.add_argument("--url", help="an app server already running (default: start one on demo data)")
    ap.add_argument("--pid", type=int, help="with --url: the server's pid, for memory and CPU")
    ap.add_argument("--json", type=Path, help="also write the results to this file")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--data-dir",
        type=Path,
        help="start the server on this store (kept), e.g. one built with python -m dashboard ingest",
    )
    args = ap.parse_args()
    data_dir, server, pid = None, None, args.pid
    try:
        if args.url:
            url = args.url.rstrip("/")
            if urlsplit(url).path:
                ap.error("--url takes the server root, e.g. http://127.0.0.1:8501")
        else:
            store = args.data_dir or Path(tempfile.mkdtemp(prefix="tideline-loadbench-"))
            data_dir = None if args.data_dir else store  # a given store is kept
            started = time.monotonic()
            server = start_server(store)
            if server is None:
                return 2
            url, pid = server.base_url, server.process.pid
            what = f"the store in {store}" if args.data_dir else f"demo data in {store}"
            print(f"started {url} (pid {pid}) on {what} in {time.monotonic() - started:.1f} s, log {server.log_path}")
        args.pre_warm_mb = tree_usage(pid)[0] if pid else None
        try:
            result = asyncio.run(load(args, url, pid))
        except (OSError, ConnectionError, ConnectionClosed, TimeoutError) as exc:
            print(f"benchmark could not run against {url}: {type(exc).__name__}: {exc}", file=sys.stderr)
            return 1
        if server is not None:
            log = server.log_path.read_text(errors="replace")
            if log.count("Traceback"):
                lines = [ln for ln in log.splitlines() if "Error" in ln or "Traceback" in ln]
                result["errors"]["server_log_traceback"] = {"count": log.count("Traceback"), "first": lines[:5]}
        report(result)
        if args.json:
            args.json.write_text(json.dumps(result, indent=2, default=str))
        return 0
    finally:
        if server is not None:
            server.stop()
        if data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
