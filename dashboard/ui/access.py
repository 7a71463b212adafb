"""Sign-in, roles and the audit trail in the app: the gate every page passes before it draws anything.

Sign-in is Streamlit's own (``st.login`` / ``st.user`` / ``st.logout``) and is on whenever ``[auth]`` is
configured in ``.streamlit/secrets.toml``; roles come from an ID-token claim (``[tideline.roles]``,
dashboard/auth.py). Without ``[auth]`` the app runs as the local demo, everyone the local admin, and says so.
Every page view, export, import and saved-view change is appended to the audit trail (dashboard/audit.py);
a trail that cannot be written stops the page: nothing is shown that cannot be recorded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, NoReturn
from urllib.parse import urlencode

import streamlit as st

from .. import audit, auth, fmt, registry
from ..auth import LOCAL, Identity, Permission
from . import session

log = logging.getLogger(__name__)

IDENTITY_KEY = "_tideline_identity"
VIEWED_KEY = "_tideline_viewed"  # the last (page, query) recorded as a page view in this session
DENIED_KEY = "_tideline_denied"
RESUMED_KEY = "_tideline_resumed"
SIGNED_IN_KEY = "_tideline_signed_in"

# The link a signed-out colleague opened rides through the provider's round trip in the tab's
# sessionStorage: Streamlit's callback always lands on "/", and nothing else survives the redirects.
# Only a same-site path to a page is ever followed (never another host, never "//…").
_RETURN_JS = """
export default function ({ data }) {
  const KEY = "tideline.after_sign_in";
  const SAFE = /^\\/[A-Za-z0-9_-]*(\\?[^#\\s]*)?$/;
  if (data.mode === "remember") {
    if (SAFE.test(data.target)) sessionStorage.setItem(KEY, data.target);
  } else if (data.mode === "resume") {
    const target = sessionStorage.getItem(KEY);
    sessionStorage.removeItem(KEY);
    const here = window.location.pathname + window.location.search;
    if (target && SAFE.test(target) && target !== here && target !== "/") window.location.replace(target);
  }
}
"""
_return_to = st.components.v2.component("tideline_return_to", js=_RETURN_JS)


# -- configuration ------------------------------------------------------------------------------
def sign_in_on() -> bool:
    """True when Streamlit's [auth] section is configured (secrets.toml or the secrets files given)."""
    return bool(st.secrets.load_if_toml_exists() and st.secrets.get("auth"))


def _section(name: str) -> Mapping[str, Any]:
    value = st.secrets.get("tideline", {}).get(name, {}) if name else st.secrets.get("tideline", {})
    return value.to_dict() if hasattr(value, "to_dict") else dict(value)


# -- the gate -----------------------------------------------------------------------------------
def identify() -> Identity | None:
    """Who is here, without drawing anything: LOCAL with sign-in off, None when signed out (or when the
    role configuration is wrong: the gate says so)."""
    if not sign_in_on():
        return LOCAL
    if not st.user.is_logged_in:
        return None
    try:
        return Identity.from_claims(st.user.to_dict(), auth.RoleConfig.from_mapping(_section("roles")))
    except auth.ConfigError:
        return None


def gate(page: registry.Page, closing: Callable[[], None] = lambda: None) -> Identity:
    """Who is here and whether they may see `page`; draws the sign-in, no-access or expiry screen and
    stops the script otherwise (drawing `closing` first: the page's bottom marking). Records sign-ins,
    denials and expiries."""
    if not sign_in_on():
        st.sidebar.caption(
            ":material/lock_open: **Sign-in is off — local demo.** Anyone who reaches this address sees every "
            "page and may import. Configure `[auth]` in `.streamlit/secrets.toml` before sharing it (README)."
        )
        who = LOCAL
    else:
        try:
            roles = auth.RoleConfig.from_mapping(_section("roles"))
            max_hours = auth.max_session_hours(_section(""))
        except auth.ConfigError as exc:
            st.error(f"Sign-in is misconfigured, so nothing is shown: {exc}.", icon="⛔")
            closing()
            st.stop()
        if not st.user.is_logged_in:
            _sign_in_screen(page, closing)
        who = Identity.from_claims(st.user.to_dict(), roles)
        if auth.session_expired(who, max_hours):
            started = who.started_at.isoformat() if who.started_at else "unknown"
            record("session_expired", who, {"started": started, "max_session_hours": max_hours})
            st.session_state.pop(SIGNED_IN_KEY, None)
            st.logout()
            st.stop()
        if st.session_state.get(SIGNED_IN_KEY) != (who.sub, who.started_at):
            # Every tab and reload is a new Streamlit session on the same sign-in: record the sign-in once
            # (per server process), keyed by the sign-in's own time at the provider.
            seen = session.sign_ins_seen()
            if (who.sub, who.started_at) not in seen:
                record("sign_in", who, {"started": who.started_at.isoformat() if who.started_at else ""})
                seen.add((who.sub, who.started_at))
            st.session_state[SIGNED_IN_KEY] = (who.sub, who.started_at)
        _account_box(who)
        if not who.roles:
            deny(who, page, "no Tideline role: none of the user's groups is mapped in [tideline.roles]", closing)
        _resume_link(page)
    st.session_state[IDENTITY_KEY] = who
    if not who.can(page.permission):
        deny(who, page, f"the page needs the {auth.least_role(page.permission)} role", closing)
    return who


def current() -> Identity:
    """The identity the gate admitted in this run (LOCAL outside a gated run, e.g. a bare AppTest script)."""
    who = st.session_state.get(IDENTITY_KEY)
    return who if isinstance(who, Identity) else LOCAL


def can(permission: Permission) -> bool:
    return current().can(permission)


def _sign_in_screen(page: registry.Page, closing: Callable[[], None]) -> NoReturn:
    """Signed out: the product name, the marking and a sign-in button; no figures, filters or data."""
    st.title("Tideline")
    st.subheader("Sign in to continue")
    st.write(
        "Tideline holds sensitive operational data: sign in with your command account. "
        "The link you opened is kept and opens after you sign in."
    )
    target = page.link + (f"?{urlencode(_query(), doseq=True)}" if _query() else "")
    _return_to(data={"mode": "remember", "target": target}, key="tideline_remember")
    st.button("Sign in", type="primary", icon=":material/login:", key="sign_in", on_click=st.login)
    closing()
    st.stop()


def _resume_link(page: registry.Page) -> None:
    """Just signed in and landed on "/": open the link the colleague first opened (kept in the tab)."""
    if st.session_state.get(RESUMED_KEY):
        return
    st.session_state[RESUMED_KEY] = True
    if page is registry.DEFAULT and not _query():
        _return_to(data={"mode": "resume"}, key="tideline_resume")


def _account_box(who: Identity) -> None:
    with st.sidebar.container(border=True, key="account"):
        st.caption(f"Signed in as **{fmt.md_escape(who.label())}** · {', '.join(who.roles) or 'no role'}")
        if st.button("Sign out", icon=":material/logout:", key="sign_out"):
            record("sign_out", who, {})
            st.session_state.pop(SIGNED_IN_KEY, None)
            st.logout()
            st.stop()


def deny(who: Identity, page: registry.Page, why: str, closing: Callable[[], None] = lambda: None) -> NoReturn:
    """The no-access screen, recorded once per page per session."""
    if st.session_state.get(DENIED_KEY) != page.url_path:
        record("access_denied", who, {"page": page.link, "query": urlencode(_query(), doseq=True), "why": why})
        st.session_state[DENIED_KEY] = page.url_path
    st.title("No access")
    name, title = fmt.md_escape(who.label()), fmt.md_escape(page.title)
    st.error(
        f"{name} may not open {title}: {fmt.md_escape(why)}. Ask your Tideline administrator for "
        "access; this attempt has been recorded.",
        icon=":material/block:",
    )
    closing()
    st.stop()


def _query() -> dict[str, list[str]]:
    return {k: st.query_params.get_all(k) for k in st.query_params}


# -- the audit trail ----------------------------------------------------------------------------
def record(event: str, who: Identity, details: Mapping[str, Any]) -> None:
    """Append one record; a trail that cannot be written stops the page (fail closed)."""
    try:
        session.audit_log().append(event, sub=who.sub, email=who.email, roles=who.roles, details=details)
    except audit.AuditError as exc:
        log.error("audit trail not written (%s %s): %s", event, who.sub, exc)
        st.error(
            "**The audit trail cannot be written**, so Tideline shows nothing more. An administrator can run "
            "`python -m dashboard audit verify` on the server.",
            icon="⛔",
        )
        st.stop()


def record_view(who: Identity, page: registry.Page, params: Mapping[str, list[str]]) -> None:
    """A page view with its filter state, once per distinct (page, query) in a session."""
    query = urlencode(params, doseq=True)
    if st.session_state.get(VIEWED_KEY) != (page.url_path, query):
        record("page_view", who, {"page": page.link, "query": query})
        st.session_state[VIEWED_KEY] = (page.url_path, query)


def audited_build(
    who: Identity, name: str, rows: int, version: int | None, build: Callable[..., bytes], /, **kwargs: Any
) -> Callable[[], bytes]:
    """A download's builder that checks the role and records the export when the file is built (on click, on
    Streamlit's download thread: no st.* calls in here)."""
    log_ = session.audit_log()

    def run() -> bytes:
        auth.require(who, Permission.EXPORT)
        data = build(**kwargs)
        log_.append(
            "export",
            sub=who.sub,
            email=who.email,
            roles=who.roles,
            details={"file": name, "rows": rows, "version": version, "bytes": len(data)},
        )
        return data

    return run


def produced_by() -> str:
    """Who is producing an export or pack, for its header (next to the marking)."""
    who = current()
    return who.label() if who.signed_in else "local demo (sign-in off)"


def stamp(moment: datetime | None = None) -> str:
    return current().produced_by(moment or datetime.now(UTC))
