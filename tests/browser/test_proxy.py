"""The app behind the shipped nginx configuration (deploy/nginx), as deploy/README.md deploys it.

nginx from Debian runs in the foreground on a free port, its configuration rendered by deploy/nginx/render.py
into tmp_path (pid, logs and temp files there too), in front of an app server started by the harness. Checked:
the security headers on every kind of response, no "Server: uvicorn", the Host allow-list, the Origin check
on the websocket and on uploads, and in Chromium that every page works under the Content-Security-Policy with
no violation and no request off the proxy's origin (uploads with Streamlit's XSRF token, PNG export of a chart).

When nginx is missing these tests skip, unless CI=true or TIDELINE_REQUIRE_BROWSER=1, where they fail.
"""

from __future__ import annotations

import base64
import http.client
import os
import re
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pytest
from nginx_render import render
from PIL import Image

from . import harness
from .harness import REPO_ROOT, BrowserLog, app_url, assert_no_exception, wait_for_app_idle

DEFAULT_NGINX = "/usr/sbin/nginx"
HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
UPLOAD = REPO_ROOT / "tests" / "fixtures" / "frontex" / "detections.csv"

# Reports what the Content-Security-Policy blocked, from the first script of every document on (Chromium logs
# no console error for some of them, e.g. a blocked WebAssembly compile that the library falls back from).
CSP_WATCH = """
document.addEventListener('securitypolicyviolation', (e) => window.tidelineCspViolation(
  `${e.effectiveDirective} blocked ${e.blockedURI || '(inline)'} at ${e.sourceFile}:${e.lineNumber}`
  + ` on ${location.href}`));
"""


def nginx_path() -> str | None:
    for candidate in (os.environ.get("TIDELINE_NGINX"), shutil.which("nginx"), DEFAULT_NGINX):
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="module")
def nginx_bin() -> str:
    path = nginx_path()
    if path:
        return path
    message = "nginx not found (PATH, /usr/sbin/nginx or $TIDELINE_NGINX); install Debian's nginx package"
    if harness.browser_required():
        pytest.fail(message + " (the proxy tests are mandatory: CI=true or TIDELINE_REQUIRE_BROWSER=1)", pytrace=False)
    pytest.skip(message)


@dataclass
class Proxy:
    port: int
    directory: Path
    process: subprocess.Popen
    upstream: harness.AppServer

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self) -> str:
        parts = []
        for name in ("error.log", "stderr.log"):
            path = self.directory / name
            if path.exists():
                parts.append(f"--- {path} ---\n" + "\n".join(path.read_text(errors="replace").splitlines()[-30:]))
        return "\n".join(parts)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # SIGTERM: nginx's fast shutdown
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def start_proxy(nginx: str, directory: Path, upstream: harness.AppServer, **render_args) -> Proxy:
    """nginx in the foreground on a free port, with deploy/nginx's configuration rendered into ``directory``."""
    port = harness.free_port()
    args = {"server_names": ["127.0.0.1", "localhost"], "listen": f"127.0.0.1:{port}"} | render_args
    site = render.render_site(upstream=f"127.0.0.1:{upstream.port}", **args)
    (directory / "tmp").mkdir(parents=True, exist_ok=True)
    conf = directory / "nginx.conf"
    conf.write_text(render.render_standalone(site, directory), encoding="utf-8")
    # -e: the log of startup errors, before the configuration is read, goes there too (not /var/log/nginx).
    command = [nginx, "-p", str(directory), "-c", str(conf), "-e", str(directory / "error.log")]
    check = subprocess.run([*command, "-t"], capture_output=True, text=True)
    assert check.returncode == 0, f"nginx -t refused the rendered configuration:\n{check.stderr}\n{conf.read_text()}"
    with (directory / "stderr.log").open("w") as err:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=err, stderr=err)
    proxy = Proxy(port, directory, process, upstream)
    deadline = time.monotonic() + 20
    while True:
        if process.poll() is not None:
            pytest.fail(f"nginx exited with {process.returncode}\n{proxy.log_tail()}", pytrace=False)
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proxy
        except OSError:
            if time.monotonic() > deadline:
                proxy.stop()
                pytest.fail(f"nginx not listening on {port} after 20 s\n{proxy.log_tail()}", pytrace=False)
            time.sleep(0.1)


