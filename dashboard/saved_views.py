"""Saved views: a page, its filters and a pinned data version under a title and a note, kept in
the data directory (not the browser) in briefing order.

The file is ``<data_dir>/saved_views.json``::

    {"format": 2, "views": [{"id": "3f9a0c1e", "title": …, "note": …, "page": "map",
                             "query": "period=…&version=2", "created_at": "2025-…Z",
                             "owner": "<sub>", "owner_name": "Ana <ana@…>", "shared": true}, …]}

A view belongs to whoever saved it (`owner`, the ID token's `sub`): others see it only when it is
shared with the command, and only its owner or an admin renames, moves or deletes it. Views of a
format-1 file (saved before sign-in existed) have no owner: shared, and changed by admins only.

Every change reads, edits and rewrites it under an exclusive lock (temp file, fsync, rename,
fsync folder), so two analysts saving at once both keep their views and a crash leaves the old
file whole. A file that cannot be read (bad JSON, wrong shape) raises ViewError naming the file
and the reason, for reads and changes alike: it is never overwritten, so nothing is lost silently.
"""

from __future__ import annotations

import contextlib
import json
import secrets
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeAlias
from urllib.parse import urlencode

from . import registry
from .auth import Identity, Permission, require
from .clean import text
from .files import exclusive_lock, write_json_atomic
from .filters import FilterState

FILE_NAME = "saved_views.json"
FORMAT = 2
READABLE_FORMATS = (1, 2)
MAX_TITLE = 120
MAX_NOTE = 2000
FIELDS = ("id", "title", "note", "page", "query", "created_at")
OWNER_FIELDS = ("owner", "owner_name")  # format 2; "shared" is a boolean


class ViewError(ValueError):
    """A saved-view request that cannot be done; the message says which and why."""


@dataclass(frozen=True)
class SavedView:
    """One saved view: page + filters + pinned data version, with a title and a note."""

    id: str
    title: str
    note: str
    page: str
    query: str
    created_at: str
    owner: str = ""  # the `sub` of who saved it; "" for views saved before sign-in existed
    owner_name: str = ""
    shared: bool = True  # shown to everyone in the command, not only its owner

    def visible_to(self, who: Identity) -> bool:
        """Shared views, your own, and every view for an admin."""
        return self.shared or self.owner == who.sub or who.can(Permission.ALL_VIEWS)

    def changeable_by(self, who: Identity) -> bool:
        """Its owner (who may still save views) or an admin renames, moves or deletes it."""
        return who.can(Permission.ALL_VIEWS) or (
            bool(self.owner) and self.owner == who.sub and who.can(Permission.SAVE_VIEWS)
        )

    def link(self) -> str:
        """The page with every filter explicit and the version pinned, e.g. '/map?period=…'."""
        return f"/{self.page}?{self.query}"


# ViewStore has a method named `list`, so inside the class `list[...]` would name the method.
Views: TypeAlias = list[SavedView]


def clean_title(title: str) -> str:
    """One line, 1–120 characters (whitespace runs collapse to one space)."""
    text_ = " ".join(text(title).split())  # bidi controls dropped, as everywhere shown
    if not text_:
        raise ViewError("title is empty: give the view a title (up to 120 characters)")
    if len(text_) > MAX_TITLE:
        raise ViewError(f"title is {len(text_)} characters long: at most {MAX_TITLE} are allowed")
    return text_


def clean_note(note: str) -> str:
    """Up to 2,000 characters; line breaks are kept."""
    text_ = text(note or "").strip()
    if len(text_) > MAX_NOTE:
        raise ViewError(f"note is {len(text_):,} characters long: at most {MAX_NOTE:,} are allowed")
    return text_


def check_page(page: str) -> str:
    """A url path views can be saved from (registry.SAVEABLE); ViewError otherwise."""
    if page not in registry.SAVEABLE:
        known = ", ".join(repr(p) for p in registry.SAVEABLE)
        raise ViewError(f"unknown page {page[:40]!r}: a view can show one of {known}")
    return page


def default_sequence(state: FilterState) -> list[SavedView]:
    """The briefing when nothing is saved: one view per default-briefing page at `state` (not stored)."""
    return [
        SavedView(
            id=f"default-{p.url_path or 'overview'}",
            title=p.title,
            note="",
            page=p.url_path,
            query=state.query_string(),
            created_at="",
        )
        for p in registry.default_briefing()
    ]


