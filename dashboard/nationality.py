"""Nationalities as one list: the Home Office's country names and Frontex's ISO 3166-1 alpha-3 codes
mapped to the name Tideline shows (and the code behind it), with pycountry for the ISO list and a small
explicit table for the names and codes it does not know.

Pure: no streamlit, no dashboard imports.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

import pycountry


@dataclass(frozen=True)
class Nationality:
    name: str  # what Tideline shows and the URL carries: "Albania", "Iran", "Stateless"
    code: str  # ISO 3166-1 alpha-3, or a Tideline code for the rest: "XKX", "STL", "UNK", "OTH"


# Names publishers use that are not an ISO country, and ISO countries shown under a shorter name.
SPECIAL: tuple[Nationality, ...] = (
    Nationality("Stateless", "STL"),
    Nationality("Unknown", "UNK"),
    Nationality("Other", "OTH"),
    Nationality("Kosovo", "XKX"),
    Nationality("Palestine", "PSE"),
    Nationality("Turkey", "TUR"),
    Nationality("Vietnam", "VNM"),
    Nationality("Iran", "IRN"),
    Nationality("Syria", "SYR"),
    Nationality("Russia", "RUS"),
    Nationality("Democratic Republic of the Congo", "COD"),
    Nationality("Republic of the Congo", "COG"),
    Nationality("Ivory Coast", "CIV"),
    Nationality("Moldova", "MDA"),
    Nationality("Tanzania", "TZA"),
    Nationality("Venezuela", "VEN"),
    Nationality("Bolivia", "BOL"),
    Nationality("Laos", "LAO"),
    Nationality("North Korea", "PRK"),
    Nationality("South Korea", "KOR"),
)
# Other spellings seen in releases -> the name above (compared loosely: case, accents, punctuation).
ALIASES: dict[str, str] = {
    "not known": "Unknown",
    "not stated": "Unknown",
    "unknown nationality": "Unknown",
    "unk": "Unknown",
    "other nationalities": "Other",
    "others": "Other",
    "rest of the world": "Other",
    "turkiye": "Turkey",
    "viet nam": "Vietnam",
    "congo democratic republic": "Democratic Republic of the Congo",
    "congo dem rep": "Democratic Republic of the Congo",
    "dr congo": "Democratic Republic of the Congo",
    "congo": "Republic of the Congo",
    "cote divoire": "Ivory Coast",
    "palestinian territories": "Palestine",
    "occupied palestinian territories": "Palestine",
    "state of palestine": "Palestine",
    "korea north": "North Korea",
    "korea south": "South Korea",
    "uk": "United Kingdom",
    "great britain": "United Kingdom",
    "stateless person": "Stateless",
    "kos": "Kosovo",
    "xxa": "Stateless",
    "xxb": "Stateless",
    "xxc": "Stateless",
    "zzz": "Unknown",
}


def _key(text: str) -> str:
    """A name compared loosely: no accents, no punctuation, one space, lower case."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", plain.lower()).split())


@functools.cache
def _tables() -> tuple[dict[str, Nationality], dict[str, Nationality]]:
    """(by code, by loose name) over pycountry's countries, the special table and the aliases."""
    by_code: dict[str, Nationality] = {}
    by_name: dict[str, Nationality] = {}
    special = {n.code: n for n in SPECIAL}
    for c in pycountry.countries:
        nat = special.get(c.alpha_3) or Nationality(getattr(c, "common_name", None) or c.name, c.alpha_3)
        by_code[c.alpha_3] = nat
        for label in (c.name, getattr(c, "common_name", None), getattr(c, "official_name", None), c.alpha_3):
            if label:
                by_name.setdefault(_key(label), nat)
    for nat in SPECIAL:
        by_code[nat.code] = nat
        by_name[_key(nat.name)] = nat
        by_name.setdefault(_key(nat.code), nat)
    for alias, name in ALIASES.items():
        by_name[_key(alias)] = by_name[_key(name)]
    return by_code, by_name


def resolve(label: object) -> Nationality | None:
    """The nationality a publisher's label names (a country name in any common spelling, or an ISO-3
    code), or None when neither pycountry nor the explicit table knows it."""
    if label is None:
        return None
    text = str(label).strip()
    if not text:
        return None
    by_code, by_name = _tables()
    if len(text) == 3 and text.isalpha() and text.upper() in by_code:
        return by_code[text.upper()]
    return by_name.get(_key(text))


def name_of(label: object) -> str | None:
    """The name Tideline shows for a label or code; None when unknown."""
    nat = resolve(label)
    return nat.name if nat else None


def code_of(label: object) -> str | None:
    """The ISO-3 (or Tideline) code for a label or name; None when unknown."""
    nat = resolve(label)
    return nat.code if nat else None