@pytest.fixture(scope="module")
def proxied_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[harness.AppServer]:
    """An app server of its own (uploads here must not touch the shared server's sessions)."""
    server = harness.start_app(tmp_path_factory.mktemp("proxy-data"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def proxy(nginx_bin: str, proxied_app: harness.AppServer, tmp_path_factory) -> Iterator[Proxy]:
    proxy = start_proxy(nginx_bin, tmp_path_factory.mktemp("nginx"), proxied_app)
    yield proxy
    proxy.stop()


@pytest.fixture(scope="module")
def csp() -> str:
    return render.content_security_policy()


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def header(self, name: str) -> list[str]:
        return self.headers.get_all(name) or []


def request(
    port: int,
    path: str = "/",
    host: str | None = None,
    headers: dict[str, str] | None = None,
    method: str = "GET",
    tls: ssl.SSLContext | None = None,
) -> Reply:
    """One request to 127.0.0.1:port (HTTPS with ``tls``) with exactly this Host (None: no Host header at all)."""
    if tls is None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    else:
        conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=15, context=tls)
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        if host is not None:
            conn.putheader("Host", host)
        for name, value in (headers or {}).items():
            conn.putheader(name, value)
        if method in {"PUT", "POST"}:
            conn.putheader("Content-Length", "0")
        conn.endheaders()
        response = conn.getresponse()
        return Reply(response.status, response.headers, response.read())  # a 101 has no body: b""
    finally:
        conn.close()


def websocket_status(port: int, host: str, origin: str | None, tls: ssl.SSLContext | None = None) -> int:
    """Status of a websocket upgrade of /_stcore/stream with this Host and Origin (101 = accepted)."""
    headers = {
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(),
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Protocol": "streamlit",
    }
    if origin is not None:
        headers["Origin"] = origin
    return request(port, "/_stcore/stream", host=host, headers=headers, tls=tls).status


def static_asset(port: int, host: str) -> str:
    """The path of the main script Streamlit's index.html loads."""
    html = request(port, "/", host=host).body.decode()
    match = re.search(r'src="\./(static/js/index\.[^"]+\.js)"', html)
    assert match, "no script in Streamlit's index.html"
    return "/" + match.group(1)


def assert_security_headers(reply: Reply, csp: str, what: str) -> None:
    assert reply.header("Content-Security-Policy") == [csp], f"{what}: {reply.header('Content-Security-Policy')}"
    for name, value in HEADERS.items():
        assert reply.header(name) == [value], f"{what}: {name} = {reply.header(name)}"
    server = " ".join(reply.header("Server"))
    assert "uvicorn" not in server.lower() and not re.search(r"\d", server), f"{what}: Server: {server}"


# -- HTTP ---------------------------------------------------------------------------------------------------------
def test_security_headers_on_the_page_assets_and_errors(proxy, csp):
    host = f"127.0.0.1:{proxy.port}"
    responses = {
        "index.html": request(proxy.port, "/", host),
        "a deep link": request(proxy.port, "/map?region=Europe", host),
        "a static script": request(proxy.port, static_asset(proxy.port, host), host),
        "the favicon": request(proxy.port, "/favicon.png", host),
        "health": request(proxy.port, "/_stcore/health", host),
        "a 404": request(proxy.port, "/map/_stcore/health", host),
    }
    for what, response in responses.items():
        assert_security_headers(response, csp, what)
    assert responses["index.html"].status == 200 and b"<title>" in responses["index.html"].body
    assert responses["a static script"].status == 200
    assert responses["a 404"].status == 404
    assert "frame-ancestors 'none'" in csp


def test_no_uvicorn_server_header(proxy):
    """Streamlit's server answers "server: uvicorn"; nginx hides it and gives no version of its own."""
    bare = request(proxy.upstream.port, "/", f"127.0.0.1:{proxy.upstream.port}")
    assert bare.header("Server") == ["uvicorn"]  # why the proxy hides it
    for path in ("/", "/_stcore/health", "/favicon.png"):
        response = request(proxy.port, path, f"127.0.0.1:{proxy.port}")
        assert response.header("Server") == ["nginx"], path


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "192.0.2.1", "127.0.0.1.evil.example", None])
def test_unknown_host_never_reaches_the_app(proxy, host):
    response = request(proxy.port, "/", host.format(port=proxy.port) if host else None)
    assert response.status in {400, 421}, response.status
    assert b"Streamlit" not in response.body and b"static/js" not in response.body


def test_dns_rebinding_websocket_is_refused(proxy):
    """The issue's case: Host evil.example with Origin http://evil.example was upgraded (101)."""
    port = proxy.port
    assert websocket_status(port, "evil.example", "http://evil.example") == 421
    assert websocket_status(port, f"evil.example:{port}", f"http://evil.example:{port}") == 421


