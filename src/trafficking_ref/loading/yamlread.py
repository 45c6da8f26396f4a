"""Read one YAML knowledge file safely, remembering where every key and value stands.

The C parser (when present) turns the text into events; this module builds the Python values from
those events itself, so that:

- tags (``!!python/object``, ``!foo``) never construct anything: they are refused;
- anchors and aliases are refused (no "billion laughs");
- duplicate keys and keys that are not text are refused;
- nesting deeper than :data:`MAX_DEPTH` is refused without recursion;
- plain scalars follow the YAML 1.2 core schema, not YAML 1.1: ``no``, ``on``, ``1.10`` and
  ``2024-01-01`` stay text; only ``true``/``false``, whole numbers and ``null``/empty convert;
- every problem carries its 1-based line and column.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from trafficking_ref.core.text import find_forbidden_character
from trafficking_ref.loading.limits import MAX_BYTES, MAX_DEPTH

TOO_DEEP = f"nesting is deeper than {MAX_DEPTH} levels — the knowledge files need at most 5"

try:  # pragma: no cover - depends on how PyYAML was built
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader

Path_ = tuple[str | int, ...]

_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$")
_NULL_WORDS = frozenset(("~", "null", "Null", "NULL", ""))


@dataclass
class YamlProblem:
    line: int
    col: int
    code: str
    message: str


SHALLOW = 2  # read_yaml(..., all_marks=False) still records the marks of paths this long


@dataclass
class ReadResult:
    value: Any = None
    problems: list[YamlProblem] = field(default_factory=list)
    # path -> (line, col) of the value; key marks: path -> (line, col) of the key naming it.
    _marks: dict[Path_, tuple[int, int]] = field(default_factory=dict, repr=False)
    _key_marks: dict[Path_, tuple[int, int]] = field(default_factory=dict, repr=False)
    _unmarked: str | None = field(default=None, repr=False)  # text whose deep marks are owed

    @property
    def marks(self) -> dict[Path_, tuple[int, int]]:
        """Where each value starts, by path (``()`` is the document)."""
        self._complete()
        return self._marks

    @property
    def key_marks(self) -> dict[Path_, tuple[int, int]]:
        """Where the key naming each mapping value starts, by the value's path."""
        self._complete()
        return self._key_marks

    def shallow_mark(self, path: Path_, default: tuple[int, int]) -> tuple[int, int]:
        """The mark of a path of at most :data:`SHALLOW` parts, without completing the marks."""
        if len(path) > SHALLOW:
            return self.marks.get(path, default)
        return self._marks.get(path, default)

    def _complete(self) -> None:
        """Read the text again, recording every mark (only when they were skipped)."""
        text, self._unmarked = self._unmarked, None
        if text is None:
            return
        full = ReadResult()
        with contextlib.suppress(yaml.YAMLError):  # the error the first reading reported
            _build(text, full, True)
        self._marks, self._key_marks = full._marks, full._key_marks


