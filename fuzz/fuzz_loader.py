#!/usr/bin/env python3
"""Fuzz the knowledge-file loader and the answers-file reader (by hand; not run in CI).

With atheris (coverage-guided, libFuzzer)::

    pip install atheris
    python fuzz/fuzz_loader.py -max_total_time=600 -print_final_stats=1 [CORPUS_DIR]

(``-dict=fuzz/yaml.dict`` and ``-max_len=8192`` are added unless given; without a corpus
directory the seeds are written to a temporary one.)

Without atheris, the same target is driven by hypothesis::

    python fuzz/fuzz_loader.py --hypothesis --examples 20000

The first byte of each input picks the target: one of the seven knowledge files, placed in a
local layer on top of ``tests/fixtures/mini-kb`` and validated with the rest, or (8th) an
answers file for ``checklist --answers``. The rest of the input is the file's bytes. The seeds
are the real knowledge base, the test fixtures and the ``tests/fixtures/invalid`` cases.

What counts as a finding (the guarantees in docs/robustness.md):

- any exception other than ``KnowledgeError`` (loader) or a clean exit (answers file);
- a problem without a 1-based line and column, or whose text spans several lines or runs
  longer than 2,000 characters (a quoted megabyte);
- an accepted knowledge base holding a control or direction-override character, or a value
  that is not text, a whole number, true/false or null (a YAML 1.1 date or float slipping in);
- the fast reading of a file (marks skipped) disagreeing with the full one.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MINI_KB = ROOT / "tests" / "fixtures" / "mini-kb"
MAX_PROBLEM = 2000

try:
    import atheris
except ImportError:  # pragma: no cover - the hypothesis mode does without it
    atheris = None

if atheris is not None and "--hypothesis" not in sys.argv:
    with atheris.instrument_imports(include=["trafficking_ref"]):
        # The app before the checklist: they import each other.
        import trafficking_ref.cli.app
        import trafficking_ref.core.models
        import trafficking_ref.core.phones
        import trafficking_ref.loading.knowledge
        import trafficking_ref.loading.yamlread

import typer  # noqa: E402

import trafficking_ref.cli.app  # noqa: E402,F401
import trafficking_ref.cli.checklist as checklist_cli  # noqa: E402
from trafficking_ref.core.kb import entry_to_dict  # noqa: E402
from trafficking_ref.core.text import find_forbidden_character  # noqa: E402
from trafficking_ref.core.vocab import FILES  # noqa: E402
from trafficking_ref.loading.knowledge import (  # noqa: E402
    Layer,
    LayerFiles,
    load_knowledge,
    read_layer_files,
)
from trafficking_ref.loading.problems import KnowledgeError  # noqa: E402
from trafficking_ref.loading.yamlread import read_yaml  # noqa: E402

KEYS = list(FILES)  # the seven knowledge files, then the answers file
ANSWERS = len(KEYS)
BASE = read_layer_files([Layer("built-in", MINI_KB, 0)])
LOCAL = Layer("fuzz-layer", Path("fuzz-layer"), 1)
_SCRATCH = Path(tempfile.mkdtemp(prefix="trafficking-ref-fuzz-"))
_ANSWERS_FILE = _SCRATCH / "answers.yaml"
_PLAIN = (str, int, bool, type(None))


class Finding(AssertionError):
    """An input that breaks one of the loader's guarantees."""


def _check_problem(p: object) -> None:
    text = p.format()  # type: ignore[attr-defined]
    if p.line < 1 or p.col < 1:  # type: ignore[attr-defined]
        raise Finding(f"problem without a 1-based position: {text[:300]}")
    if "\n" in text or "\r" in text:
        raise Finding(f"problem spanning several lines: {text[:300]!r}")
    if len(text) > MAX_PROBLEM:
        raise Finding(f"problem of {len(text):,} characters: {text[:300]}")


def _check_value(value: object, where: str) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _check_value(key, where)
            _check_value(item, f"{where}.{key}")
    elif isinstance(value, list):
        for item in value:
            _check_value(item, where)
    elif not isinstance(value, _PLAIN) or isinstance(value, float):
        raise Finding(f"{where}: a {type(value).__name__} was accepted: {value!r}")
    elif isinstance(value, str) and find_forbidden_character(value) is not None:
        raise Finding(f"{where}: a control character was accepted: {value!r}")


def _check_reading(data: bytes) -> None:
    fast, full = read_yaml(data, all_marks=False), read_yaml(data)
    if fast.value != full.value or [(p.line, p.col, p.code) for p in fast.problems] != [
            (p.line, p.col, p.code) for p in full.problems]:
        raise Finding("the fast and the full reading disagree")
    for p in full.problems:
        if p.line < 1 or p.col < 1:
            raise Finding(f"YAML problem without a position: {p}")


