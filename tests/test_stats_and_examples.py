"""`stats` coverage report, and the example local layer shipped for agencies."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from trafficking_ref.cli.app import app

ROOT = Path(__file__).parent.parent
MINI = ROOT / "tests" / "fixtures" / "mini-kb"


def _run(tmp_path, args, builtin=MINI):
    env = {"TRAFFICKING_REF_CACHE_DIR": str(tmp_path / "c"), "NO_COLOR": "1",
           "TRAFFICKING_REF_BUILTIN_DIR": str(builtin) if builtin else ""}
    return CliRunner().invoke(app, args, env=env)


def test_stats_counts_and_flags_thin_cells(tmp_path):
    result = _run(tmp_path, ["stats", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["totals"]["indicators"] == 8
    assert data["indicators_by_strength"] == {"strong": 3, "medium": 3, "weak": 2}
    assert data["oldest_verified"]["date"] == "2026-11-23"
    assert any(t.startswith("setting online") for t in data["thin"])
    cell = next(c for c in data["cells"] if c == {**c, "setting": "school", "type": "sex",
                                                  "audience": "minor", "strength": "medium"})
    assert cell["count"] == 1  # much-older-partner
    # community is counted too; "only here" counts entries tagged with that one setting
    assert data["indicators_by_setting"]["community"] == 3  # the three 'any' entries
    assert data["indicators_only_in_setting"] == {
        "school": 1, "hospitality": 1, "healthcare": 0, "retail": 0, "transportation": 0,
        "workplace": 0, "online": 0, "community": 0}
    assert not any(t.startswith("setting community") for t in data["thin"])
    text = _run(tmp_path, ["stats"]).output
    assert "Thin spots:" in text and "Indicators by setting" in text and "Only here" in text
    assert "community" in text


def test_example_local_layer_validates_and_comes_first(tmp_path):
    layer = ROOT / "examples" / "local-layer"
    assert _run(tmp_path, ["--data-dir", str(layer), "validate"], builtin=None).exit_code == 0
    answers = tmp_path / "a.yaml"
    answers.write_text("setting: school\nminor: true\nobserved: []\nunsure: []\n")
    shown = _run(tmp_path, ["--data-dir", str(layer), "show", "notify-designated-reporter",
                            "--json"], builtin=None)
    assert json.loads(shown.output)["layer"].endswith("local-layer")
