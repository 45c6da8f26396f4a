"""Local layers: --data-dir and TRAFFICKING_REF_DATA_DIR on top of the built-in knowledge base."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import LAYERS, display_path
from trafficking_ref.loading.knowledge import resolve_layers

AGENCY = LAYERS / "agency"  # adds 'agency-safeguarding-lead' and its own source
OVERRIDE = LAYERS / "override"  # replaces the built-in 'us-hotline'


def referral(entry_id: str, name: str, *, country: str = "US", source: str = "src-one") -> str:
    return f"""\
referrals:
  - id: {entry_id}
    name: {name}
    description: A local contact.
    country: {country}
    contacts:
      - {{kind: web, value: "https://example.org/{entry_id}"}}
    hours: Office hours
    languages: English
    situations: [local-protocol]
    law_enforcement: false
    anonymous: false
    verified_on: 2026-11-01
    verified_at: https://example.org/{entry_id}
    sources: [{source}]
"""


def show_json(run, entry_id: str, *args: str, **kwargs) -> dict:
    result = run([*args, "show", entry_id, "--json"], **kwargs)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# --- adding and replacing ------------------------------------------------------------------------


def test_committed_layer_fixtures_are_valid(run):
    result = run(["--data-dir", AGENCY, "--data-dir", OVERRIDE, "validate",
                  "--stale-after", "100000"])
    assert result.exit_code == 0, result.output
    assert "in 3 layer(s)" in result.stdout


def test_local_layer_adds_an_entry(run):
    assert run(["show", "agency-safeguarding-lead"]).exit_code == 1

    data = show_json(run, "agency-safeguarding-lead", "--data-dir", str(AGENCY))
    assert data["name"] == "Agency safeguarding lead"
    assert data["layer"] == str(AGENCY)
    assert data["file"] == display_path(AGENCY / "referrals.yaml")
    assert data["line"] == 3
    # It cites a source from its own layer; the built-in entries are all still there.
    assert [s["id"] for s in data["source_details"]] == ["agency-protocol"]
    assert show_json(run, "us-hotline", "--data-dir", str(AGENCY))["layer"] == "built-in"

    listed = json.loads(run(["--data-dir", AGENCY, "referrals", "--country", "US",
                             "--json"]).stdout)
    ids = [r["id"] for r in listed]
    assert ids[:2] == ["us-911", "agency-safeguarding-lead"], \
        "the emergency number first, then the agency's own protocol"
    assert {"us-911", "us-hotline", "us-child-protection"} <= set(ids)


def test_local_layer_replaces_an_entry_with_the_same_id(run):
    built_in = show_json(run, "us-hotline")
    assert built_in["layer"] == "built-in"

    data = show_json(run, "us-hotline", "--data-dir", str(OVERRIDE))
    assert data["name"] == "Hotline via the agency switchboard"
    assert data["layer"] == str(OVERRIDE)
    assert data["file"] == display_path(OVERRIDE / "referrals.yaml")

    text = run(["--data-dir", OVERRIDE, "show", "us-hotline"])
    assert text.exit_code == 0
    assert "Hotline via the agency switchboard" in text.stdout
    assert "National Human Trafficking Hotline" not in text.stdout
    assert f"Layer: {OVERRIDE} ({display_path(OVERRIDE / 'referrals.yaml')}:3)" in text.stdout

    # Replaced, not added: the count of referrals is unchanged.
    counts = json.loads(run(["--data-dir", OVERRIDE, "validate", "--json"]).stdout)["counts"]
    assert counts["referrals"] == 5


def test_show_never_wraps_the_layer_path(run, tmp_path):
    """A path longer than the terminal is printed whole, so it can be copied (CI clones deep)."""
    import shutil

    deep = tmp_path / ("agency-layer-" * 8) / "override"
    shutil.copytree(OVERRIDE, deep)
    result = run(["--data-dir", deep, "show", "us-hotline"], env={"COLUMNS": "60"})
    assert result.exit_code == 0, result.output
    assert f"Layer: {deep} ({display_path(deep / 'referrals.yaml')}:3)\n" in result.stdout


def test_show_reports_built_in_layer(run, mini_kb):
    result = run(["show", "homelessness"])
    assert result.exit_code == 0
    assert f"Layer: built-in ({display_path(mini_kb / 'risk_factors.yaml')}:2)" in result.stdout


# --- several layers and their order --------------------------------------------------------------


def test_env_var_holds_several_dirs(run, make_layer):
    first = make_layer({"referrals.yaml": referral("first-line", "First")}, name="first")
    second = make_layer({"referrals.yaml": referral("second-line", "Second")}, name="second")
    env = {"TRAFFICKING_REF_DATA_DIR": os.pathsep.join([str(first), str(second)])}

    result = run(["validate"], env=env)
    assert result.exit_code == 0, result.output
    assert "in 3 layer(s)" in result.stdout
    assert show_json(run, "first-line", env=env)["layer"] == str(first)
    assert show_json(run, "second-line", env=env)["layer"] == str(second)


def test_env_var_ignores_empty_parts(run, make_layer):
    layer = make_layer({"referrals.yaml": referral("only-line", "Only")})
    env = {"TRAFFICKING_REF_DATA_DIR": os.pathsep + str(layer) + os.pathsep}
    assert show_json(run, "only-line", env=env)["layer"] == str(layer)


def test_later_layer_wins(run, make_layer):
    first = make_layer({"referrals.yaml": referral("shared-line", "From first")}, name="first")
    second = make_layer({"referrals.yaml": referral("shared-line", "From second")},
                        name="second")

    both = ["--data-dir", str(first), "--data-dir", str(second)]
    assert show_json(run, "shared-line", *both)["name"] == "From second"
    swapped = ["--data-dir", str(second), "--data-dir", str(first)]
    assert show_json(run, "shared-line", *swapped)["name"] == "From first"

    env = {"TRAFFICKING_REF_DATA_DIR": os.pathsep.join([str(second), str(first)])}
    assert show_json(run, "shared-line", env=env)["name"] == "From first"

    # --data-dir layers come after (on top of) the environment's.
    env = {"TRAFFICKING_REF_DATA_DIR": str(second)}
    assert show_json(run, "shared-line", "--data-dir", str(first), env=env)["name"] == \
        "From first"


def test_resolve_layers_order(tmp_path):
    a, b, c = (tmp_path / n for n in "abc")
    for d in (a, b, c):
        d.mkdir()
    layers = resolve_layers([str(c)], {"TRAFFICKING_REF_DATA_DIR": f"{a}{os.pathsep}{b}"})
    assert [layer.name for layer in layers] == ["built-in", str(a), str(b), str(c)]
    assert [layer.depth for layer in layers] == [0, 1, 2, 3]


def test_layer_can_cite_a_source_of_a_lower_layer(run, make_layer):
    layer = make_layer({"referrals.yaml": referral("cites-built-in", "Cites", source="src-two")})
    assert show_json(run, "cites-built-in", "--data-dir", str(layer))["sources"] == ["src-two"]


def test_unknown_source_in_a_layer_names_the_layer_file(run, make_layer):
    layer = make_layer({"referrals.yaml": referral("bad-cite", "Bad", source="nowhere")})
    result = run(["--data-dir", layer, "validate"])
    assert result.exit_code == 1
    assert f"{display_path(layer / 'referrals.yaml')}:15:" in result.stderr
    assert "[unknown-source]" in result.stderr


def test_editing_a_layer_invalidates_the_cache(run, make_layer):
    layer = make_layer({"referrals.yaml": referral("edited-line", "Before")})
    assert show_json(run, "edited-line", "--data-dir", str(layer))["name"] == "Before"
    assert show_json(run, "edited-line", "--data-dir", str(layer))["name"] == "Before"
    (layer / "referrals.yaml").write_text(referral("edited-line", "After"), encoding="utf-8")
    assert show_json(run, "edited-line", "--data-dir", str(layer))["name"] == "After"


# --- bad layers ----------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["option", "env"])
def test_missing_layer_dir_is_a_usage_error(run, tmp_path, how):
    missing = tmp_path / "no-such-dir"
    if how == "option":
        result = run(["--data-dir", missing, "validate"])
    else:
        result = run(["validate"], env={"TRAFFICKING_REF_DATA_DIR": str(missing)})
    assert result.exit_code == 2
    assert f"the data directory '{missing}' does not exist" in result.stderr
    assert "--data-dir" in result.stderr
    assert "Traceback" not in result.output


def test_file_as_layer_is_a_usage_error(run, tmp_path):
    a_file = tmp_path / "referrals.yaml"
    a_file.write_text(referral("x", "X"), encoding="utf-8")
    result = run(["--data-dir", a_file, "referrals"])
    assert result.exit_code == 2
    assert f"the data directory '{a_file}' is not a directory" in result.stderr
    assert "Traceback" not in result.output


def test_bad_builtin_dir_is_a_usage_error(run, tmp_path):
    result = run(["validate"], builtin=tmp_path / "nope")
    assert result.exit_code == 2
    assert "is not a directory" in result.stderr


def test_id_clash_of_different_kinds_across_layers(run, make_layer):
    layer = make_layer({"risk_factors.yaml": """\
        risk_factors:
          - id: us-hotline
            title: Not a referral
            description: Same id as the built-in referral.
            sources: [src-one]
        """})
    result = run(["--data-dir", layer, "validate"])
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if "[id-clash]" in line]
    assert len(lines) == 1
    assert lines[0].startswith(f"{display_path(layer / 'risk_factors.yaml')}:2:")
    assert "belongs to a referral" in lines[0]
    assert "Traceback" not in result.output


def test_same_id_in_two_files_of_one_layer_is_a_duplicate(run, make_layer):
    layer = make_layer({
        "referrals.yaml": referral("twice", "Referral"),
        "risk_factors.yaml": """\
            risk_factors:
              - id: twice
                title: Risk factor
                description: Same id as the referral in this layer.
                sources: [src-one]
            """,
    })
    result = run(["--data-dir", layer, "validate"])
    assert result.exit_code == 1
    assert "[duplicate-id]" in result.stderr
    assert "'twice'" in result.stderr


@pytest.mark.parametrize(
    ("name", "expected"),
    [("referals.yaml", "referrals.yaml"), ("indicators.yml", "indicators.yaml"),
     ("risk-factors.yaml", "risk_factors.yaml")],
)
def test_unknown_file_name_warns_with_did_you_mean(run, make_layer, name, expected):
    layer = make_layer({name: referral("ignored", "Ignored")})
    result = run(["--data-dir", layer, "validate", "--stale-after", "100000"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if "[unknown-file]" in line]
    assert len(lines) == 1
    assert lines[0].startswith(f"{display_path(layer / name)}:1:")
    assert "warning:" in lines[0]
    assert f"did you mean '{expected}'?" in lines[0]
    # The file is ignored: its entry is not loaded.
    assert run(["--data-dir", layer, "show", "ignored"]).exit_code == 1
    strict = run(["--data-dir", layer, "validate", "--strict", "--stale-after", "100000"])
    assert strict.exit_code == 1


def test_other_files_in_a_layer_are_ignored_silently(run, make_layer):
    layer = make_layer({"README.txt": "notes", "referrals.yaml": referral("fine", "Fine")})
    result = run(["--data-dir", layer, "validate", "--stale-after", "100000"])
    assert result.exit_code == 0
    assert "README" not in result.output


def test_empty_layer_dir_is_fine(run, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run(["--data-dir", empty, "validate", "--stale-after", "100000"])
    assert result.exit_code == 0
    assert "in 2 layer(s)" in result.stdout


def test_layer_paths_are_given_back_as_given(run):
    relative = Path(os.path.relpath(AGENCY))
    data = show_json(run, "agency-safeguarding-lead", "--data-dir", str(relative))
    assert data["layer"] == str(relative)