def _position(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    col = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, col


def decode(data: bytes) -> tuple[str | None, YamlProblem | None]:
    """Decode UTF-8 (with or without a byte-order mark), locating the first bad byte."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start].decode("utf-8", errors="replace")
        line, col = _position(before, len(before))
        return None, YamlProblem(
            line, col, "encoding",
            f"byte 0x{data[exc.start]:02X} is not UTF-8 — save the file as UTF-8",
        )
    bad = find_forbidden_character(text.replace("\r", "").replace("\t", " "))
    if bad is not None:
        # Find the character in the original text for an exact position.
        index = text.find(bad[1])
        line, col = _position(text, index)
        return None, YamlProblem(
            line, col, "control-character",
            f"the control character U+{ord(bad[1]):04X} is not allowed in a knowledge file — "
            "remove it (it may be invisible in your editor)",
        )
    return text, None


def read_yaml(data: bytes, *, all_marks: bool = True) -> ReadResult:
    """Parse ``data`` into plain Python values, or report why not.

    With ``all_marks=False`` only the marks of short paths (the entries of a knowledge file) are
    recorded while reading; the others are recorded by a second reading, the first time
    :attr:`ReadResult.marks` or :attr:`ReadResult.key_marks` is used (to locate a problem). A
    large valid file is read about a fifth faster.
    """
    result = ReadResult()
    if len(data) > MAX_BYTES:
        result.problems.append(YamlProblem(
            1, 1, "too-large",
            f"the file is {len(data):,} bytes; the limit is {MAX_BYTES:,} bytes (16 MiB) — "
            "split it into a local layer or remove entries",
        ))
        return result
    text, problem = decode(data)
    if problem is not None or text is None:
        result.problems.append(problem or YamlProblem(1, 1, "encoding", "unreadable"))
        return result
    try:
        if all_marks:
            _build(text, result, True)
        else:
            result._unmarked = text
            try:
                _build(text, result, False)
            except _Redo:
                result = ReadResult()
                _build(text, result, True)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        what = exc.problem or exc.context or "invalid YAML"
        if "maximum nesting depth" in what:
            # Newer PyYAML/libyaml builds scan ahead and stop at their own depth limit (1000)
            # before our event check sees level 33: the same problem for the maintainer.
            result.problems.append(YamlProblem(line, col, "too-deep", TOO_DEEP))
            result.value = None
            return result
        lines = text.splitlines()
        line_text = lines[line - 1] if 0 < line <= len(lines) else ""
        hint = ""
        if "\\t" in what or "\t" in line_text[: max(col, 1)]:
            hint = " — indent with spaces, not tabs"
        elif "mapping values are not allowed" in what:
            hint = " — a value containing ': ' needs quotes"
        elif "could not find expected ':'" in what:
            hint = " — every key needs a ':' after it"
        result.problems.append(YamlProblem(line, col, "yaml-syntax", f"{what}{hint}"))
        result.value = None
    except yaml.YAMLError as exc:  # pragma: no cover - unmarked reader errors
        result.problems.append(YamlProblem(1, 1, "yaml-syntax", str(exc).splitlines()[0]))
        result.value = None
    return result


class _Stop(Exception):
    pass


class _Redo(Exception):
    """A problem whose message needs the marks that were skipped: read again with all marks."""


def _build(text: str, result: ReadResult, all_marks: bool) -> None:
    # One tight loop over the parser's events (a 10,000-entry file has ~360,000 of them): the
    # current container lives in local variables, events are told apart by their exact class,
    # and scalars are placed inline.
    root: Any = None
    marks = result._marks
    key_marks = result._key_marks
    no_key = _NO_KEY
    # The current container, its path, whether it is a list, and (for a mapping) the key read
    # but not yet given a value, with the key's mark. Parents wait on ``stack``.
    container: Any = None
    path: Path_ = ()
    is_list = False
    pending: Any = no_key
    pending_mark: tuple[int, int] = (1, 1)
    stack: list[tuple[Any, Path_, bool]] = []
    depth = 0  # containers open; 0 means the next value is the document's root
    track = True  # record the marks of the current container's values (path length <= depth)
    documents = 0

    def fail(event: yaml.Event, code: str, message: str) -> None:
        mark = event.start_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        result.problems.append(YamlProblem(line, col, code, message))
        raise _Stop

    def check_key(event: yaml.Event, value: Any) -> None:
        if not isinstance(value, str):
            fail(event, "non-string-key",
                 f"keys must be text; {type(value).__name__} key {value!r} found — "
                 "write a word such as 'title'")
        if value in container:
            if not all_marks:
                raise _Redo
            first_path = (*path, value)
            first = key_marks[first_path][0]
            fail(event, "duplicate-key",
                 f"key '{value}' appears twice in this mapping (first at line {first}) — "
                 "keep one")

    scalar_event, mapping_start, sequence_start = (
        yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent)
    mapping_end, sequence_end = yaml.MappingEndEvent, yaml.SequenceEndEvent
    null_words, bools, int_match = _NULL_WORDS, _BOOL, _INT.match
    loader = _Loader(text)
    next_event = loader.get_event
    try:
        while loader.check_event():
            event = next_event()
            kind = type(event)
            if kind is scalar_event:
                if event.anchor is not None:
                    fail(event, "anchor",
                         f"anchor '&{event.anchor}' refused: anchors and aliases are not "
                         "allowed — remove it and write values out in full")
                if event.tag is not None:
                    fail(event, "tag",
                         f"the YAML tag '{event.tag}' is refused: tags are not allowed — "
                         "remove it")
                value = event.value
                if event.implicit[0] and not event.style:  # plain: YAML 1.2 core schema
                    if value in null_words:
                        value = None
                    elif value in bools:
                        value = bools[value]
                    elif value[0] in "+-0123456789" and int_match(value):
                        value = int(value)
                if is_list:
                    if track:
                        start = event.start_mark
                        child = (*path, len(container))
                        marks[child] = (start.line + 1, start.column + 1)
                    container.append(value)
                elif pending is not no_key:
                    if track:
                        start = event.start_mark
                        child = (*path, pending)
                        marks[child] = (start.line + 1, start.column + 1)
                        key_marks[child] = pending_mark
                    container[pending] = value
                    pending = no_key
                elif depth:
                    if type(value) is not str or value in container:
                        check_key(event, value)
                    pending = value
                    if track:
                        start = event.start_mark
                        pending_mark = (start.line + 1, start.column + 1)
                else:
                    root = value
                    start = event.start_mark
                    marks[()] = (start.line + 1, start.column + 1)
            elif kind is mapping_end or kind is sequence_end:
                container, path, is_list = stack.pop()
                depth -= 1
                track = all_marks or depth <= SHALLOW
            elif kind is mapping_start or kind is sequence_start:
                if event.anchor is not None:
                    fail(event, "anchor",
                         f"anchor '&{event.anchor}' refused: anchors and aliases are not "
                         "allowed — remove it and write values out in full")
                if event.tag is not None and not event.implicit:
                    fail(event, "tag",
                         f"the YAML tag '{event.tag}' is refused: tags are not allowed — "
                         "remove it")
                if depth >= MAX_DEPTH:
                    fail(event, "too-deep", TOO_DEEP)
                new: Any = [] if kind is sequence_start else {}
                start = event.start_mark
                mark = (start.line + 1, start.column + 1)
                if is_list:
                    child = (*path, len(container))
                    container.append(new)
                    if track:
                        marks[child] = mark
                elif pending is not no_key:
                    child = (*path, pending)
                    container[pending] = new
                    if track:
                        marks[child] = mark
                        key_marks[child] = pending_mark
                    pending = no_key
                elif depth:
                    fail(event, "non-string-key",
                         "keys must be text; a list or mapping is used as a key — "
                         "write a word such as 'title'")
                else:
                    root = new
                    child = ()
                    marks[()] = mark
                stack.append((container, path, is_list))
                container, path, is_list = new, child, kind is sequence_start
                depth += 1
                track = all_marks or depth <= SHALLOW
            elif kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    fail(event, "multiple-documents",
                         "the file holds more than one YAML document ('---') — keep one")
            elif kind is yaml.AliasEvent:
                fail(event, "alias",
                     f"alias '*{event.anchor}' refused: anchors and aliases are not allowed — "
                     "write the value out in full")
    except _Stop:
        result.value = None
        return
    finally:
        loader.dispose()
    result.value = root


class _NoKey:
    def __repr__(self) -> str:  # pragma: no cover
        return "<no key>"


_NO_KEY = _NoKey()
