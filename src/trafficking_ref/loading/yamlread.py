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

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from trafficking_ref.core.text import find_forbidden_character
from trafficking_ref.loading.limits import MAX_BYTES, MAX_DEPTH

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


@dataclass
class ReadResult:
    value: Any = None
    # path -> (line, col) of the value; key_marks: path -> (line, col) of the key naming it.
    marks: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    key_marks: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    problems: list[YamlProblem] = field(default_factory=list)


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


def read_yaml(data: bytes) -> ReadResult:
    """Parse ``data`` into plain Python values, or report why not."""
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
        _build(text, result)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        what = exc.problem or exc.context or "invalid YAML"
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


def _build(text: str, result: ReadResult) -> None:
    # One tight loop over the parser's events (a 10,000-entry file has ~360,000 of them):
    # dispatch on the exact event class, place scalars inline, build paths by concatenation.
    # Each frame: [container, path, pending_key, pending_key_mark, first_key_lines, is_list]
    stack: list[list[Any]] = []
    documents = 0
    root: Any = None
    marks = result.marks
    key_marks = result.key_marks
    no_key = _NO_KEY

    def fail(event: yaml.Event, code: str, message: str) -> None:
        mark = event.start_mark
        result.problems.append(YamlProblem(mark.line + 1, mark.column + 1, code, message))
        raise _Stop

    def place(event: yaml.Event, value: Any, mark: tuple[int, int]) -> Path_:
        """Put value into the current container; the path of the value (or of its mapping)."""
        nonlocal root
        if not stack:
            root = value
            marks[()] = mark
            return ()
        frame = stack[-1]
        container, path = frame[0], frame[1]
        if frame[5]:
            child = (*path, len(container))
            container.append(value)
            marks[child] = mark
            return child
        key = frame[2]
        if key is no_key:
            if not isinstance(value, str):
                fail(event, "non-string-key",
                     f"keys must be text; {type(value).__name__} key {value!r} found — "
                     "write a word such as 'title'")
            if value in container:
                fail(event, "duplicate-key",
                     f"key '{value}' appears twice in this mapping (first at line "
                     f"{frame[4][value]}) — keep one")
            frame[2] = value
            frame[3] = mark
            frame[4][value] = mark[0]
            return path
        child = (*path, key)
        container[key] = value
        marks[child] = mark
        key_marks[child] = frame[3]
        frame[2] = no_key
        return child

    scalar_event, mapping_start, sequence_start = (
        yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent)
    mapping_end, sequence_end = yaml.MappingEndEvent, yaml.SequenceEndEvent
    null_words, bools, int_match = _NULL_WORDS, _BOOL, _INT.match
    loader = _Loader(text)
    try:
        while loader.check_event():
            event = loader.get_event()
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
                start = event.start_mark
                mark = (start.line + 1, start.column + 1)
                if not stack:
                    place(event, value, mark)
                    continue
                frame = stack[-1]
                container = frame[0]
                if frame[5]:
                    child = (*frame[1], len(container))
                    container.append(value)
                    marks[child] = mark
                    continue
                key = frame[2]
                if key is no_key:
                    if type(value) is not str or value in container:
                        place(event, value, mark)  # reports the problem
                    frame[2] = value
                    frame[3] = mark
                    frame[4][value] = mark[0]
                    continue
                child = (*frame[1], key)
                container[key] = value
                marks[child] = mark
                key_marks[child] = frame[3]
                frame[2] = no_key
            elif kind is mapping_end or kind is sequence_end:
                stack.pop()
            elif kind is mapping_start or kind is sequence_start:
                if event.anchor is not None:
                    fail(event, "anchor",
                         f"anchor '&{event.anchor}' refused: anchors and aliases are not "
                         "allowed — remove it and write values out in full")
                if event.tag is not None and not event.implicit:
                    fail(event, "tag",
                         f"the YAML tag '{event.tag}' is refused: tags are not allowed — "
                         "remove it")
                if len(stack) >= MAX_DEPTH:
                    fail(event, "too-deep",
                         f"nesting is deeper than {MAX_DEPTH} levels — the knowledge files need "
                         "at most 5")
                is_list = kind is sequence_start
                container: Any = [] if is_list else {}
                if stack and not stack[-1][5] and stack[-1][2] is no_key:
                    fail(event, "non-string-key",
                         "keys must be text; a list or mapping is used as a key — "
                         "write a word such as 'title'")
                start = event.start_mark
                path = place(event, container, (start.line + 1, start.column + 1))
                stack.append([container, path, no_key, None, {}, is_list])
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
