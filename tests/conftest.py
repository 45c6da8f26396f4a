"""Shared fixtures for the trafficking-ref tests.

- ``run(args, env=..., input=..., builtin=...)`` invokes the CLI in-process with
  ``typer.testing.CliRunner``. The cache always goes to a temporary directory, colour is off
  (``NO_COLOR=1``, ``TTY_COMPATIBLE=0``), ``TRAFFICKING_REF_DATA_DIR`` is unset and the built-in
  layer is replaced by ``tests/fixtures/mini-kb`` unless ``builtin=None`` (the real data/) or
  another directory is given. ``env`` is applied last; a value of ``None`` unsets a variable.
- ``mini_kb``: the path of the small valid knowledge base.
- ``make_layer({"indicators.yaml": "...", ...}, name="layer")``: writes a layer directory in
  ``tmp_path`` (text is written as UTF-8; ``bytes`` values are written as they are).
"""

from __future__ import annotations

import os
import sys
import textwrap
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

TESTS_DIR = Path(__file__).resolve().parent
REPO_ROOT = TESTS_DIR.parent
FIXTURES = TESTS_DIR / "fixtures"
MINI_KB = FIXTURES / "mini-kb"
INVALID = FIXTURES / "invalid"
LAYERS = FIXTURES / "layers"

ENV_BUILTIN_DIR = "TRAFFICKING_REF_BUILTIN_DIR"
ENV_DATA_DIR = "TRAFFICKING_REF_DATA_DIR"
ENV_CACHE_DIR = "TRAFFICKING_REF_CACHE_DIR"

_USE_MINI_KB: Any = object()


def base_env(cache_dir: Path, builtin: Path | str | None = MINI_KB) -> dict[str, str | None]:
    """The environment every CLI test starts from (also handy for subprocess runs)."""
    return {
        ENV_CACHE_DIR: str(cache_dir),
        ENV_BUILTIN_DIR: None if builtin is None else str(builtin),
        ENV_DATA_DIR: None,
        "TRAFFICKING_REF_COUNTRY": None,
        "TRAFFICKING_REF_NO_CACHE": None,
        "NO_COLOR": "1",
        "TTY_COMPATIBLE": "0",
        "FORCE_COLOR": None,
        "COLUMNS": "100",
        "TERM": "dumb",
    }


def subprocess_env(cache_dir: Path, builtin: Path | str | None = MINI_KB,
                   **extra: str | None) -> dict[str, str]:
    """A full environment for ``subprocess.run`` based on :func:`base_env`."""
    env = dict(os.environ)
    for key, value in {**base_env(cache_dir, builtin), **extra}.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def _reset_consoles() -> None:
    """Rich consoles are created once per process; make each invocation build fresh ones."""
    output = sys.modules.get("trafficking_ref.cli.output")
    if output is not None:
        output._out = None  # type: ignore[attr-defined]
        output._err = None  # type: ignore[attr-defined]


RunFn = Callable[..., Result]


@pytest.fixture
def mini_kb() -> Path:
    return MINI_KB


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    path = tmp_path / "cache"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture
def run(cache_dir: Path) -> RunFn:
    """Invoke ``trafficking-ref`` in-process; returns click's ``Result``.

    ``result.exit_code``, ``result.stdout``, ``result.stderr`` and ``result.output`` (both) are
    available. Any exception other than a normal exit is re-raised, so a crash fails the test.
    """
    from trafficking_ref.cli.app import app

    def invoke(
        args: Sequence[str | os.PathLike[str]],
        env: Mapping[str, str | None] | None = None,
        input: str | bytes | None = None,
        builtin: Any = _USE_MINI_KB,
    ) -> Result:
        full_env = base_env(cache_dir, MINI_KB if builtin is _USE_MINI_KB else builtin)
        full_env.update(env or {})
        _reset_consoles()
        runner = CliRunner()
        result = runner.invoke(
            app, [str(a) for a in args], input=input, env=full_env, catch_exceptions=True,
        )
        _reset_consoles()
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result

    return invoke


@pytest.fixture
def make_layer(tmp_path: Path) -> Callable[..., Path]:
    """Write a layer directory: ``make_layer({"referrals.yaml": text}, name="agency")``.

    Text is dedented, so triple-quoted YAML can be indented with the test code.
    """

    def make(files: Mapping[str, str | bytes], name: str = "layer") -> Path:
        directory = tmp_path / name
        directory.mkdir(parents=True, exist_ok=True)
        for file_name, content in files.items():
            target = directory / file_name
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
        return directory

    return make


def display_path(path: Path | str) -> str:
    """How the program names a file in its messages (relative to the working directory)."""
    return os.path.relpath(path)
