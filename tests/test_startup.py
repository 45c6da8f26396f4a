"""Start-up: on a cache hit `search` imports neither pydantic nor yaml; a miss builds the cache.

Each check runs in a fresh interpreter (imports are per process) and reports which heavy
modules ended up in ``sys.modules``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

MINI_KB = Path(__file__).resolve().parent / "fixtures" / "mini-kb"
HEAVY = ("pydantic", "pydantic_core", "yaml", "_yaml")
OURS_HEAVY = ("trafficking_ref.core.models", "trafficking_ref.loading.yamlread")

# Reports the heavy modules loaded by the time the interpreter exits (after any SystemExit).
_REPORT = f"""
import atexit, json, os, sys
def _report():
    heavy = sorted(m for m in sys.modules
                   if m.split(".")[0] in {HEAVY!r} or m in {OURS_HEAVY!r})
    with open(os.environ["STARTUP_REPORT"], "w") as handle:
        json.dump(heavy, handle)
atexit.register(_report)
"""

CLI = _REPORT + """
sys.argv = ["trafficking-ref", *sys.argv[1:]]
from trafficking_ref.cli.app import run
run()
"""

CORE = _REPORT + """
import io
from rich.console import Console
from trafficking_ref.core.search import Filters, search
from trafficking_ref.loading.knowledge import resolve_layers
from trafficking_ref.loading.store import open_store
from trafficking_ref.render.terminal import search_table
store = open_store(resolve_layers([]))
result = search(store.conn, " ".join(sys.argv[1:]), Filters(), 10)
assert result.hits, "no hits"
Console(file=io.StringIO(), width=100).print(search_table(result.hits, True))
print(json.dumps({"from_cache": store.from_cache, "ids": [h.id for h in result.hits]}))
"""

TYPER_PROBE = _REPORT + """
from enum import Enum
from typing import Optional
import typer
app = typer.Typer()
Color = Enum("Color", {"red": "red"}, type=str)
@app.command()
def main(words: list[str], n: int = 10, color: Optional[Color] = None) -> None:
    pass
sys.argv = ["probe", "a", "--n", "3", "--color", "red"]
app()
"""


def _env(cache: Path, report: Path) -> dict[str, str]:
    env = dict(os.environ)
    for key in ("TRAFFICKING_REF_DATA_DIR", "TRAFFICKING_REF_NO_CACHE", "FORCE_COLOR"):
        env.pop(key, None)
    env.update({
        "TRAFFICKING_REF_CACHE_DIR": str(cache),
        "TRAFFICKING_REF_BUILTIN_DIR": str(MINI_KB),
        "STARTUP_REPORT": str(report),
        "NO_COLOR": "1",
    })
    return env


def _run(script: str, args: list[str], cache: Path, tmp_path: Path) -> tuple[Any, list[str]]:
    report = tmp_path / "report.json"
    report.unlink(missing_ok=True)
    proc = subprocess.run([sys.executable, "-c", script, *args], env=_env(cache, report),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc, json.loads(report.read_text())


def _typer_imports_pydantic(tmp_path: Path) -> bool:
    _proc, heavy = _run(TYPER_PROBE, [], tmp_path / "probe-cache", tmp_path)
    return "pydantic" in heavy


def test_core_cache_hit_imports_neither_pydantic_nor_yaml(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    proc, heavy = _run(CORE, ["passport"], cache, tmp_path)  # a miss: builds the cache
    assert json.loads(proc.stdout)["from_cache"] is False
    assert "yaml" in heavy and "pydantic" in heavy and "trafficking_ref.core.models" in heavy
    assert list(cache.glob("kb-*.sqlite"))

    proc, heavy = _run(CORE, ["passport"], cache, tmp_path)  # a hit
    out = json.loads(proc.stdout)
    assert out["from_cache"] is True
    assert out["ids"][0] == "someone-else-holds-id"
    assert heavy == []


@pytest.mark.parametrize(
    "args",
    [["search", "passport"], ["search", "--json", "kid"], ["search", "pasport"],
     ["search", "xylophone"], ["show", "avoids-eye-contact"]],
)
def test_cli_cache_hit_reads_no_yaml_and_validates_nothing(tmp_path: Path,
                                                           args: list[str]) -> None:
    cache = tmp_path / "cache"
    _proc, heavy = _run(CLI, args, cache, tmp_path)  # warm the cache
    assert "yaml" in heavy and "trafficking_ref.core.models" in heavy
    proc, heavy = _run(CLI, args, cache, tmp_path)
    assert proc.stderr == ""
    for name in ("yaml", "_yaml", *OURS_HEAVY):
        assert name not in heavy, f"{name} imported on a cache hit: {heavy}"


def test_cli_cache_hit_imports_no_pydantic(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _run(CLI, ["search", "passport"], cache, tmp_path)  # warm the cache
    proc, heavy = _run(CLI, ["search", "passport"], cache, tmp_path)
    assert "someone-else-ho" in proc.stdout
    if "pydantic" in heavy and _typer_imports_pydantic(tmp_path):
        import typer

        pytest.xfail(
            f"typer {typer.__version__} itself imports pydantic to convert command-line "
            "values (typer._adapters), so no command of a typer app avoids it; our own modules "
            "do not (see test_core_cache_hit_imports_neither_pydantic_nor_yaml and "
            "docs/performance.md)"
        )
    assert heavy == []


def test_cache_miss_builds_the_cache_then_hits(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _proc, heavy = _run(CLI, ["search", "--json", "passport"], cache, tmp_path)
    assert {"yaml", "pydantic", "trafficking_ref.core.models"} <= set(heavy)
    (built,) = cache.glob("kb-*.sqlite")
    stamp = built.stat().st_mtime_ns
    first, _heavy = _run(CLI, ["search", "--json", "passport"], cache, tmp_path)
    second, heavy = _run(CLI, ["search", "--json", "passport"], cache, tmp_path)
    assert "yaml" not in heavy
    assert built.stat().st_mtime_ns == stamp  # read, not rewritten
    assert first.stdout == second.stdout
    assert json.loads(first.stdout)[0]["id"] == "someone-else-holds-id"