def _knowledge(key: str, data: bytes) -> None:
    _check_reading(data)
    found = LayerFiles([*BASE.layers, LOCAL], list(BASE.files), list(BASE.problems))
    found.files.append((LOCAL, key, Path("fuzz-layer") / FILES[key], data))
    try:
        kb, problems = load_knowledge(found)
    except KnowledgeError as exc:
        problems = exc.problems
        if not any(p.severity == "error" for p in problems):
            raise Finding("KnowledgeError without an error") from None
        kb = None
    for p in problems:
        _check_problem(p)
    if kb is not None:
        for name, collection in kb.collections().items():
            for entry in collection.values():
                _check_value(entry_to_dict(entry), f"{name}:{entry.id}")


def _answers(data: bytes) -> None:
    _ANSWERS_FILE.write_bytes(data)
    with open(os.devnull, "w") as quiet:
        checklist_cli.o._err = checklist_cli.o.Console(file=quiet)
        try:
            answers = checklist_cli._load_answers(_ANSWERS_FILE)
        except typer.Exit as exc:
            if exc.exit_code != 1:
                raise Finding(f"answers file refused with exit code {exc.exit_code}") from None
            return
        finally:
            checklist_cli.o._err = None
    _check_value(answers, "answers")


def target(data: bytes) -> None:
    if not data:
        return
    which, body = data[0] % (ANSWERS + 1), data[1:]
    if which == ANSWERS:
        _answers(body)
    else:
        _knowledge(KEYS[which], body)


def seeds() -> list[bytes]:
    """The real knowledge base, the fixtures and the invalid cases, each as every target."""
    files = sorted({*ROOT.glob("data/*.yaml"), *ROOT.glob("tests/fixtures/**/*.yaml"),
                    *ROOT.glob("examples/**/*.yaml")})
    names = {name: i for i, name in enumerate(FILES.values())}
    out = []
    for path in files:
        data = path.read_bytes()
        which = names.get(path.name, ANSWERS)
        out.append(bytes([which]) + data)
    out.append(bytes([ANSWERS]) + b"setting: school\ncountry: US\nminor: true\n"
               b"observed: [someone-else-holds-id]\nunsure: []\n")
    return out


def _write_seeds(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for i, seed in enumerate(seeds()):
        (directory / f"seed-{i:03d}").write_bytes(seed)


def _run_hypothesis(examples: int) -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    pieces = st.sampled_from([
        "indicators:", "sources:", "referrals:", "- ", "  ", "\n", "id: ", "title: ", "x", "'",
        '"', "[", "]", "{", "}", ",", ": ", "#", "&a ", "*a", "!!str ", "no", "1.10", "2024-01-01",
        "\t", "\r\n", "\x00", "\x1b[31m", "\ufeff", "---", "? ", "|", ">", "~", "null", "true",
        "[bold]x[/]", "é", "\\u001b", "\\e",
    ])
    yamlish = st.lists(pieces, max_size=60).map(lambda parts: "".join(parts).encode())
    seed_list = seeds()

    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(st.integers(0, ANSWERS), st.one_of(
        st.binary(max_size=400), yamlish,
        st.builds(lambda s, i, b: s[1:i] + b + s[i:], st.sampled_from(seed_list),
                  st.integers(1, 4000), st.binary(max_size=20))))
    def run(which: int, body: bytes) -> None:
        target(bytes([which]) + body)

    run()


def main() -> None:
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--hypothesis", action="store_true")
    parser.add_argument("--examples", type=int, default=10000)
    parser.add_argument("--write-seeds", type=Path)
    known, rest = parser.parse_known_args()
    if known.write_seeds:
        _write_seeds(known.write_seeds)
        return
    if known.hypothesis or atheris is None:
        _run_hypothesis(known.examples)
        print(f"hypothesis: {known.examples} examples, no finding")
        return
    corpus = [a for a in rest if not a.startswith("-")]
    if not corpus:  # start from the seeds in a fresh corpus directory
        directory = _SCRATCH / "corpus"
        _write_seeds(directory)
        rest.append(str(directory))
    if not any(a.startswith("-dict=") for a in rest):
        rest.insert(0, f"-dict={HERE / 'yaml.dict'}")
    if not any(a.startswith("-max_len=") for a in rest):
        rest.insert(0, "-max_len=8192")  # small inputs run fast; the seeds are cut to this
    atheris.Setup([sys.argv[0], *rest], target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
