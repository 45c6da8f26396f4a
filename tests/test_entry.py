"""The console entry point: only the asked-for command is built, and nothing else changes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from trafficking_ref.cli.app import _command_named

MINI = Path(__file__).parent / "fixtures" / "mini-kb"


@pytest.mark.parametrize("argv, wanted", [
    (["search", "x"], "search"),
    (["--data-dir", "search", "show", "x"], "show"),  # a layer directory named like a command
    (["--data-dir=d", "referrals"], "referrals"),
    (["--version"], None),
    (["-h"], None),
    ([], None),
])
def test_command_named_skips_global_options(argv, wanted):
    assert _command_named(argv) == wanted


def _cli(tmp_path, *args):
    env = dict(os.environ, TRAFFICKING_REF_BUILTIN_DIR=str(MINI), NO_COLOR="1",
               TRAFFICKING_REF_CACHE_DIR=str(tmp_path / "cache"))
    return subprocess.run([sys.executable, "-m", "trafficking_ref", *args], env=env,
                          capture_output=True, text=True, timeout=60)


def test_named_command_runs(tmp_path):
    result = _cli(tmp_path, "--data-dir", str(MINI), "show", "avoids-eye-contact")
    assert result.returncode == 0, result.stderr
    assert "Avoids eye contact" in result.stdout


def test_help_and_unknown_commands_still_see_every_command(tmp_path):
    help_text = _cli(tmp_path, "--help").stdout
    for name in ("validate", "search", "checklist", "referrals", "export", "stats"):
        assert name in help_text
    unknown = _cli(tmp_path, "serch", "x")
    assert unknown.returncode == 2
    assert "No such command 'serch'" in unknown.stderr


def test_subgroup_runs(tmp_path):
    result = _cli(tmp_path, "export", "indicators", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert '"avoids-eye-contact"' in result.stdout
