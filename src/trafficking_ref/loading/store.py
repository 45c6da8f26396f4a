"""The validated knowledge base and its search index, cached in one SQLite file.

The cache is keyed by the content of every knowledge file of every layer (and the program's
version), so any edit invalidates it. A cache hit imports neither pydantic nor yaml. A corrupt,
truncated, stale or unwritable cache falls back to a fresh load: never a wrong answer, never an
error. Files are written to a temporary name and renamed into place, so processes building the
cache at the same time never see each other's half-written files. The cache holds only the
knowledge base: never anything about a person.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from pathlib import Path

from trafficking_ref.core.kb import KnowledgeBase
from trafficking_ref.loading.knowledge import (
    FORMAT_VERSION,
    Layer,
    LayerFiles,
    load_knowledge,
    read_layer_files,
)

ENV_CACHE_DIR = "TRAFFICKING_REF_CACHE_DIR"
ENV_NO_CACHE = "TRAFFICKING_REF_NO_CACHE"
_KEEP = 8


def cache_dir() -> Path:
    configured = os.environ.get(ENV_CACHE_DIR)
    if configured:
        return Path(configured)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("trafficking-ref", appauthor=False))


class Store:
    """An open knowledge base: the SQLite connection (search index) and the entries."""

    def __init__(self, conn: sqlite3.Connection, kb: KnowledgeBase | None = None,
                 from_cache: bool = False):
        self.conn = conn
        self._kb = kb
        self.from_cache = from_cache

    @property
    def kb(self) -> KnowledgeBase:
        if self._kb is None:
            row = self.conn.execute("SELECT value FROM meta WHERE key = 'kb'").fetchone()
            self._kb = KnowledgeBase.from_dict(json.loads(row[0]))
        return self._kb


def _try_cache(path: Path, key: str) -> Store | None:
    if not path.is_file():
        return None
    conn = None
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        meta = dict(conn.execute("SELECT key, value FROM meta WHERE key IN ('format', 'hash')"))
        if meta.get("format") != FORMAT_VERSION or meta.get("hash") != key:
            conn.close()
            return None
        conn.execute("SELECT count(*) FROM docs").fetchone()
        conn.execute("SELECT count(*) FROM fts").fetchone()
        return Store(conn, from_cache=True)
    except (sqlite3.Error, OSError, ValueError):
        if conn is not None:
            conn.close()
        return None


def _build(found: LayerFiles) -> Store:
    from trafficking_ref.core import search

    kb, _warnings = load_knowledge(found)
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    conn.executemany(
        "INSERT INTO meta VALUES (?, ?)",
        [("format", FORMAT_VERSION), ("hash", kb.content_hash),
         ("kb", json.dumps(kb.to_dict(), ensure_ascii=False))],
    )
    search.build_index(conn, kb)
    conn.commit()
    return Store(conn, kb)


def _persist(store: Store, directory: Path, path: Path) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(prefix=".kb-", suffix=".tmp", dir=directory)
        os.close(fd)
        try:
            target = sqlite3.connect(tmp)
            with target:
                store.conn.backup(target)
            target.close()
            os.chmod(tmp, 0o600)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        old = sorted(directory.glob("kb-*.sqlite"), key=lambda p: p.stat().st_mtime, reverse=True)
        for stale in old[_KEEP:]:
            stale.unlink(missing_ok=True)
    except (OSError, sqlite3.Error):
        pass  # an unwritable cache only costs speed


def open_store(layers: list[Layer], *, use_cache: bool = True) -> Store:
    """Open the knowledge base of these layers, from the cache when it is current.

    Raises :class:`~trafficking_ref.loading.problems.KnowledgeError` when the files are invalid.
    """
    found = read_layer_files(layers)
    key = found.content_hash()
    use_cache = use_cache and not os.environ.get(ENV_NO_CACHE)
    directory = cache_dir() if use_cache else None
    path = directory / f"kb-{key[:32]}.sqlite" if directory else None
    if path is not None:
        cached = _try_cache(path, key)
        if cached is not None:
            return cached
    store = _build(found)
    if directory is not None and path is not None:
        _persist(store, directory, path)
    return store
