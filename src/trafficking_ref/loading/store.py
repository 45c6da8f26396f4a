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
import zlib
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trafficking_ref import __version__
from trafficking_ref.loading.knowledge import (
    FORMAT_VERSION,
    Layer,
    LayerFiles,
    load_knowledge,
    read_layer_files,
)

if TYPE_CHECKING:  # a cache hit for a search never needs the entry classes
    from trafficking_ref.core.kb import KnowledgeBase, Origin

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
    """The content of every layer, and everything else that shapes the cached knowledge base.

    Covers what ``found.content_hash()`` covers (with SHA-256, twice as fast here as BLAKE2 on
    a large layer), plus where the layers are and the working directory.
    """
    digest = hashlib.sha256()
    digest.update(f"{FORMAT_VERSION}\0{STORE_VERSION}\0{__version__}\0".encode())
    digest.update(f"{sqlite3.sqlite_version}\0".encode())
    try:
        cwd = os.getcwd()  # entries name their file relative to the working directory
    except OSError:
        cwd = "?"
    digest.update(cwd.encode("utf-8", "surrogateescape"))
    for layer in found.layers:
        place = os.path.abspath(layer.path)
        digest.update(f"\0{layer.depth}\0{layer.name}\0{place}".encode("utf-8", "surrogateescape"))
    for layer, key, _path, data in found.files:
        digest.update(f"\0{layer.depth}\0{key}\0".encode())
        digest.update(b"-" if data is None else hashlib.sha256(data).digest())
    digest.update(b"\0")
    digest.update(_program_fingerprint())
    return digest.hexdigest()


# --- reading the cache ------------------------------------------------------------------------


def _sound(image: Any) -> bool:
    """A whole SQLite database written by :func:`_persist` (``image``: its bytes or a memory
    map): as long as its header says, and its pages match the checksum that :func:`_persist`
    keeps in the header's user-version field."""
    if len(image) < 512 or image[:16] != _SQLITE_MAGIC:
        return False
    page_size = int.from_bytes(image[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(image[28:32], "big")
    if page_size < 512 or pages < 1 or len(image) != page_size * pages:
        return False
    with memoryview(image) as view:
        return zlib.crc32(view[100:]) == int.from_bytes(image[60:64], "big")


def _intact(path: Path) -> bool:
    """The cache file is whole and unchanged since it was written (read through a memory map:
    checking a 10 MB file costs about 3 ms)."""
    import mmap

    try:
        with open(path, "rb") as handle:
            if os.fstat(handle.fileno()).st_size < 512:
                return False
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as image:
                return _sound(image)
    except (OSError, ValueError):
        return False


def _try_cache(path: Path, key: str) -> Store | None:
    if not _intact(path):
        return None
    # A process that replaces the file meanwhile writes the same content (same key).
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
# Field types whose values JSON writes as they are (a tuple of text becomes an array).
_AS_IS = frozenset((
    "str", "int", "bool", "str | None", "int | None", "bool | None", "Optional[str]",
    "Optional[int]", "Optional[bool]", "tuple[str, ...]", "tuple[str, ...] | None",
    "Optional[tuple[str, ...]]",
))
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}
_CONVERTERS: dict[type, Callable[[Any], dict[str, Any]]] = {}


def _names(cls: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in fields(cls))
    return names


def _plain(value: Any) -> Any:
    if type(value) is tuple:
        return [_plain(v) for v in value]
    if hasattr(type(value), "__dataclass_fields__"):
        return {name: _plain(v) for name in _names(type(value))
                if (v := getattr(value, name)) is not None}
    return value


def _converter(cls: type) -> Callable[[Any], dict[str, Any]]:
    """A function made for ``cls`` (as dataclasses make ``__init__``) that writes an entry the
    way :func:`entry_to_dict` does; about four times faster than a loop over the fields."""
    lines = ["def convert(e):", "    d = {}"]
    for f in fields(cls):
        if f.name == "origin" or not f.name.isidentifier():
            continue
        keep = "v is not None" if f.name in _ALWAYS_LISTED else "v is not None and v != ()"
        value = "v" if str(f.type) in _AS_IS else "_plain(v)"
        lines += [f"    v = e.{f.name}", f"    if {keep}:", f"        d[{f.name!r}] = {value}"]
    lines.append("    return d")
    namespace: dict[str, Any] = {"_plain": _plain}
    exec("\n".join(lines), namespace)  # field names of our own dataclasses only
    return namespace["convert"]  # type: ignore[no-any-return]


def entry_json(entry: Any) -> dict[str, Any]:
    """The entry as JSON will write it: ``json.loads(json.dumps(entry_json(e)))`` equals
    ``entry_to_dict(e)``, key order included (tuples of text stay tuples: JSON arrays)."""
    cls = type(entry)
    convert = _CONVERTERS.get(cls)
    if convert is None:
        convert = _CONVERTERS[cls] = _converter(cls)
    return convert(entry)


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
        [(key, dumps(entry_json(e)), *_origin_columns(e.origin))
         for key, collection in kb.collections().items() if key not in INDEXED
         for e in collection.values()],
    )


def _read_kb(conn: sqlite3.Connection) -> KnowledgeBase:
    """Rebuild the knowledge base from a cache: the same entries, in the same order."""
    from trafficking_ref.core.kb import KnowledgeBase, Origin, entry_from_dict

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
    """Validate the layers and build the index, in memory.

    The cyclic garbage collector is paused meanwhile (a large layer makes hundreds of thousands
    of objects, none in cycles, which it would only rescan) and everything built is then frozen
    (``gc.freeze()``) so that no later collection, nor the one at exit, walks it again: about
    90 ms on a 10,000-entry layer. In a long-lived process this means cyclic garbage that
    existed at that moment is not reclaimed; the program is a short-lived command.
    """
    from trafficking_ref.core import search

    collecting = gc.isenabled()
    gc.disable()
    try:
        kb, _warnings = load_knowledge(found)
        conn = sqlite3.connect(":memory:")
        conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
        search.build_index(conn, kb, entry_json)
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
            gc.freeze()  # what was built lives until the program ends: never rescan it
            gc.enable()
    return Store(conn, kb)


def _image(conn: sqlite3.Connection, directory: Path) -> bytes:
    """The bytes of the in-memory database, as a database file."""
    if hasattr(conn, "serialize"):  # Python 3.11+
        return bytes(conn.serialize())
    import tempfile  # pragma: no cover - Python 3.10

    fd, name = tempfile.mkstemp(prefix=".kb-", suffix=".tmp", dir=directory)
    os.close(fd)
    try:
        target = sqlite3.connect(name)
        try:
            with target:
                conn.backup(target)
        finally:
            target.close()
        return Path(name).read_bytes()
    finally:
        os.unlink(name)


def _persist(store: Store, directory: Path, path: Path) -> None:
    """Write the cache file: to a private temporary name, then renamed into place."""
    import tempfile

    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        image = bytearray(_image(store.conn, directory))
        if not image.startswith(_SQLITE_MAGIC):
            return
        image[60:64] = zlib.crc32(memoryview(image)[100:]).to_bytes(4, "big")
        fd, tmp = tempfile.mkstemp(prefix=".kb-", suffix=".tmp", dir=directory)  # mode 0600
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(image)
            os.chmod(tmp, 0o600)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        _prune(directory)
    except (OSError, sqlite3.Error, MemoryError):
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
