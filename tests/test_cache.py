"""The knowledge-base cache: keyed by content, never a wrong answer, never an error."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from trafficking_ref.core.kb import entry_to_dict
from trafficking_ref.loading import store as store_module
from trafficking_ref.loading.knowledge import load_knowledge, read_layer_files, resolve_layers
from trafficking_ref.loading.store import STORE_VERSION, entry_json, open_store

MINI_KB = Path(__file__).resolve().parent / "fixtures" / "mini-kb"
OLD_TITLE = "Someone else holds their ID or passport"
NEW_TITLE = "Someone else keeps their passport locked away"

Run = Callable[..., Any]


@pytest.fixture
def kb_dir(tmp_path: Path) -> Path:
    """A private copy of the mini knowledge base, to edit."""
    target = tmp_path / "kb"
    shutil.copytree(MINI_KB, target)
    return target


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "cache"


def _env(cache: Path, builtin: Path, **extra: str | None) -> dict[str, str | None]:
    env: dict[str, str | None] = {
        "TRAFFICKING_REF_CACHE_DIR": str(cache),
        "TRAFFICKING_REF_BUILTIN_DIR": str(builtin),
        "TRAFFICKING_REF_DATA_DIR": None,
        "TRAFFICKING_REF_NO_CACHE": None,
        "NO_COLOR": "1",
        "TTY_COMPATIBLE": "0",
        "FORCE_COLOR": None,
        "COLUMNS": "120",
    }
    env.update(extra)
    return env


@pytest.fixture
def cli(cache: Path, kb_dir: Path) -> Run:
    from trafficking_ref.cli.app import app

    def invoke(args: Sequence[str], **extra: str | None) -> Any:
        output = sys.modules.get("trafficking_ref.cli.output")
        if output is not None:
            output._out = output._err = None  # type: ignore[attr-defined]
        result = CliRunner().invoke(app, list(args), env=_env(cache, kb_dir, **extra))
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result

    return invoke


def search_titles(cli: Run, *words: str, **extra: str | None) -> list[str]:
    result = cli(["search", "--json", *words], **extra)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    return [hit["title"] for hit in json.loads(result.stdout)]


def cache_files(cache: Path) -> list[Path]:
    return sorted(cache.glob("kb-*.sqlite"))


def assert_valid_cache(path: Path) -> None:
    assert store_module._intact(path)
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        meta = dict(conn.execute("SELECT key, value FROM meta"))
        assert meta["complete"] == "1" and meta["store"] == STORE_VERSION
        assert conn.execute("SELECT count(*) FROM docs").fetchone()[0] > 0
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


# --- keyed by content ---------------------------------------------------------------------------


def test_second_run_is_a_cache_hit(kb_dir: Path, cache: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRAFFICKING_REF_CACHE_DIR", str(cache))
    monkeypatch.setenv("TRAFFICKING_REF_BUILTIN_DIR", str(kb_dir))
    monkeypatch.delenv("TRAFFICKING_REF_NO_CACHE", raising=False)
    first = open_store(resolve_layers([]))
    second = open_store(resolve_layers([]))
    assert not first.from_cache and second.from_cache
    assert len(cache_files(cache)) == 1
    assert second.kb == first.kb  # the same entries, origins and order, rebuilt from the cache
    assert second.kb.content_hash == first.kb.content_hash


def test_changed_yaml_invalidates_the_cache(cli: Run, kb_dir: Path, cache: Path) -> None:
    assert search_titles(cli, "passport")[0] == OLD_TITLE
    assert len(cache_files(cache)) == 1
    edit(kb_dir / "indicators.yaml", OLD_TITLE, NEW_TITLE)
    assert search_titles(cli, "passport")[0] == NEW_TITLE
    assert len(cache_files(cache)) == 2
    edit(kb_dir / "indicators.yaml", NEW_TITLE, OLD_TITLE)  # back: the first cache is current
    assert search_titles(cli, "passport")[0] == OLD_TITLE


def test_an_edit_that_keeps_size_and_time_still_invalidates(cli: Run, kb_dir: Path) -> None:
    path = kb_dir / "indicators.yaml"
    assert search_titles(cli, "passport")[0] == OLD_TITLE
    before = path.stat()
    edit(path, "their ID or passport", "their ID or PASSPORT")  # same length
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size
    assert search_titles(cli, "passport")[0] == "Someone else holds their ID or PASSPORT"


def test_a_change_to_a_file_that_is_not_searched_invalidates(cli: Run, kb_dir: Path) -> None:
    assert json.loads(cli(["show", "--json", "src-one"]).stdout)["title"] == "First test source"
    edit(kb_dir / "sources.yaml", "First test source", "First source, renamed")
    assert json.loads(cli(["show", "--json", "src-one"]).stdout)["title"] == \
        "First source, renamed"


def test_a_layer_added_changed_and_removed(cli: Run, tmp_path: Path) -> None:
    layer = tmp_path / "layer"
    layer.mkdir()
    (layer / "indicators.yaml").write_text(
        "indicators:\n"
        "  - id: someone-else-holds-id\n"
        "    title: Local wording about the passport\n"
        "    description: Replaced by the local layer.\n"
        "    category: documents\n    types: [labor]\n    settings: [any]\n"
        "    audience: any\n    strength: strong\n    sources: [src-one]\n",
        encoding="utf-8",
    )
    assert search_titles(cli, "passport")[0] == OLD_TITLE
    with_layer = {"TRAFFICKING_REF_DATA_DIR": str(layer)}
    assert search_titles(cli, "passport", **with_layer)[0] == "Local wording about the passport"
    edit(layer / "indicators.yaml", "Local wording", "Changed local wording")
    assert search_titles(cli, "passport", **with_layer)[0] == \
        "Changed local wording about the passport"
    assert search_titles(cli, "passport")[0] == OLD_TITLE


def test_an_invalid_edit_is_reported_not_served_from_the_cache(cli: Run, kb_dir: Path) -> None:
    assert search_titles(cli, "passport")[0] == OLD_TITLE
    edit(kb_dir / "indicators.yaml", "strength: strong", "strength: very-strong")
    result = cli(["search", "passport"])
    assert result.exit_code == 1
    assert "very-strong" in result.stderr


def test_file_paths_follow_the_working_directory(cli: Run, kb_dir: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    seen = []
    for where in (tmp_path, kb_dir, tmp_path / "cache"):
        where.mkdir(exist_ok=True)
        monkeypatch.chdir(where)
        result = cli(["search", "--json", "passport"])
        hit = json.loads(result.stdout)[0]
        assert hit["file"] == os.path.relpath(kb_dir / "indicators.yaml")
        seen.append(hit["file"])
    assert len(set(seen)) == 3


def test_no_cache_variable_writes_nothing(cli: Run, cache: Path) -> None:
    assert search_titles(cli, "passport", TRAFFICKING_REF_NO_CACHE="1")[0] == OLD_TITLE
    assert not cache.exists() or not cache_files(cache)


def test_old_cache_files_are_pruned(cli: Run, kb_dir: Path, cache: Path) -> None:
    for n in range(12):
        edit(kb_dir / "risk_factors.yaml", "Poverty" if n == 0 else f"Poverty {n - 1}",
             f"Poverty {n}")
        assert "Poverty " + str(n) in search_titles(cli, "poverty")
    assert len(cache_files(cache)) == store_module._KEEP


# --- corrupt, truncated, stale, unwritable ------------------------------------------------------


def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x20
    path.write_bytes(bytes(data))


def _warm(cli: Run, cache: Path) -> Path:
    assert search_titles(cli, "passport")[0] == OLD_TITLE
    (path,) = cache_files(cache)
    return path


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda p: p.write_bytes(os.urandom(p.stat().st_size)), id="random-bytes"),
        pytest.param(lambda p: p.write_bytes(b"garbage " * 100), id="garbage"),
        pytest.param(lambda p: p.write_bytes(b""), id="empty"),
        pytest.param(lambda p: p.write_bytes(p.read_bytes()[:100]), id="header-only"),
        pytest.param(lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 2]),
                     id="truncated-half"),
        pytest.param(lambda p: p.write_bytes(p.read_bytes()[:-1]), id="truncated-one-byte"),
        pytest.param(lambda p: p.write_bytes(p.read_bytes()[:4096] + os.urandom(
            p.stat().st_size - 4096)), id="pages-overwritten"),
        pytest.param(lambda p: _flip(p, p.stat().st_size // 2), id="one-byte-in-the-middle"),
        pytest.param(lambda p: _flip(p, p.stat().st_size - 7), id="one-byte-near-the-end"),
        pytest.param(lambda p: _flip(p, 24), id="one-byte-of-the-header"),
    ],
)
def test_damaged_cache_falls_back_to_a_fresh_load(cli: Run, cache: Path,
                                                  damage: Callable[[Path], Any]) -> None:
    path = _warm(cli, cache)
    damage(path)
    for _ in range(2):
        assert search_titles(cli, "passport")[0] == OLD_TITLE
        assert search_titles(cli, "kid")[0] == "A minor involved in commercial sex"
    assert_valid_cache(path)  # rewritten


def _update_meta(path: Path, sql: str) -> None:
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(sql)
    conn.close()


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE meta SET value = '0' WHERE key = 'format'",
        "UPDATE meta SET value = '0' WHERE key = 'store'",
        "UPDATE meta SET value = 'another' WHERE key = 'key'",
        "DELETE FROM meta WHERE key = 'complete'",
        "DROP TABLE meta",
        "DROP TABLE fts",
    ],
    ids=["format-version", "store-version", "key", "incomplete", "no-meta", "no-index"],
)
def test_stale_or_foreign_cache_falls_back(cli: Run, cache: Path, sql: str) -> None:
    path = _warm(cli, cache)
    _update_meta(path, sql)
    assert search_titles(cli, "passport")[0] == OLD_TITLE
    assert_valid_cache(path)


def test_a_cache_file_of_other_content_under_this_name_is_not_used(cli: Run, kb_dir: Path,
                                                                   cache: Path) -> None:
    original = _warm(cli, cache)
    edit(kb_dir / "indicators.yaml", OLD_TITLE, NEW_TITLE)
    assert search_titles(cli, "passport")[0] == NEW_TITLE
    (changed,) = [p for p in cache_files(cache) if p != original]
    shutil.copyfile(changed, original)  # the new content's cache, named for the old content
    edit(kb_dir / "indicators.yaml", NEW_TITLE, OLD_TITLE)
    assert search_titles(cli, "passport")[0] == OLD_TITLE


def test_cache_dir_that_is_a_file(cli: Run, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    for where in (blocker, blocker / "below"):
        assert search_titles(cli, "passport", TRAFFICKING_REF_CACHE_DIR=str(where))[0] == \
            OLD_TITLE
    assert blocker.read_text() == "x"


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root writes into read-only directories")
def test_read_only_cache_dir(cli: Run, cache: Path) -> None:
    cache.mkdir()
    cache.chmod(0o500)
    try:
        assert search_titles(cli, "passport")[0] == OLD_TITLE
        assert search_titles(cli, "passport")[0] == OLD_TITLE
        assert not cache_files(cache)
    finally:
        cache.chmod(0o700)


def test_read_only_cache_file_is_still_used_or_replaced(cli: Run, cache: Path) -> None:
    path = _warm(cli, cache)
    path.chmod(0o400)
    assert search_titles(cli, "passport")[0] == OLD_TITLE


def test_leftover_temporary_files_do_not_matter(cli: Run, cache: Path) -> None:
    cache.mkdir()
    (cache / ".kb-leftover.tmp").write_bytes(b"half a database")
    assert search_titles(cli, "passport")[0] == OLD_TITLE
    assert search_titles(cli, "passport")[0] == OLD_TITLE


# --- permissions --------------------------------------------------------------------------------


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_cache_file_is_private(cli: Run, cache: Path) -> None:
    path = _warm(cli, cache)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert not list(cache.glob(".kb-*.tmp"))


# --- processes building at once -----------------------------------------------------------------


def _subprocess_env(cache: Path, builtin: Path) -> dict[str, str]:
    env = dict(os.environ)
    for key, value in _env(cache, builtin).items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


@pytest.mark.parametrize("damaged", [False, True], ids=["empty-cache", "damaged-cache"])
def test_processes_building_at_once(kb_dir: Path, cache: Path, damaged: bool) -> None:
    env = _subprocess_env(cache, kb_dir)
    command = [sys.executable, "-m", "trafficking_ref", "search", "--json", "passport", "kid"]
    expected = subprocess.run(command, env={**env, "TRAFFICKING_REF_NO_CACHE": "1"},
                              capture_output=True, text=True, check=True).stdout
    for _round in range(2):
        if damaged:
            cache.mkdir(exist_ok=True)
            for path in cache_files(cache):
                path.write_bytes(b"\0" * 4096)
        procs = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(4)]
        for proc in procs:
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
            assert err == ""
            assert out == expected
    files = cache_files(cache)  # one; two if the program's own files changed meanwhile
    assert 1 <= len(files) <= 2
    for path in files:
        assert_valid_cache(path)
    assert not list(cache.glob(".kb-*.tmp"))
    hit = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    assert hit.stdout == expected


# --- what the cache holds -----------------------------------------------------------------------


def test_cached_entries_are_written_as_entry_to_dict(kb_dir: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRAFFICKING_REF_BUILTIN_DIR", str(kb_dir))
    kb, _ = load_knowledge(read_layer_files(resolve_layers([])))
    count = 0
    for collection in kb.collections().values():
        for entry in collection.values():
            written = json.loads(json.dumps(entry_json(entry)))
            assert written == entry_to_dict(entry)
            assert list(written) == list(entry_to_dict(entry))  # the same key order
            count += 1
    assert count > 20
