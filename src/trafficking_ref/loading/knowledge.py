"""Load the knowledge base: find the layers, read and validate every file, merge the layers.

Every problem in every file is collected (not only the first) and located to file:line:col.
"""

from __future__ import annotations

import difflib
import errno
import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trafficking_ref import __version__
from trafficking_ref.core import vocab
from trafficking_ref.loading.limits import MAX_BYTES
from trafficking_ref.loading.problems import KnowledgeError, LayerError, Problem

if TYPE_CHECKING:
    from trafficking_ref.core.kb import KnowledgeBase, Origin
    from trafficking_ref.loading.yamlread import ReadResult

ENV_DATA_DIR = "TRAFFICKING_REF_DATA_DIR"
_POOL = {"source": "sources", "guidance": "guidance"}
# Replaces the built-in layer (for tests and for agencies that ship a whole knowledge base).
ENV_BUILTIN_DIR = "TRAFFICKING_REF_BUILTIN_DIR"
FORMAT_VERSION = "3"


@dataclass(frozen=True)
class Layer:
    name: str
    path: Path
    depth: int


@dataclass
class LayerFiles:
    """The knowledge files found in the layers, with their bytes, read once."""

    layers: list[Layer]
    files: list[tuple[Layer, str, Path, bytes | None]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def content_hash(self) -> str:
        digest = hashlib.blake2b(digest_size=20)
        digest.update(f"{FORMAT_VERSION}\0{__version__}\0".encode())
        for layer, key, _path, data in self.files:
            digest.update(f"{layer.depth}\0{layer.name}\0{key}\0".encode())
            digest.update(b"-" if data is None else hashlib.blake2b(data).digest())
        return digest.hexdigest()


def builtin_data_dir() -> Path:
    """The built-in knowledge files: inside the installed package, or data/ in a checkout."""
    here = Path(__file__).resolve().parent.parent
    packaged = here / "data"
    if packaged.is_dir():  # an installed wheel (whichever knowledge files it holds)
        return packaged
    return here.parent.parent / "data"


def resolve_layers(data_dirs: list[str], environ: dict[str, str] | None = None) -> list[Layer]:
    """The built-in layer, then the ones from the environment, then ``--data-dir`` ones."""
    env = os.environ if environ is None else environ
    builtin = env.get(ENV_BUILTIN_DIR)
    if builtin and not Path(builtin).is_dir():
        raise LayerError(f"the built-in data directory '{builtin}' is not a directory")
    layers = [Layer(vocab.BUILT_IN, Path(builtin) if builtin else builtin_data_dir(), 0)]
    paths = [p for p in env.get(ENV_DATA_DIR, "").split(os.pathsep) if p.strip()]
    paths += list(data_dirs)
    for raw in paths:
        path = Path(raw).expanduser()
        if not path.exists():
            raise LayerError(f"the data directory '{raw}' does not exist")
        if not path.is_dir():
            raise LayerError(f"the data directory '{raw}' is not a directory")
        layers.append(Layer(str(path), path, len(layers)))
    return layers


def read_layer_files(layers: list[Layer]) -> LayerFiles:
    found = LayerFiles(layers)
    known = set(vocab.FILES.values())
    for layer in layers:
        for key, name in vocab.FILES.items():
            path = layer.path / name
            why = None
            try:
                info = path.stat()
                if not stat.S_ISREG(info.st_mode):
                    why = "it is not a regular file (a directory, device or pipe)"
                else:
                    size = info.st_size
                    data = None if size > MAX_BYTES else path.read_bytes()
            except FileNotFoundError:
                if not path.is_symlink():
                    continue  # a layer holds only the files it needs
                why = "it is a symbolic link to nothing"
            except OSError as exc:
                why = exc.strerror or str(exc)
                if exc.errno == errno.ELOOP:
                    why += " (a symbolic link that points back to itself?)"
            if why is not None:
                found.problems.append(Problem(
                    _display(path), 1, 1, "file", f"cannot be read: {why}", "unreadable"
                ))
                # Listed without content, so a cache of the layer without it is not used.
                found.files.append((layer, key, path, None))
                continue
            if data is None:
                found.problems.append(Problem(
                    _display(path), 1, 1, "file",
                    f"the file is {size:,} bytes; the limit is {MAX_BYTES:,} bytes (16 MiB) — "
                    "split it or remove entries", "too-large",
                ))
            found.files.append((layer, key, path, data))
        if layer.depth == 0:
            continue
        try:
            names = sorted(p.name for p in layer.path.iterdir())
        except OSError:
            names = []
        for name in names:
            if name.endswith((".yaml", ".yml")) and name not in known:
                close = difflib.get_close_matches(name, sorted(known), n=1)
                hint = f" — did you mean '{close[0]}'?" if close else (
                    f" — knowledge files are named: {', '.join(sorted(known))}")
                found.problems.append(Problem(
                    _display(layer.path / name), 1, 1, "file",
                    f"not a knowledge file, so it is ignored{hint}", "unknown-file", "warning",
                ))
    return found


def _display(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # pragma: no cover - another drive on Windows
        return str(path)


# --- validation -------------------------------------------------------------------------------


@dataclass
class _Ref:
    file: str
    read: ReadResult  # located only when reported: most references are fine
    path: tuple[Any, ...]
    where: str
    what: str  # "source" or "guidance"
    target: str
    depth: int

    @property
    def line(self) -> int:
        return _locate(self.read, self.path, False)[0]

    @property
    def col(self) -> int:
        return _locate(self.read, self.path, False)[1]


@dataclass
class _Loaded:
    key: str
    data: dict[str, Any]
    origin: Origin
    where: str
    col: int


def _field_names(key: str, loc: tuple[Any, ...] = ()) -> list[str]:
    """The keys allowed where the unknown key stands: in an entry, a contact or a rule's 'when'."""
    from trafficking_ref.core import models

    model: Any = models.ENTRY_MODELS[key]
    if key == "referrals" and "contacts" in loc[:-1]:
        model = models.Contact
    elif key == "assessment_rules" and "when" in loc[:-1]:
        model = models.RuleCondition
    return sorted(model.model_fields)


_ECHO = 60  # characters of a wrong value quoted back in a message


def _clip(value: object) -> str:
    """A value quoted in a message, cut short: a one-megabyte mistake gets a one-line message."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) <= _ECHO:
        return text
    return f"{text[:_ECHO]}… ({len(text):,} characters)"


def _suggest(word: str, options: list[str]) -> str:
    close = difflib.get_close_matches(str(word), options, n=1, cutoff=0.6)
    return f" — did you mean '{close[0]}'?" if close else ""


def _describe(err: Any, key: str) -> tuple[str, str]:
    """Message and code for one pydantic error, in maintainers' words."""
    kind = err["type"]
    loc = err["loc"]
    value = err.get("input")
    last = loc[-1] if loc else ""
    if kind == "extra_forbidden":
        names = _field_names(key, tuple(loc))
        hint = _suggest(str(last), names) or f" — allowed keys here: {', '.join(names)}"
        return f"unknown key '{_clip(str(last))}'{hint}", "unknown-key"
    if kind == "missing":
        return f"required key '{last}' is missing — add '{last}: ...'", "missing"
    if kind == "literal_error":
        allowed = err.get("ctx", {}).get("expected", "")
        options = [o.strip(" '") for o in allowed.replace(" or ", ", ").split(",")]
        hint = _suggest(str(value), options) if len(str(value)) <= _ECHO else ""
        return f"'{_clip(str(value))}' is not allowed; use one of {allowed}{hint}", "bad-value"
    if kind == "string_type":
        shown = "nothing" if value is None else f"{type(value).__name__} {_clip(repr(value))}"
        return f"expected text, found {shown} — write the text (quote it if it looks like a " \
            "number)", "wrong-type"
    if kind == "bool_type":
        return f"expected true or false, found {_clip(repr(value))}", "wrong-type"
    if kind in ("int_type", "int_parsing"):
        return f"expected a whole number, found {_clip(repr(value))}", "wrong-type"
    if kind == "list_type":
        return "expected a list — write it as [a, b] or as lines starting with '- '", "wrong-type"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return "expected a mapping of keys and values (key: value)", "wrong-type"
    if kind in ("date_from_datetime_parsing", "date_parsing", "date_type"):
        return f"'{_clip(str(value))}' is not a date — write it as YYYY-MM-DD", "bad-value"
    if kind == "too_short":
        return "must not be empty — add at least one item", "missing"
    if kind == "string_too_long":
        limit = err.get("ctx", {}).get("max_length")
        return f"is too long (the limit is {limit} characters) — shorten it", "too-long"
    if kind == "string_pattern_mismatch" and last == "country":
        return f"'{_clip(str(value))}' is not a two-letter country code (ISO 3166-1 alpha-2, " \
            "e.g. US, GB) " \
            "or EU", "bad-value"
    if kind in ("greater_than_equal", "less_than_equal"):
        return f"{_clip(repr(value))} is out of range: {err['msg'].lower()}", "bad-value"
    message = err["msg"]
    if isinstance(value, str) and len(value) > _ECHO:  # custom messages quote the value
        message = message.replace(value, _clip(value))
    return message[0].lower() + message[1:], kind.replace("_", "-")


def _loc_text(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _locate(read: ReadResult, path: tuple[Any, ...], key_first: bool) -> tuple[int, int]:
    if key_first and path in read.key_marks:
        return read.key_marks[path]
    probe = path
    while probe:
        if probe in read.marks:
            return read.marks[probe]
        probe = probe[:-1]
    return read.marks.get((), (1, 1))


def _validate_file(
    layer: Layer, key: str, path: Path, data: bytes, problems: list[Problem],
    refs: list[_Ref], loaded: list[_Loaded],
) -> None:
    from pydantic import ValidationError

    from trafficking_ref.core import models
    from trafficking_ref.core.kb import Origin
    from trafficking_ref.loading.yamlread import read_yaml

    shown = _display(path)
    read = read_yaml(data, all_marks=False)  # the other marks are read when a problem needs them
    for p in read.problems:
        problems.append(Problem(shown, p.line, p.col, "file", p.message, p.code))
    if read.problems:
        return
    top = read.value
    if not isinstance(top, dict):
        what = "empty" if top is None else f"a {type(top).__name__}"
        line, col = read.marks.get((), (1, 1))
        problems.append(Problem(
            shown, line, col, "file",
            f"the top level is {what}; it must be a mapping whose one key is '{key}:' holding a "
            "list of entries", "not-a-mapping",
        ))
        return
    for extra in top:
        if extra != key:
            line, col = read.key_marks.get((extra,), (1, 1))
            problems.append(Problem(
                shown, line, col, "file",
                f"unknown top-level key '{extra}' — this file holds only '{key}:'"
                + (_suggest(extra, [key]) if _suggest(extra, [key]) else ""),
                "unknown-key",
            ))
    if key not in top:
        problems.append(Problem(
            shown, 1, 1, "file", f"the top-level key '{key}:' is missing", "missing"
        ))
        return
    entries = top[key]
    if entries is None:
        return
    if not isinstance(entries, list):
        line, col = read.marks.get((key,), (1, 1))
        problems.append(Problem(
            shown, line, col, key, "must hold a list of entries, each starting with '- '",
            "wrong-type",
        ))
        return
    model = models.ENTRY_MODELS[key]
    kind = vocab.KIND_OF_KEY[key]
    for index, raw in enumerate(entries):
        line, col = read.shallow_mark((key, index), (1, 1))
        entry_id = raw.get("id") if isinstance(raw, dict) else None
        where = (f"{kind} '{_clip(entry_id)}'" if isinstance(entry_id, str)
                 else f"{key}[{index}]")
        try:
            entry = model.model_validate(raw)
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                loc = (key, index, *err["loc"])
                e_line, e_col = _locate(read, loc, err["type"] == "extra_forbidden")
                message, code = _describe(err, key)
                inner = _loc_text(tuple(err["loc"]))
                problems.append(Problem(
                    shown, e_line, e_col, f"{where}, key '{inner}'" if inner else where,
                    message, code,
                ))
            continue
        data_dict = entry.model_dump(mode="json")
        for i, source_id in enumerate(data_dict.get("sources", [])):
            refs.append(_Ref(shown, read, (key, index, "sources", i), where, "source",
                             source_id, layer.depth))
        for i, step in enumerate(data_dict.get("next_steps", []) or []):
            refs.append(_Ref(shown, read, (key, index, "next_steps", i), where, "guidance", step,
                             layer.depth))
        if key == "referrals":
            _check_contacts(data_dict, read, (key, index), shown, where, problems)
        loaded.append(_Loaded(key, data_dict, Origin(layer.name, shown, line, layer.depth),
                              where, col))


def _check_contacts(
    referral: dict[str, Any], read: ReadResult, base: tuple[Any, ...], shown: str, where: str,
    problems: list[Problem],
) -> None:
    from trafficking_ref.core.phones import check_contact

    for i, contact in enumerate(referral["contacts"]):
        message = check_contact(contact, referral["country"])
        if message:
            line, col = _locate(read, (*base, "contacts", i, "value"), False)
            problems.append(Problem(
                shown, line, col, f"{where}, key 'contacts[{i}].value'", message, "contact"
            ))


def load_knowledge(found: LayerFiles) -> tuple[KnowledgeBase, list[Problem]]:
    """Validate and merge every layer. Raises KnowledgeError when any error is found."""
    from trafficking_ref.core.kb import KnowledgeBase, entry_from_dict

    problems: list[Problem] = list(found.problems)
    refs: list[_Ref] = []
    loaded: list[_Loaded] = []
    unreadable: set[str] = set()
    for layer, key, path, data in found.files:
        before = len(problems)
        if data is not None:
            _validate_file(layer, key, path, data, problems, refs, loaded)
        if data is None or any(p.where == "file" for p in problems[before:]):
            unreadable.add(key)  # its ids are unknown, so references to them are not checked

    kb = KnowledgeBase(
        layers=tuple(layer.name for layer in found.layers), content_hash=found.content_hash()
    )
    collections = kb.collections()
    seen_in_layer: dict[tuple[int, str], _Loaded] = {}
    owner: dict[str, str] = {}
    for item in loaded:
        entry_id = item.data["id"]
        first = seen_in_layer.get((item.origin.depth, entry_id))
        if first is not None:
            problems.append(Problem(
                item.origin.file, item.origin.line, item.col, item.where,
                f"the id '{entry_id}' is already used at {first.origin.file}:{first.origin.line} "
                "— ids must be unique; rename one", "duplicate-id",
            ))
            continue
        seen_in_layer[(item.origin.depth, entry_id)] = item
        if entry_id in owner and owner[entry_id] != item.key:
            problems.append(Problem(
                item.origin.file, item.origin.line, item.col, item.where,
                f"the id '{entry_id}' belongs to a {vocab.KIND_OF_KEY[owner[entry_id]]} in a "
                "lower layer; a layer can only replace an entry of the same kind — rename it",
                "id-clash",
            ))
            continue
        owner[entry_id] = item.key
        collections[item.key][entry_id] = entry_from_dict(item.key, item.data, item.origin)

    for ref in refs:
        if _POOL[ref.what] in unreadable:
            continue
        pool = kb.sources if ref.what == "source" else kb.guidance
        if ref.target not in pool:
            hint = _suggest(ref.target, list(pool))
            problems.append(Problem(
                ref.file, ref.line, ref.col, ref.where,
                f"unknown {ref.what} id '{ref.target}'"
                + (hint or f" — add it to {vocab.FILES[_POOL[ref.what]]}"),
                f"unknown-{ref.what}",
            ))
    if any(p.severity == "error" for p in problems):
        raise KnowledgeError(problems)
    return kb, problems
