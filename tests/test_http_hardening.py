"""HTTP hardening of the app server itself, and the nginx configuration renderer (deploy/nginx/render.py).

The proxy in front (headers, Host and Origin allow-lists through nginx) is tested in tests/browser/test_proxy.py.
Here: Streamlit listens on the loopback interface unless a deployment says otherwise, and its websocket
refuses a Host that is not the app's (DNS rebinding), both from .streamlit/config.toml.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import http.client
import ipaddress
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from nginx_render import render

REPO = Path(__file__).resolve().parent.parent
CONFIG = REPO / ".streamlit" / "config.toml"
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


# -- the shipped configuration ---------------------------------------------------------------------------------
def test_config_binds_to_loopback_and_accepts_only_local_host_names():
    with CONFIG.open("rb") as fh:
        server = tomllib.load(fh)["server"]
    assert server.get("address") == "127.0.0.1"
    # Streamlit checks the websocket's Host against this list; empty = any Host (DNS rebinding works).
    assert set(server.get("allowedHosts", [])) == LOOPBACK_NAMES


# -- the app server started as `make run` starts it (no --server.address) ---------------------------------------
@dataclass
class Served:
    port: int
    process: subprocess.Popen
    log: Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_streamlit(tmp: Path, env: dict[str, str] | None = None, health_host: str = "127.0.0.1") -> Served:
    """`streamlit run streamlit_app.py` from the repo root, as the README runs it: no --server.address."""
    port = free_port()
    run_env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT_SERVER_")}
    run_env.update(TIDELINE_DATA_DIR=str(tmp / "data"), PYTHONUNBUFFERED="1", **(env or {}))
    log = tmp / f"streamlit-{port}.log"
    cmd = [
        sys.executable, "-m", "streamlit", "run", "streamlit_app.py",
        "--server.port", str(port),
        "--server.headless", "true",
        "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    with log.open("w") as out:
        process = subprocess.Popen(
            cmd, cwd=REPO, env=run_env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    served = Served(port, process, log)
    deadline = time.monotonic() + 90
    while True:
        if process.poll() is not None:
            pytest.fail(f"streamlit exited with {process.returncode}:\n{log.read_text()[-3000:]}", pytrace=False)
        try:
            with _NO_PROXY.open(f"http://{health_host}:{port}/_stcore/health", timeout=2) as resp:
                if resp.read().strip() == b"ok":
                    return served
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            stop(served)
            pytest.fail(f"streamlit not healthy after 90 s:\n{log.read_text()[-3000:]}", pytrace=False)
        time.sleep(0.2)


def stop(served: Served) -> None:
    if served.process.poll() is None:
        served.process.terminate()
        try:
            served.process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(served.process.pid, signal.SIGKILL)
            served.process.wait(10)


@pytest.fixture(scope="module")
def default_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    served = start_streamlit(tmp_path_factory.mktemp("hardening"))
    yield served
    stop(served)


def listening_addresses(port: int) -> set[str]:
    """Local addresses of the TCP sockets listening on ``port`` (Linux /proc/net/tcp and tcp6)."""
    found = set()
    for table, family in (("/proc/net/tcp", socket.AF_INET), ("/proc/net/tcp6", socket.AF_INET6)):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            address, port_hex = fields[1].split(":")
            if fields[3] != "0A" or int(port_hex, 16) != port:  # 0A = LISTEN
                continue
            raw = bytes.fromhex(address)
            raw = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))  # little-endian 32-bit words
            found.add(str(ipaddress.ip_address(socket.inet_ntop(family, raw))))
    return found


def non_loopback_ipv4() -> list[str]:
    """This machine's own IPv4 addresses other than 127/8 (connecting to them never leaves the host)."""
    found = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for _, name in socket.if_nameindex():
            try:
                packed = fcntl.ioctl(s.fileno(), 0x8915, struct.pack("256s", name[:15].encode()))  # SIOCGIFADDR
            except OSError:
                continue
            address = socket.inet_ntoa(packed[20:24])
            if not ipaddress.ip_address(address).is_loopback:
                found.append(address)
    return found


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux's /proc/net/tcp")
def test_app_listens_on_loopback_only_by_default(default_app):
    assert listening_addresses(default_app.port) == {"127.0.0.1"}, (
        "Streamlit must bind 127.0.0.1 only (server.address); 0.0.0.0 or :: would expose it on every interface"
    )
    for address in non_loopback_ipv4():
        with pytest.raises(ConnectionRefusedError), socket.create_connection((address, default_app.port), timeout=5):
            pass