@pytest.mark.parametrize(
    "origin",
    ["http://evil.example", "http://127.0.0.1", "http://127.0.0.1:{other}", "https://127.0.0.1:{port}", "null"],
)
def test_websocket_from_a_foreign_origin_is_refused(proxy, origin):
    origin = origin.format(port=proxy.port, other=proxy.upstream.port)
    assert websocket_status(proxy.port, f"127.0.0.1:{proxy.port}", origin) == 403


def test_websocket_from_the_apps_own_origins_is_upgraded(proxy):
    for name in ("127.0.0.1", "localhost"):
        host = f"{name}:{proxy.port}"
        assert websocket_status(proxy.port, host, f"http://{host}") == 101, host
    # No Origin at all is not a browser's cross-origin request (browsers always send one): passed, as Streamlit does.
    assert websocket_status(proxy.port, f"127.0.0.1:{proxy.port}", None) == 101


def test_upload_from_a_foreign_origin_is_refused(proxy):
    response = request(
        proxy.port,
        "/_stcore/upload_file/session/file",
        f"127.0.0.1:{proxy.port}",
        headers={"Origin": "http://evil.example"},
        method="PUT",
    )
    assert response.status == 403


def test_a_deployment_name_works_once_streamlit_lists_it(nginx_bin, start_app, tmp_path):
    """deploy/README.md: the proxy's server names go into STREAMLIT_SERVER_ALLOWED_HOSTS too."""
    name = "tideline.example.org"
    listed = start_app(env={"STREAMLIT_SERVER_ALLOWED_HOSTS": f"{name} localhost 127.0.0.1"})
    proxy = start_proxy(nginx_bin, tmp_path / "listed", listed, server_names=[name])
    try:
        host = f"{name}:{proxy.port}"
        assert websocket_status(proxy.port, host, f"http://{host}") == 101
        assert request(proxy.port, "/", host).status == 200
        assert request(proxy.port, "/", f"127.0.0.1:{proxy.port}").status == 421  # not a name of this site
    finally:
        proxy.stop()
    unlisted = start_app()  # .streamlit/config.toml: loopback names only
    proxy = start_proxy(nginx_bin, tmp_path / "unlisted", unlisted, server_names=[name])
    try:
        host = f"{name}:{proxy.port}"
        assert websocket_status(proxy.port, host, f"http://{host}") == 403  # Streamlit's own Host check
    finally:
        proxy.stop()


def test_tls_variant(nginx_bin, proxied_app, tmp_path, csp):
    """--tls-cert/--tls-key: HTTPS with HSTS, https origins; checked with a throwaway self-signed certificate."""
    openssl = shutil.which("openssl")
    if not openssl:
        pytest.skip("openssl not found: cannot make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    proxy = start_proxy(nginx_bin, tmp_path / "nginx", proxied_app, tls_cert=str(cert), tls_key=str(key))
    context = ssl.create_default_context(cafile=str(cert))
    context.check_hostname = False  # the certificate names localhost; the connection goes to 127.0.0.1
    host = f"localhost:{proxy.port}"
    try:
        reply = request(proxy.port, "/", host, tls=context)
        assert reply.status == 200
        assert_security_headers(reply, csp, "https index.html")
        assert reply.header("Strict-Transport-Security") == ["max-age=31536000"]
        health = request(proxy.port, "/_stcore/health", host, tls=context)  # sets Streamlit's XSRF cookie
        cookies = health.header("Set-Cookie")
        assert cookies and all("; secure" in c.lower() for c in cookies), cookies
        assert websocket_status(proxy.port, host, f"https://{host}", tls=context) == 101
        assert websocket_status(proxy.port, host, f"http://{host}", tls=context) == 403
        # A plain-http request to the TLS port is not served the app.
        assert request(proxy.port, "/", f"localhost:{proxy.port}").status == 400
    finally:
        proxy.stop()


# -- the browser ----------------------------------------------------------------------------------------------------
@pytest.fixture
def proxy_page(browser, proxy, request):
    """A 1920x1080 page with the CSP watch installed; at teardown fails on any request off the proxy's origin."""
    log = BrowserLog()
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, accept_downloads=True)
    context.set_default_timeout(30_000)
    violations: list[str] = []
    context.expose_function("tidelineCspViolation", lambda text: violations.append(text))
    context.add_init_script(CSP_WATCH)
    context.on("request", lambda req: log.requests.append(req.url))

    def on_console(msg) -> None:
        if msg.type == "error":
            where = (msg.location or {}).get("url")
            log.console_errors.append(f"{msg.text} [{where}]" if where else msg.text)

    def watch(pg) -> None:
        pg.on("websocket", lambda ws: log.requests.append(ws.url))
        pg.on("pageerror", lambda err: log.page_errors.append(str(err)))
        pg.on("console", on_console)

    context.on("page", watch)
    page = context.new_page()
    page.tideline_log = log
    page.tideline_csp_violations = violations
    yield page
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        try:
            harness.screenshot(page, "FAILED-" + re.sub(r"\W+", "_", request.node.nodeid))
        except Exception:  # a dead page must not hide the real failure
            pass
    context.close()
    origin = urlsplit(proxy.base_url).netloc
    foreign = sorted(
        {u for u in log.requests if urlsplit(u).scheme not in {"data", "blob"} and urlsplit(u).netloc != origin}
    )
    assert not foreign, "requests off the proxy's origin:\n  " + "\n  ".join(foreign)


