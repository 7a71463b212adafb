"""Who may do what: roles from an ID-token claim, the permissions each role carries, and the session-age
limit. Pure (no streamlit): ``dashboard/ui/access.py`` feeds it ``st.user`` and the secrets.

Configuration (``.streamlit/secrets.toml``, next to Streamlit's own ``[auth]`` section)::

    [tideline]
    max_session_hours = 12                 # sign out this long after the sign-in at the provider

    [tideline.roles]
    claim = "groups"                       # the ID-token claim that lists the user's groups or roles
    viewer = ["tideline-viewers"]          # every page, no exports
    analyst = ["tideline-analysts"]        # + exports, saved views, the briefing pack
    importer = ["tideline-importers"]      # + imports and uploads
    admin = ["tideline-admins"]            # + the audit page, everyone's saved views

Each role includes the ones above it; a user in several groups gets every role they map to.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

ROLES: tuple[str, ...] = ("viewer", "analyst", "importer", "admin")  # each adds to the one before
DEFAULT_CLAIM = "groups"
DEFAULT_MAX_SESSION_HOURS = 12.0


class Permission(StrEnum):
    """What a role may do; the server checks these before acting, whatever the page showed."""

    VIEW = "view every page"
    EXPORT = "download data (CSV, XLSX)"
    SAVE_VIEWS = "save views for the briefing"
    BRIEFING_PACK = "prepare the briefing pack"
    IMPORT = "import and upload data"
    AUDIT = "read the audit trail"
    ALL_VIEWS = "change everyone's saved views"


GRANTS: dict[str, frozenset[Permission]] = {}
_granted: set[Permission] = set()
for _role, _adds in zip(
    ROLES,
    (
        {Permission.VIEW},
        {Permission.EXPORT, Permission.SAVE_VIEWS, Permission.BRIEFING_PACK},
        {Permission.IMPORT},
        {Permission.AUDIT, Permission.ALL_VIEWS},
    ),
    strict=True,
):
    _granted |= _adds
    GRANTS[_role] = frozenset(_granted)


def least_role(permission: Permission) -> str:
    """The first role that carries `permission` (for "needs the analyst role")."""
    return next(role for role in ROLES if permission in GRANTS[role])


class ConfigError(ValueError):
    """The [tideline] section of secrets.toml is wrong; the message says which key and why."""


class Forbidden(PermissionError):
    """An action the user's roles do not allow, refused on the server."""


@dataclass(frozen=True)
class RoleConfig:
    """[tideline.roles]: the claim to read and the groups that map to each role."""

    claim: str = DEFAULT_CLAIM
    groups: Mapping[str, tuple[str, ...]] | None = None

    @classmethod
    def from_mapping(cls, section: Mapping[str, Any] | None) -> RoleConfig:
        section = dict(section or {})
        claim = section.pop("claim", DEFAULT_CLAIM)
        if not isinstance(claim, str) or not claim.strip():
            raise ConfigError('[tideline.roles] claim must be the name of an ID-token claim, e.g. "groups"')
        groups: dict[str, tuple[str, ...]] = {}
        for key, value in section.items():
            if key not in ROLES:
                raise ConfigError(f"[tideline.roles] {key!r} is not a role: use {', '.join(ROLES)}")
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, Sequence) or not all(isinstance(g, str) and g for g in value):
                raise ConfigError(f'[tideline.roles] {key} must be a list of group names, e.g. ["tideline-{key}s"]')
            groups[key] = tuple(value)
        return cls(claim=claim.strip(), groups=groups)

    def roles_for(self, claims: Mapping[str, Any]) -> tuple[str, ...]:
        """The roles a user's claims map to, in ROLES order (empty: no access)."""
        value = claims.get(self.claim)
        if isinstance(value, str):  # some providers send one group as a string
            held = {value}
        elif isinstance(value, Sequence):
            held = {g for g in value if isinstance(g, str)}
        else:
            held = set()
        mapping = self.groups or {}
        return tuple(role for role in ROLES if held & set(mapping.get(role, ())))


def max_session_hours(section: Mapping[str, Any] | None) -> float:
    """[tideline] max_session_hours: a positive number of hours (fractions allowed), default 12."""
    value = (section or {}).get("max_session_hours", DEFAULT_MAX_SESSION_HOURS)
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ConfigError(f"[tideline] max_session_hours must be a positive number of hours, not {value!r}")
    return float(value)


@dataclass(frozen=True)
class Identity:
    """The person behind a session. `signed_in` is False for the local demo (sign-in off)."""

    sub: str
    email: str = ""
    name: str = ""
    roles: tuple[str, ...] = ()
    signed_in: bool = True
    started_at: datetime | None = None  # the sign-in at the provider (auth_time, else iat)

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any], roles: RoleConfig) -> Identity:
        email = claims.get("email")
        name = claims.get("name") or claims.get("preferred_username")
        return cls(
            sub=str(claims.get("sub") or ""),
            email=email if isinstance(email, str) else "",
            name=name if isinstance(name, str) else "",
            roles=roles.roles_for(claims),
            started_at=session_started(claims),
        )

    def can(self, permission: Permission) -> bool:
        return any(permission in GRANTS[role] for role in self.roles)

    def label(self) -> str:
        """'Ana Analyst <ana@example.org>' for "produced by" lines; never empty."""
        who = self.name or self.email or self.sub or "unknown user"
        return f"{who} <{self.email}>" if self.email and who != self.email else who

    def produced_by(self, moment: datetime | None = None) -> str:
        """'Produced by Ana Analyst <ana@…> at 30 Nov 2026 09:14 UTC', next to the marking."""
        at = (moment or datetime.now(UTC)).astimezone(UTC)
        who = self.label() if self.signed_in else "local demo (sign-in off)"
        return f"Produced by {who} at {at:%d %b %Y %H:%M} UTC"


LOCAL = Identity(sub="local", name="Local demo user", roles=("admin",), signed_in=False)
"""Sign-in off (no [auth] section): one local user with every permission, as before sign-in existed."""


def require(identity: Identity, permission: Permission) -> None:
    """Raise Forbidden unless `identity` holds `permission` (the server-side check behind every action)."""
    if not identity.can(permission):
        roles = ", ".join(identity.roles) or "no role"
        raise Forbidden(
            f"{identity.label()} ({roles}) may not {permission.value}: it needs the {least_role(permission)} role"
        )


def session_started(claims: Mapping[str, Any]) -> datetime | None:
    """When the user signed in at the provider: `auth_time`, else the ID token's `iat` (seconds since 1970)."""
    for key in ("auth_time", "iat"):
        value = claims.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
            return datetime.fromtimestamp(value, UTC)
    return None


def session_expired(identity: Identity, max_hours: float, now: datetime | None = None) -> bool:
    """True when the sign-in is older than `max_hours`, or its time is unknown (nothing to measure from)."""
    if identity.started_at is None:
        return True
    return (now or datetime.now(UTC)) - identity.started_at > timedelta(hours=max_hours)
