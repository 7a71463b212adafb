"""Roles from the ID token, what each role may do, and the session-age limit (dashboard/auth.py)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from dashboard import auth
from dashboard.auth import LOCAL, ConfigError, Forbidden, Identity, Permission, RoleConfig

ROLES = RoleConfig.from_mapping(
    {
        "claim": "groups",
        "viewer": ["tideline-viewers"],
        "analyst": ["tideline-analysts"],
        "importer": ["tideline-importers"],
        "admin": ["tideline-admins"],
    }
)
P = Permission
# The matrix the issue asks for: each role adds to the one before.
MATRIX = {
    "viewer": {P.VIEW},
    "analyst": {P.VIEW, P.EXPORT, P.SAVE_VIEWS, P.BRIEFING_PACK},
    "importer": {P.VIEW, P.EXPORT, P.SAVE_VIEWS, P.BRIEFING_PACK, P.IMPORT},
    "admin": set(P),
}


@pytest.mark.parametrize("role", auth.ROLES)
def test_roles_matrix(role):
    who = Identity(sub="u", roles=(role,))
    assert {p for p in P if who.can(p)} == MATRIX[role]
    for p in set(P) - MATRIX[role]:
        with pytest.raises(Forbidden, match=re.escape(f"may not {p.value}: it needs the")):
            auth.require(who, p)


@pytest.mark.parametrize(
    ("groups", "roles"),
    [
        (["tideline-viewers"], ("viewer",)),
        (["other", "tideline-analysts", "tideline-admins"], ("analyst", "admin")),
        ("tideline-importers", ("importer",)),  # one group sent as a string
        ([], ()),
        (None, ()),
        (["TIDELINE-VIEWERS"], ()),  # group names match exactly
        ([{"name": "tideline-viewers"}], ()),  # not a list of names
    ],
)
def test_roles_come_from_the_configured_claim(groups, roles):
    claims = {"sub": "u", "email": "u@example.org"} | ({"groups": groups} if groups is not None else {})
    assert Identity.from_claims(claims, ROLES).roles == roles
    assert not Identity.from_claims({"sub": "u", "roles": groups}, ROLES).roles  # another claim: nothing


def test_no_role_means_no_permission():
    who = Identity.from_claims({"sub": "x", "groups": ["finance"]}, ROLES)
    assert who.roles == () and not any(who.can(p) for p in P)
    with pytest.raises(Forbidden, match=r"\(no role\) may not view every page"):
        auth.require(who, P.VIEW)


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"claim": ""}, "claim must be the name"),
        ({"superuser": ["x"]}, "'superuser' is not a role"),
        ({"viewer": [1, 2]}, "viewer must be a list of group names"),
        ({"viewer": [""]}, "viewer must be a list of group names"),
    ],
)
def test_role_configuration_errors_name_the_key(section, message):
    with pytest.raises(ConfigError, match=message):
        RoleConfig.from_mapping(section)


def test_unconfigured_roles_admit_nobody():
    assert RoleConfig.from_mapping(None).roles_for({"groups": ["tideline-admins"]}) == ()


@pytest.mark.parametrize(
    ("section", "hours"), [(None, 12.0), ({}, 12.0), ({"max_session_hours": 8}, 8.0), ({"max_session_hours": 0.5}, 0.5)]
)
def test_max_session_hours(section, hours):
    assert auth.max_session_hours(section) == hours


@pytest.mark.parametrize("value", [0, -1, "12", True, None])
def test_max_session_hours_must_be_positive(value):
    with pytest.raises(ConfigError, match="max_session_hours must be a positive number"):
        auth.max_session_hours({"max_session_hours": value})


def test_session_age_from_auth_time_else_iat():
    now = datetime(2026, 11, 30, 12, tzinfo=UTC)
    fresh = Identity.from_claims({"sub": "u", "iat": (now - timedelta(hours=2)).timestamp()}, ROLES)
    old = Identity.from_claims({"sub": "u", "iat": (now - timedelta(hours=13)).timestamp()}, ROLES)
    # auth_time (the sign-in at the provider) wins over iat (a refreshed token)
    relogged = Identity.from_claims(
        {"sub": "u", "iat": now.timestamp(), "auth_time": (now - timedelta(hours=13)).timestamp()}, ROLES
    )
    assert not auth.session_expired(fresh, 12, now)
    assert auth.session_expired(old, 12, now)
    assert auth.session_expired(relogged, 12, now)
    assert auth.session_expired(Identity.from_claims({"sub": "u"}, ROLES), 12, now)  # no time: not trusted


def test_labels_and_produced_by():
    ana = Identity(sub="s1", email="ana@example.org", name="Ana Analyst", roles=("analyst",))
    at = datetime(2026, 11, 30, 9, 14, tzinfo=UTC)
    assert ana.label() == "Ana Analyst <ana@example.org>"
    assert ana.produced_by(at) == "Produced by Ana Analyst <ana@example.org> at 30 Nov 2026 09:14 UTC"
    assert Identity(sub="s2").label() == "s2"
    assert LOCAL.produced_by(at) == "Produced by local demo (sign-in off) at 30 Nov 2026 09:14 UTC"
    assert all(LOCAL.can(p) for p in P)  # sign-in off: the local demo may do everything, as before
