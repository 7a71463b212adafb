"""Render deploy/nginx/tideline.conf.template into an nginx configuration: operators and tests use this one file.

A site for Debian's nginx (an http-context snippet for /etc/nginx/conf.d/):

    .venv/bin/python deploy/nginx/render.py --server-name tideline.example.org \\
        --listen 443 --tls-cert /etc/ssl/certs/tideline.pem --tls-key /etc/ssl/private/tideline.key \\
        --upstream 127.0.0.1:8501 > /etc/nginx/conf.d/tideline.conf

A complete, self-contained nginx.conf that runs in the foreground with every file under DIR (the tests
and a local trial: ``nginx -p DIR -c DIR/nginx.conf``):

    .venv/bin/python deploy/nginx/render.py --server-name localhost --listen 127.0.0.1:8080 --standalone DIR

The Content-Security-Policy allows the inline scripts of Streamlit's index.html by hash: they are read
from the installed Streamlit (or --index-html), so render again after upgrading Streamlit.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import importlib.util
import ipaddress
import re
import sys
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE / "tideline.conf.template"

# default-src 'self' and, per directive, exactly what Streamlit's frontend needs; each source was found by
# removing it and watching Chromium's securitypolicyviolation events (tests/browser/test_proxy.py; the reasons
# are in deploy/README.md). The hashes of index.html's inline scripts are added to script-src at render time.
CSP: dict[str, list[str]] = {
    "default-src": ["'self'"],
    # 'wasm-unsafe-eval': WebAssembly compilation only (not eval of JavaScript): long.js (protobuf's 64-bit
    # integers) and loaders.gl in the deck.gl bundle compile small built-in modules on every page load.
    # blob: the one script Tideline itself adds (dashboard/ui/access.py: the link kept through sign-in), which
    # Streamlit's components v2 load from a blob: URL the page creates itself; only the page's own code can make one.
    "script-src": ["'self'", "'wasm-unsafe-eval'", "blob:"],
    # Emotion, styled-components, React and plotly write <style> elements and style attributes at run time.
    "style-src": ["'self'", "'unsafe-inline'"],
    # data: the page icon and feature probes; blob: plotly's "Download plot as a PNG" draws the SVG via a blob.
    "img-src": ["'self'", "data:", "blob:"],
    # data: fonts inlined in the bundle's stylesheets.
    "font-src": ["'self'", "data:"],
    # The websocket (ws/wss to the same host and port match 'self') and the upload PUT.
    "connect-src": ["'self'"],
    # Workers stay 'self' only (they would otherwise fall back to script-src, blob: included).
    "worker-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}

_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)(?:\*\.)?[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)
_ORIGIN = re.compile(r"^https?://(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::[0-9]{1,5})?$")
_PLACEHOLDER = re.compile(r"\{\{[A-Z_]+\}\}")


def streamlit_index_html() -> Path:
    """index.html of the installed Streamlit, found without importing it."""
    spec = importlib.util.find_spec("streamlit")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(
            "streamlit is not importable here: pass --index-html <site-packages>/streamlit/static/index.html"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "static" / "index.html"


def inline_script_hashes(index_html: Path) -> list[str]:
    """CSP sources ('sha256-…') for every inline <script> (one without src) of the page."""
    html = index_html.read_text(encoding="utf-8")
    hashes = []
    for attrs, body in re.findall(r"<script\b([^>]*)>(.*?)</script>", html, flags=re.S | re.I):
        if re.search(r"\bsrc\s*=", attrs, flags=re.I):
            continue
        digest = hashlib.sha256(body.encode("utf-8")).digest()
        hashes.append(f"'sha256-{base64.b64encode(digest).decode('ascii')}'")
    return hashes


def content_security_policy(index_html: Path | None = None) -> str:
    directives = {name: list(sources) for name, sources in CSP.items()}
    directives["script-src"] += inline_script_hashes(index_html or streamlit_index_html())
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


def parse_listen(listen: str) -> tuple[str | None, int]:
    """'8080' or '127.0.0.1:8080' or '[::1]:8080' -> (address or None, port)."""
    address, sep, port = listen.rpartition(":")
    if not sep:
        address, port = "", listen
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"--listen: not a port: {listen!r}")
    if address:
        ipaddress.ip_address(address.strip("[]"))  # an IP address, not a name: ValueError otherwise
    return address or None, int(port)


def check_server_name(name: str) -> str:
    if not _HOSTNAME.match(name):
        ipaddress.ip_address(name)  # ValueError when it is neither a host name nor an IP address
    return name.lower()


def default_origins(server_names: Sequence[str], port: int, tls: bool) -> list[str]:
    """The browser's Origin for each name when the proxy is reached directly on its listen port."""
    scheme = "https" if tls else "http"
    suffix = "" if port == (443 if tls else 80) else f":{port}"
    origins = []
    for name in server_names:
        if name.startswith("*."):
            continue  # a wildcard name needs its origins listed (--origin)
        host = f"[{name}]" if ":" in name else name
        origins.append(f"{scheme}://{host}{suffix}")
    return origins