class ViewStore:
    """The saved views of one data directory, in briefing order."""

    def __init__(self, data_dir: Path | str) -> None:
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / FILE_NAME

    # -- reading --------------------------------------------------------------------------
    def list(self) -> Views:
        """All saved views in briefing order ([] when none were ever saved)."""
        return self._read()

    def visible(self, who: Identity) -> Views:
        """The views `who` may see (shared, their own; all for an admin), in briefing order."""
        return [v for v in self._read() if v.visible_to(who)]

    def get(self, view_id: str) -> SavedView:
        views = self._read()
        return views[self._index(views, view_id)]

    # -- changing -------------------------------------------------------------------------
    def add(
        self,
        title: str,
        note: str,
        page: str,
        state: FilterState,
        page_view: Mapping[str, Sequence[str]] | None = None,
        *,
        owner: Identity | None = None,
        shared: bool = True,
    ) -> SavedView:
        """Save `state` on `page` at the end of the sequence, with the page's own view state (`page_view`: URL
        parameters such as map.focus, see dashboard/viewstate.py), owned by `owner` (who must be allowed to save
        views; None: no owner, as before sign-in) and shared with the command or not."""
        if owner is not None:
            require(owner, Permission.SAVE_VIEWS)
        title, note, page = clean_title(title), clean_note(note), check_page(page)
        if state.version is None:
            raise ViewError("the filters have no data version to pin: a saved view must keep its numbers")
        with self._lock():
            views = self._read()
            taken = {v.id for v in views}
            new_id = secrets.token_hex(4)
            while new_id in taken:
                new_id = secrets.token_hex(4)
            view = SavedView(
                id=new_id,
                title=title,
                note=note,
                page=page,
                query=urlencode({**state.to_query_params(), **(page_view or {})}, doseq=True),
                created_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                owner=owner.sub if owner else "",
                owner_name=owner.label() if owner else "",
                shared=bool(shared) or owner is None,
            )
            self._write([*views, view])
        return view

    def update(
        self,
        view_id: str,
        *,
        actor: Identity,
        title: str | None = None,
        note: str | None = None,
        shared: bool | None = None,
    ) -> SavedView:
        """Rename a view, change its note and/or whether it is shared (page, filters and version stay as saved)."""
        changes: dict[str, str | bool] = {}
        if title is not None:
            changes["title"] = clean_title(title)
        if note is not None:
            changes["note"] = clean_note(note)
        if shared is not None:
            changes["shared"] = bool(shared)
        with self._lock():
            views = self._read()
            i = self._changeable(views, view_id, actor)
            views[i] = SavedView(**{**asdict(views[i]), **changes})
            self._write(views)
        return views[i]

    def move(self, view_id: str, delta: int, *, actor: Identity) -> None:
        """Move a view up (-1) or down (+1) in the sequence; clamped at either end."""
        with self._lock():
            views = self._read()
            i = self._changeable(views, view_id, actor)
            j = min(max(i + int(delta), 0), len(views) - 1)
            if i != j:
                views.insert(j, views.pop(i))
                self._write(views)

    def delete(self, view_id: str, *, actor: Identity) -> None:
        with self._lock():
            views = self._read()
            del views[self._changeable(views, view_id, actor)]
            self._write(views)

    # -- file -----------------------------------------------------------------------------
    @classmethod
    def _changeable(cls, views: Views, view_id: str, actor: Identity) -> int:
        i = cls._index(views, view_id)
        if not views[i].changeable_by(actor):
            owner = views[i].owner_name or "nobody (saved before sign-in; admins only)"
            raise ViewError(
                f"view {views[i].title!r} belongs to {owner}: only its owner or an admin may change it; "
                "nothing was changed"
            )
        return i

    @staticmethod
    def _index(views: Views, view_id: str) -> int:
        for i, v in enumerate(views):
            if v.id == view_id:
                return i
        known = ", ".join(v.id for v in views) or "none saved"
        raise ViewError(f"no saved view with id {str(view_id)[:40]!r} (known ids: {known})")

    def _read(self) -> Views:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        except (OSError, UnicodeDecodeError) as exc:
            raise ViewError(f"saved views file {self.path} cannot be read: {exc}") from exc
        why = "it was left untouched; fix it or move it away to start a new list"
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ViewError(f"saved views file {self.path} is not valid JSON ({exc}); {why}") from exc
        if (
            not isinstance(doc, dict)
            or doc.get("format") not in READABLE_FORMATS
            or not isinstance(doc.get("views"), list)
        ):
            raise ViewError(f"saved views file {self.path} is not a format-{FORMAT} saved views list; {why}")
        views = []
        for n, item in enumerate(doc["views"], start=1):
            if not isinstance(item, dict) or any(not isinstance(item.get(k), str) for k in FIELDS):
                raise ViewError(f"saved views file {self.path}: entry {n} lacks one of {', '.join(FIELDS)}; {why}")
            owned = {k: item[k] for k in OWNER_FIELDS if isinstance(item.get(k), str)}
            shared = item.get("shared", True)
            if not isinstance(shared, bool):
                raise ViewError(f"saved views file {self.path}: entry {n} has a non-boolean 'shared'; {why}")
            views.append(SavedView(**{k: item[k] for k in FIELDS}, **owned, shared=shared))
        return views

    def _write(self, views: Views) -> None:
        try:
            write_json_atomic(
                self.path, {"format": FORMAT, "views": [asdict(v) for v in views]}, indent=1, ensure_ascii=False
            )
        except OSError as exc:
            raise ViewError(_unwritable(self.path, exc)) from exc

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        # Its own lock file: saving a view must not wait behind a long data import.
        with contextlib.ExitStack() as stack:
            try:
                stack.enter_context(exclusive_lock(self.data_dir / f".{FILE_NAME}.lock"))
            except OSError as exc:
                raise ViewError(_unwritable(self.path, exc)) from exc
            yield


def _unwritable(path: Path, exc: OSError) -> str:
    return f"saved views cannot be changed: {path} cannot be written ({exc.strerror or exc}); nothing was changed"