def open_through_proxy(page, proxy: Proxy, path: str, csp: str):
    response = page.goto(app_url(proxy.base_url, path), wait_until="domcontentloaded")
    assert response is not None and response.status == 200
    assert response.headers.get("content-security-policy") == csp  # the browser really ran under the policy
    page.wait_for_selector('[data-testid="stApp"]')
    wait_for_app_idle(page)
    harness.assert_page_found(page)
    assert_no_exception(page)


def assert_clean(page) -> None:
    """No CSP violation, no page error, no console error (but Streamlit's base-path probe 404s)."""
    log: BrowserLog = page.tideline_log
    page.wait_for_timeout(200)  # the binding's calls arrive asynchronously
    violations = page.tideline_csp_violations
    assert violations == [], "Content-Security-Policy violations:\n  " + "\n  ".join(violations)
    assert log.page_errors == []
    assert log.unexpected_console_errors() == []


def test_pages_work_through_the_proxy_under_the_csp(proxy_page, proxy, csp):
    page = proxy_page
    open_through_proxy(page, proxy, "/", csp)
    charts = page.locator('[data-testid="stPlotlyChart"] .main-svg')
    charts.first.wait_for(state="visible")
    assert page.locator('[data-testid="stMetric"]').count() > 0
    assert_clean(page)

    open_through_proxy(page, proxy, "/map", csp)
    canvas = page.locator('[data-testid="stDeckGlJsonChart"] canvas').first
    canvas.wait_for(state="visible")
    page.wait_for_timeout(3000)  # deck.gl draws on the next animation frames
    pixels = np.asarray(Image.open(BytesIO(canvas.screenshot())).convert("RGB"))
    colours = len(np.unique(pixels.reshape(-1, 3), axis=0))
    assert colours > 20, f"the deck.gl canvas looks blank ({colours} colours): WebGL or the map data was blocked"
    shot = harness.screenshot(page, "proxy-map")
    assert shot.exists()
    assert_clean(page)

    for path in ("/funding", "/operations", "/data", "/briefing", "/briefing?slide=2"):
        open_through_proxy(page, proxy, path, csp)
        assert_clean(page)


def test_upload_and_exports_work_through_the_proxy(proxy_page, proxy, csp):
    """The upload PUT carries Streamlit's XSRF token; PNG export draws via a blob: image (img-src blob:)."""
    page = proxy_page
    log: BrowserLog = page.tideline_log
    open_through_proxy(page, proxy, "/", csp)
    chart = page.locator('[data-testid="stPlotlyChart"]').first
    chart.hover()
    with page.expect_download() as png:
        chart.locator('[data-title="Download plot as a PNG"]').click()
    assert png.value.failure() is None and png.value.suggested_filename.endswith(".png")
    with page.expect_download() as csv:
        page.get_by_role("button", name="Download CSV").first.click()
    assert csv.value.failure() is None
    assert_clean(page)

    open_through_proxy(page, proxy, "/data", csp)
    with page.expect_response(lambda r: "/_stcore/upload_file/" in r.url and r.request.method == "PUT") as put:
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(UPLOAD)
    assert put.value.ok, f"upload through the proxy: {put.value.status} {put.value.status_text}"
    wait_for_app_idle(page)
    page.get_by_text("Detected format:").wait_for()
    assert_no_exception(page)
    assert any("/_stcore/upload_file/" in u for u in log.requests)
    assert_clean(page)
