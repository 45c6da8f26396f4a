"""The validated knowledge base and its search index, cached in one SQLite file.

The cache is keyed by the content of every knowledge file of every layer, the layers' places, the
working directory (entries remember their file relative to it), and the program itself (its
version and the modules that validate and index), so any edit invalidates it. A cache hit imports
neither pydantic nor yaml and never decodes the knowledge base unless a command asks for it
(:attr:`Store.kb`). A corrupt, truncated, stale or unwritable cache falls back to a fresh load:
never a wrong answer, never an error. Files are written to a temporary name and renamed into
place, so processes building the cache at the same time never see each other's half-written
files. The cache holds only the knowledge base: never anything about a person.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import os
import sqlite3
import sys
from dataclasses import fields
from pathlib import Path
from typing import Any

from trafficking_ref.core.kb import KnowledgeBase, Origin, entry_from_dict
from trafficking_ref.loading.knowledge import (
    FORMAT_VERSION,
    Layer,
    LayerFiles,
    load_knowledge,
    read_layer_files,
)

ENV_CACHE_DIR = "TRAFFICKING_REF_CACHE_DIR"
ENV_NO_CACHE = "TRAFFICKING_REF_NO_CACHE"
APP_NAME = "trafficking-ref"
STORE_VERSION = "4"  # the layout of the cache file
_KEEP = 8
_SQLITE_MAGIC = b"SQLite format 3\x00"
# The modules whose code decides what a cached knowledge base contains.
_PROGRAM_DIRS = ("core", "loading")


def cache_dir() -> Path:
    """Where the cache lives: TRAFFICKING_REF_CACHE_DIR, else the user cache directory."""
    configured = os.environ.get(ENV_CACHE_DIR)
    if configured:
        return Path(configured)
    if sys.platform.startswith("linux"):  # the XDG rule, without importing platformdirs
        xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
        base = Path(xdg) if xdg else Path(os.path.expanduser("~/.cache"))
        return base / APP_NAME
    from platformdirs import user_cache_dir

    return Path(user_cache_dir(APP_NAME, appauthor=False))


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
            self._kb = _read_kb(self.conn)
        return self._kb


# --- the key ----------------------------------------------------------------------------------


def _program_fingerprint() -> bytes:
    """Size and modification time of the modules that validate and index (cheap: no reading).

    A release changes ``__version__``; this also catches a changed module in a checkout, so a
    knowledge base validated by older code is never served by newer code.
    """
    package = Path(__file__).resolve().parent.parent
    parts = []
    for name in _PROGRAM_DIRS:
        try:
            with os.scandir(package / name) as entries:
                for entry in entries:
                    if entry.name.endswith(".py"):
                        stat = entry.stat()
                        parts.append(f"{name}/{entry.name}:{stat.st_size}:{stat.st_mtime_ns}")
        except OSError:
            parts.append(f"{name}:?")
    return "\n".join(sorted(parts)).encode()


def cache_key(found: LayerFiles) -> str:
    """The content of every layer, and everything else that shapes the cached knowledge base."""
    digest = hashlib.blake2b(digest_size=20)
    digest.update(found.content_hash().encode())
    digest.update(f"\0{FORMAT_VERSION}\0{STORE_VERSION}\0{sqlite3.sqlite_version}\0".encode())
    try:
        cwd = os.getcwd()  # entries name their file relative to the working directory
    except OSError:
        cwd = "?"
    digest.update(cwd.encode("utf-8", "surrogateescape"))
    for layer in found.layers:
        place = os.path.abspath(layer.path)
        digest.update(f"\0{layer.depth}\0{layer.name}\0{place}".encode("utf-8", "surrogateescape"))
    digest.update(b"\0")
    digest.update(_program_fingerprint())
    return digest.hexdigest()


# --- reading the cache ------------------------------------------------------------------------


def _intact(path: Path) -> bool:
    """The file is a complete SQLite database: right header, and as long as it says it is."""
    try:
        with open(path, "rb") as handle:
            header = handle.read(100)
            size = os.fstat(handle.fileno()).st_size
    except OSError:
        return False
    if len(header) < 100 or not header.startswith(_SQLITE_MAGIC):
        return False
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    return page_size >= 512 and pages > 0 and size == page_size * pages


def _try_cache(path: Path, key: str) -> Store | None:
    if not _intact(path):
        return None
    conn = None
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        meta = dict(conn.execute(
            "SELECT key, value FROM meta WHERE key IN ('format', 'store', 'key', 'complete')"
        ))
        if (meta.get("format") != FORMAT_VERSION or meta.get("store") != STORE_VERSION
                or meta.get("key") != key or meta.get("complete") != "1"):
            conn.close()
            return None
        conn.execute("SELECT rowid FROM docs LIMIT 1").fetchall()
        conn.execute("SELECT rowid FROM fts LIMIT 1").fetchall()
        return Store(conn, from_cache=True)
    except (sqlite3.Error, OSError, ValueError):
        if conn is not None:
            conn.close()
        return None


# --- building it ------------------------------------------------------------------------------

_ALWAYS_LISTED = frozenset(("aliases", "ask", "cautions", "do", "dont"))
_STRINGS = frozenset(("tuple[str, ...]", "tuple[str, ...] | None", "Optional[tuple[str, ...]]"))
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}
# Per entry class: (field, kept when empty, a tuple of text) for each field but the origin.
_PLANS: dict[type, tuple[tuple[str, bool, bool], ...]] = {}


def _names(cls: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in fields(cls))
    return names


def _plan(cls: type) -> tuple[tuple[str, bool, bool], ...]:
    plan = _PLANS.get(cls)
    if plan is None:
        plan = _PLANS[cls] = tuple(
            (f.name, f.name in _ALWAYS_LISTED, str(f.type) in _STRINGS)
            for f in fields(cls) if f.name != "origin"
        )
    return plan


def _plain(value: Any) -> Any:
    if type(value) is tuple:
        return [_plain(v) for v in value]
    if hasattr(type(value), "__dataclass_fields__"):
        return {name: _plain(v) for name in _names(type(value))
                if (v := getattr(value, name)) is not None}
    return value


def entry_data(entry: Any) -> dict[str, Any]:
    """``kb.entry_to_dict(entry)``, without ``dataclasses.asdict``'s deep copies (10x faster)."""
    data = {}
    for name, keep_empty, strings in _plan(type(entry)):
        value = getattr(entry, name)
        if value is None or (value == () and not keep_empty):
            continue
        if strings and type(value) is tuple:
            data[name] = list(value)
        else:
            data[name] = _plain(value)
    return data