def websocket_status(port: int, host: str, origin: str | None, address: str = "127.0.0.1") -> int:
    """Status of a websocket upgrade of /_stcore/stream with this Host and Origin (101 = accepted)."""
    conn = http.client.HTTPConnection(address, port, timeout=10)
    try:
        conn.putrequest("GET", "/_stcore/stream", skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", host)
        if origin is not None:
            conn.putheader("Origin", origin)
        conn.putheader("Upgrade", "websocket")
        conn.putheader("Connection", "Upgrade")
        conn.putheader("Sec-WebSocket-Key", base64.b64encode(os.urandom(16)).decode())
        conn.putheader("Sec-WebSocket-Version", "13")
        conn.putheader("Sec-WebSocket-Protocol", "streamlit")
        conn.endheaders()
        return conn.getresponse().status
    finally:
        conn.close()


def test_app_websocket_refuses_a_host_that_is_not_the_apps(default_app):
    """The issue's DNS rebinding: Host evil.example with a matching Origin was accepted (101)."""
    port = default_app.port
    assert websocket_status(port, "evil.example", "http://evil.example") != 101
    assert websocket_status(port, f"evil.example:{port}", f"http://evil.example:{port}") != 101
    assert websocket_status(port, f"evil.example:{port}", None) != 101
    # The app's own names still work.
    assert websocket_status(port, f"127.0.0.1:{port}", f"http://127.0.0.1:{port}") == 101
    assert websocket_status(port, f"localhost:{port}", f"http://localhost:{port}") == 101


def test_environment_switches_the_address_and_the_host_names(tmp_path):
    """The deployment switches of deploy/README.md; 127.0.0.2 stands in for a real interface (still loopback)."""
    served = start_streamlit(
        tmp_path,
        env={"STREAMLIT_SERVER_ADDRESS": "127.0.0.2", "STREAMLIT_SERVER_ALLOWED_HOSTS": "tideline.example.org"},
        health_host="127.0.0.2",
    )
    try:
        if Path("/proc/net/tcp").exists():
            assert listening_addresses(served.port) == {"127.0.0.2"}
        host = f"tideline.example.org:{served.port}"
        assert websocket_status(served.port, host, f"http://{host}", address="127.0.0.2") == 101
        local = f"127.0.0.2:{served.port}"
        assert websocket_status(served.port, local, f"http://{local}", address="127.0.0.2") != 101
    finally:
        stop(served)


# -- the nginx configuration renderer ---------------------------------------------------------------------------
def render_ok(**kw) -> str:
    args = {"server_names": ["tideline.example.org"], "listen": "80", "upstream": "127.0.0.1:8501"} | kw
    return render.render_site(**args)


def test_render_fills_every_placeholder_and_lists_the_names():
    text = render_ok(server_names=["tideline.example.org", "10.0.0.5"], listen="8080", upstream="127.0.0.1:8601")
    assert "{{" not in text and "}}" not in text
    assert "server_name tideline.example.org 10.0.0.5;" in text
    assert "listen 8080 default_server;" in text and "listen 8080;" in text
    assert "server 127.0.0.1:8601;" in text
    assert '"http://tideline.example.org:8080" 1;' in text and '"http://10.0.0.5:8080" 1;' in text
    assert "return 421;" in text  # every other Host
    assert "ssl" not in text and "Strict-Transport-Security" not in text


def test_render_with_tls_uses_https_origins_and_hsts():
    text = render_ok(listen="443", tls_cert="/etc/ssl/certs/t.pem", tls_key="/etc/ssl/private/t.key")
    assert "listen 443 ssl default_server;" in text
    assert '"https://tideline.example.org" 1;' in text and "http://tideline.example.org" not in text
    assert 'add_header Strict-Transport-Security "max-age=31536000" always;' in text
    assert text.count("ssl_certificate /etc/ssl/certs/t.pem;") == 2  # the app and the refusing default server


@pytest.mark.parametrize(
    "kw",
    [
        {"server_names": ["evil.example; include /etc/passwd"]},
        {"server_names": ['a"b']},
        {"server_names": []},
        {"listen": "80; ssl_verify off"},
        {"listen": "example.org:80"},
        {"listen": "99999"},
        {"upstream": "8501"},
        {"upstream": "127.0.0.1:8501; return 200"},
        {"origins": ['http://a.example" 1; default 1; "x']},
        {"origins": ["javascript:alert(1)"]},
        {"tls_cert": "/etc/ssl/a.pem"},
        {"tls_cert": "rel.pem", "tls_key": "/k"},
        {"tls_cert": "/a;b", "tls_key": "/k"},
    ],
)
def test_render_refuses_values_that_would_change_the_configuration(kw):
    with pytest.raises(ValueError):
        render_ok(**kw)


def test_csp_allows_streamlits_inline_scripts_by_hash_and_no_other_host():
    index = Path(render.streamlit_index_html())
    html = index.read_text(encoding="utf-8")
    inline = [
        body for attrs, body in re.findall(r"<script\b([^>]*)>(.*?)</script>", html, flags=re.S) if "src=" not in attrs
    ]
    assert inline, "Streamlit's index.html has no inline script any more: drop the hashes from script-src"
    policy = render.content_security_policy()
    directives = {d.split()[0]: d.split()[1:] for d in policy.split("; ")}
    for body in inline:
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in directives["script-src"]
    assert directives["default-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    # Only keywords, hashes and the data:/blob: schemes: no host, no wildcard, no eval of JavaScript.
    for name, sources in directives.items():
        for source in sources:
            assert re.fullmatch(r"'[a-z-]+'|'sha256-[A-Za-z0-9+/=]+'|data:|blob:", source), (name, source)
            assert source not in {"'unsafe-eval'", "*"}
    assert "'unsafe-inline'" not in directives["script-src"]


def test_standalone_keeps_every_file_under_its_directory(tmp_path):
    conf = render.render_standalone(render_ok(), tmp_path)
    assert "daemon off;" in conf
    for directive in ("pid", "error_log", "access_log", "client_body_temp_path", "proxy_temp_path"):
        (value,) = re.findall(rf"^\s*{directive} (\S+?)[ ;]", conf, flags=re.M)
        assert value.startswith(str(tmp_path.resolve()) + "/"), (directive, value)