def render_site(
    server_names: Sequence[str],
    listen: str,
    upstream: str,
    origins: Sequence[str] | None = None,
    tls_cert: str | None = None,
    tls_key: str | None = None,
    index_html: Path | None = None,
) -> str:
    """The http-context snippet for these names, listen address and upstream (host:port of Streamlit)."""
    if not server_names:
        raise ValueError("at least one --server-name is needed")
    names = [check_server_name(n) for n in server_names]
    address, port = parse_listen(listen)
    up_address, up_port = parse_listen(upstream)
    if up_address is None:
        raise ValueError("--upstream needs an address and a port, e.g. 127.0.0.1:8501")
    if bool(tls_cert) != bool(tls_key):
        raise ValueError("--tls-cert and --tls-key go together")
    tls = bool(tls_cert)
    allowed = list(origins) if origins else default_origins(names, port, tls)
    for origin in allowed:
        if not _ORIGIN.match(origin):
            raise ValueError(f"--origin: not a scheme://host[:port] origin: {origin!r}")
    bind = f"{address}:{port}" if address else str(port)
    ssl = " ssl" if tls else ""
    tls_lines = ""
    hsts = ""
    if tls:
        for path in (tls_cert, tls_key):
            if not path or any(c in path for c in ";\"'{}\n\\") or not Path(path).is_absolute():
                raise ValueError(f"TLS file paths must be absolute and plain: {path!r}")
        tls_lines = (
            f"    ssl_certificate {tls_cert};\n"
            f"    ssl_certificate_key {tls_key};\n"
            "    ssl_protocols TLSv1.2 TLSv1.3;\n"
            "    ssl_session_tickets off;"
        )
        hsts = (
            '    add_header Strict-Transport-Security "max-age=31536000" always;\n'
            "    # Streamlit marks its cookies Secure only when it terminates TLS itself.\n"
            "    proxy_cookie_flags ~ secure;"
        )
    values = {
        "ORIGIN_MAP": "\n".join(f'    "{origin.lower()}" 1;' for origin in allowed),
        "UPSTREAM": f"{up_address}:{up_port}",
        "LISTEN_DEFAULT": f"    listen {bind}{ssl} default_server;",
        "LISTEN": f"    listen {bind}{ssl};",
        "SERVER_NAMES": " ".join(names),
        "TLS": tls_lines,
        "TLS_HEADERS": hsts,
        "CSP": content_security_policy(index_html),
    }
    text = TEMPLATE.read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    # A line only a placeholder left empty goes; nothing unrendered may remain.
    text = re.sub(r"\n[ \t]*\n(?=[ \t]*\n)", "\n", text)
    left = _PLACEHOLDER.findall(text)
    if left:
        raise ValueError(f"template placeholders without a value: {sorted(set(left))}")
    return text


def render_standalone(site: str, prefix: Path) -> str:
    """A complete nginx.conf around ``site``: foreground, every file (pid, logs, temp) under ``prefix``."""
    prefix = Path(prefix).resolve()
    if any(c in str(prefix) for c in ";\"'{}\n\\ "):
        raise ValueError(f"--standalone: the directory path must be plain (no spaces or quotes): {prefix}")
    return (
        "# Standalone nginx for Tideline (tests, local trial): nginx -p DIR -c DIR/nginx.conf\n"
        "daemon off;\n"
        "worker_processes 1;\n"
        f"pid {prefix}/nginx.pid;\n"
        f"error_log {prefix}/error.log warn;\n"
        "events {\n    worker_connections 256;\n}\n"
        "http {\n"
        f"    access_log {prefix}/access.log;\n"
        f"    client_body_temp_path {prefix}/tmp/client_body;\n"
        f"    proxy_temp_path {prefix}/tmp/proxy;\n"
        f"    fastcgi_temp_path {prefix}/tmp/fastcgi;\n"
        f"    uwsgi_temp_path {prefix}/tmp/uwsgi;\n"
        f"    scgi_temp_path {prefix}/tmp/scgi;\n"
        "    default_type application/octet-stream;\n"
        + "".join(f"    {line}\n" if line else "\n" for line in site.splitlines())
        + "}\n"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--server-name",
        action="append",
        required=True,
        help="a host name (or IP) the app is reached by; repeat for several. Every other Host gets 421.",
    )
    parser.add_argument("--listen", default="80", help="port or address:port nginx listens on (default 80)")
    parser.add_argument(
        "--upstream", default="127.0.0.1:8501", help="Streamlit's address:port (default 127.0.0.1:8501)"
    )
    parser.add_argument(
        "--origin",
        action="append",
        help="an allowed browser Origin (scheme://host[:port]); repeat. Default: each server name on the listen "
        "port (https with --tls-cert). Needed when the public port differs, e.g. behind port forwarding.",
    )
    parser.add_argument("--tls-cert", help="certificate (absolute path): listen with TLS and send HSTS")
    parser.add_argument("--tls-key", help="its private key (absolute path)")
    parser.add_argument("--index-html", type=Path, help="Streamlit's static/index.html (default: the installed one)")
    parser.add_argument(
        "--standalone",
        type=Path,
        metavar="DIR",
        help="write DIR/nginx.conf, a complete configuration with pid, logs and temp files under DIR",
    )
    args = parser.parse_args(argv)
    try:
        site = render_site(
            args.server_name,
            args.listen,
            args.upstream,
            origins=args.origin,
            tls_cert=args.tls_cert,
            tls_key=args.tls_key,
            index_html=args.index_html,
        )
    except ValueError as exc:
        parser.error(str(exc))
    if args.standalone:
        args.standalone.mkdir(parents=True, exist_ok=True)
        (args.standalone / "tmp").mkdir(exist_ok=True)
        conf = args.standalone / "nginx.conf"
        conf.write_text(render_standalone(site, args.standalone), encoding="utf-8")
        print(conf)
    else:
        sys.stdout.write(site)
    return 0


if __name__ == "__main__":
    sys.exit(main())