def _origin_columns(origin: Origin | None) -> tuple[Any, ...]:
    if origin is None:
        return (None, None, None, None)
    return (origin.layer, origin.file, origin.line, origin.depth)


def _write_rest(conn: sqlite3.Connection, kb: KnowledgeBase) -> None:
    """The entries that are not searched (sources, synonyms, rules), as the index keeps the rest."""
    from trafficking_ref.core.search import INDEXED

    dumps = json.JSONEncoder(ensure_ascii=False).encode
    conn.execute("CREATE TABLE entries (seq INTEGER PRIMARY KEY, collection TEXT, body TEXT, "
                 "layer TEXT, file TEXT, line INTEGER, depth INTEGER)")
    conn.executemany(
        "INSERT INTO entries (collection, body, layer, file, line, depth) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [(key, dumps(entry_data(e)), *_origin_columns(e.origin))
         for key, collection in kb.collections().items() if key not in INDEXED
         for e in collection.values()],
    )


def _read_kb(conn: sqlite3.Connection) -> KnowledgeBase:
    """Rebuild the knowledge base from a cache: the same entries, in the same order."""
    meta = dict(conn.execute("SELECT key, value FROM meta WHERE key IN ('layers', 'hash')"))
    kb = KnowledgeBase(layers=tuple(json.loads(meta["layers"])), content_hash=meta["hash"])
    collections = kb.collections()
    for table in ("entries", "docs"):
        rows = conn.execute(
            f"SELECT collection, body, layer, file, line, depth FROM {table} ORDER BY rowid"
        )
        for key, body, layer, file, line, depth in rows:
            origin = None if layer is None else Origin(layer, file, line, depth)
            entry = entry_from_dict(key, json.loads(body), origin)
            collections[key][entry.id] = entry
    return kb


def _build(found: LayerFiles, key: str) -> Store:
    from trafficking_ref.core import search

    # Tens of thousands of small objects and no cycles: the collector would only rescan them.
    collecting = gc.isenabled()
    gc.disable()
    try:
        kb, _warnings = load_knowledge(found)
        conn = sqlite3.connect(":memory:")
        conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
        search.build_index(conn, kb, entry_data)
        _write_rest(conn, kb)
        conn.executemany(
            "INSERT INTO meta VALUES (?, ?)",
            [("format", FORMAT_VERSION), ("store", STORE_VERSION), ("key", key),
             ("hash", kb.content_hash), ("layers", json.dumps(list(kb.layers))),
             ("complete", "1")],
        )
        conn.commit()
    finally:
        if collecting:
            gc.enable()
    return Store(conn, kb)


def _persist(store: Store, directory: Path, path: Path) -> None:
    import tempfile

    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(prefix=".kb-", suffix=".tmp", dir=directory)  # mode 0600
        os.close(fd)
        try:
            target = sqlite3.connect(tmp)
            try:
                with target:
                    store.conn.backup(target)
            finally:
                target.close()
            os.chmod(tmp, 0o600)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        _prune(directory)
    except (OSError, sqlite3.Error):
        pass  # an unwritable cache only costs speed


def _prune(directory: Path) -> None:
    """Keep the newest few cache files (other layers, other working directories)."""
    dated = []
    for candidate in directory.glob("kb-*.sqlite"):
        try:
            dated.append((candidate.stat().st_mtime, candidate))
        except OSError:
            continue  # another process removed it
    dated.sort(reverse=True)
    for _mtime, stale in dated[_KEEP:]:
        with contextlib.suppress(OSError):
            stale.unlink()


def open_store(layers: list[Layer], *, use_cache: bool = True) -> Store:
    """Open the knowledge base of these layers, from the cache when it is current.

    Raises :class:`~trafficking_ref.loading.problems.KnowledgeError` when the files are invalid.
    """
    found = read_layer_files(layers)
    use_cache = use_cache and not os.environ.get(ENV_NO_CACHE)
    directory = path = None
    key = cache_key(found)
    if use_cache:
        try:
            directory = cache_dir()
            path = directory / f"kb-{key[:32]}.sqlite"
        except (OSError, RuntimeError, ValueError):  # e.g. no home directory
            directory = path = None
    if path is not None:
        cached = _try_cache(path, key)
        if cached is not None:
            return cached
    store = _build(found, key)
    if directory is not None and path is not None:
        _persist(store, directory, path)
    return store
