"""Look-up commands on tests/fixtures/mini-kb: show, risk-factors, referrals, --version, schema."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import LAYERS, REPO_ROOT, display_path, subprocess_env
from trafficking_ref import __version__
from trafficking_ref.core import vocab

AGENCY = LAYERS / "agency"


def ids_of(result) -> list[str]:
    assert result.exit_code == 0, result.output
    return [item["id"] for item in json.loads(result.stdout)]


# --- show ----------------------------------------------------------------------------------------


def test_show_indicator_text(run, mini_kb):
    result = run(["show", "someone-else-holds-id"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("Someone else holds their ID or passport  (indicator · strong)")
    assert "An employer or companion keeps the person's identity" in out
    assert "Do you have your ID with you?" in out
    assert "A parent may hold a young child's passport" in out
    assert "First test source, Test publisher (2020) https://example.org/one" in out
    assert f"Layer: built-in ({display_path(mini_kb / 'indicators.yaml')}:2)" in out
    assert "\x1b[" not in out


@pytest.mark.parametrize(
    ("entry_id", "heading"),
    [
        ("homelessness", "Homelessness  (risk factor)"),
        ("us-hotline", "National Human Trafficking Hotline  (referral · US)"),
        ("safety-first", "Safety first  (guidance"),
        ("src-one", "First test source  (source)"),
        ("child", "child  (synonym)"),
        ("two-strong", "two-strong  (assessment-rule)"),
    ],
)
def test_show_any_kind_of_entry(run, entry_id, heading):
    result = run(["show", entry_id])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(heading)
    assert "Layer: built-in" in result.stdout


def test_show_json(run, mini_kb):
    result = run(["show", "us-hotline", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["id"] == "us-hotline"
    assert data["kind"] == "referral"
    assert data["country"] == "US"
    assert data["contacts"][0] == {"kind": "phone", "value": "1-888-373-7888",
                                   "short_code": False}
    assert data["contacts"][1]["short_code"] is True
    assert data["situations"][0] == "hotline"
    assert data["law_enforcement"] is False
    assert data["anonymous"] is True
    assert data["verified_on"] == "2026-11-23"
    assert data["sources"] == ["src-one"]
    assert data["source_details"] == [{
        "id": "src-one", "title": "First test source", "publisher": "Test publisher",
        "year": 2020, "url": "https://example.org/one",
    }]
    assert data["layer"] == "built-in"
    assert data["file"] == display_path(mini_kb / "referrals.yaml")
    assert data["line"] == 16


def test_show_unknown_id_suggests(run):
    result = run(["show", "someone-holds-id"])
    assert result.exit_code == 1
    assert "no entry with id 'someone-holds-id'" in result.stderr
    assert "did you mean: someone-else-holds-id?" in result.stderr
    assert result.stdout == ""


def test_show_unknown_id_without_close_match(run):
    result = run(["show", "zzzzzzzz"])
    assert result.exit_code == 1
    assert "no entry with id 'zzzzzzzz'" in result.stderr
    assert "trafficking-ref search" in result.stderr


def test_show_unknown_id_is_echoed_safely(run):
    result = run(["show", "evil\x1b[31mred"])
    assert result.exit_code == 1
    assert "\x1b" not in result.output
    assert "U+001B" in result.stderr


def test_show_without_id_is_a_usage_error(run):
    assert run(["show"]).exit_code == 2


# --- data printed literally ----------------------------------------------------------------------

MARKUP = "[bold]x[/] [red]alert[/red] :warning: [link=https://evil.example]click[/link]"


@pytest.fixture
def markup_layer(make_layer):
    return make_layer({
        "indicators.yaml": f"""\
            indicators:
              - id: markup-indicator
                title: "{MARKUP}"
                description: "Description {MARKUP}"
                category: control
                types: [labor]
                settings: [any]
                audience: any
                strength: weak
                sources: [src-one]
                aliases: ["[i]alias[/i]"]
            """,
        "risk_factors.yaml": f"""\
            risk_factors:
              - id: markup-risk
                title: "{MARKUP}"
                description: "[b]bold?[/b]"
                sources: [src-one]
            """,
        "referrals.yaml": f"""\
            referrals:
              - id: markup-referral
                name: "{MARKUP}"
                description: "[blink]x[/blink]"
                country: US
                contacts:
                  - {{kind: web, value: "https://example.org/[x]", note: "[bold]note[/]"}}
                hours: "[dim]24/7[/dim]"
                languages: English
                situations: [tip]
                law_enforcement: false
                anonymous: true
                verified_on: 2026-11-01
                verified_at: https://example.org/ref
                sources: [src-one]
            """,
    })


def test_show_prints_markup_literally(run, markup_layer):
    result = run(["--data-dir", markup_layer, "show", "markup-indicator"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(MARKUP)
    assert f"Description {MARKUP}" in result.stdout
    assert "[i]alias[/i]" in result.stdout
    assert "\x1b" not in result.stdout

    referral = run(["--data-dir", markup_layer, "show", "markup-referral"])
    assert referral.exit_code == 0
    for literal in (MARKUP, "[blink]x[/blink]", "[bold]note[/]", "[dim]24/7[/dim]",
                    "https://example.org/[x]"):
        assert literal in referral.stdout


def test_tables_print_markup_literally(run, markup_layer):
    wide = {"COLUMNS": "300"}
    risks = run(["--data-dir", markup_layer, "risk-factors"], env=wide)
    assert risks.exit_code == 0
    assert MARKUP in risks.stdout
    assert "[b]bold?[/b]" in risks.stdout

    refs = run(["--data-dir", markup_layer, "referrals", "--country", "US"], env=wide)
    assert refs.exit_code == 0
    assert MARKUP in refs.stdout
    assert "[bold]note[/]" in refs.stdout


def test_json_keeps_markup_as_data(run, markup_layer):
    data = json.loads(run(["--data-dir", markup_layer, "show", "markup-indicator",
                           "--json"]).stdout)
    assert data["title"] == MARKUP


# --- risk-factors --------------------------------------------------------------------------------


def test_risk_factors_table(run):
    result = run(["risk-factors"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "homelessness" in out and "Homelessness" in out
    assert "poverty" in out and "Not enough money for basic needs." in out
    assert "none of them is a sign that trafficking is happening" in out
    assert "\x1b[" not in out


def test_risk_factors_json(run, mini_kb):
    result = run(["risk-factors", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert [r["id"] for r in data] == ["homelessness", "poverty"]
    first = data[0]
    assert first["title"] == "Homelessness"
    assert first["sources"] == ["src-one"]
    assert first["aliases"] == ["couch surfing"]
    assert first["layer"] == "built-in"
    assert first["file"] == display_path(mini_kb / "risk_factors.yaml")


# --- referrals -----------------------------------------------------------------------------------


def test_referrals_all(run):
    assert set(ids_of(run(["referrals", "--json"]))) == {
        "us-911", "us-hotline", "us-child-protection", "gb-999", "eu-112",
    }


def test_referrals_by_country(run):
    ids = ids_of(run(["referrals", "--country", "US", "--json"]))
    assert set(ids) == {"us-911", "us-hotline", "us-child-protection"}
    assert ids[0] == "us-911", "immediate danger comes first"


def test_referrals_table(run):
    result = run(["referrals", "--country", "US"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    out = result.stdout
    assert "National Human Trafficking Hotline" in out
    assert "1-888-373-7888" in out
    assert "2026-11-23" in out
    assert "999" not in out
    assert out.index("Emergency services (911)") < out.index("National Human Trafficking")


@pytest.mark.parametrize("country", ["DE", "de", "FR", "IE"])
def test_eu_referrals_show_for_member_states(run, country):
    assert ids_of(run(["referrals", "--country", country, "--json"])) == ["eu-112"]


def test_eu_referrals_text_for_germany(run):
    result = run(["referrals", "-c", "DE"])
    assert result.exit_code == 0
    assert "European emergency number 112" in result.stdout


def test_eu_referrals_not_for_non_members(run):
    assert "eu-112" not in ids_of(run(["referrals", "--country", "GB", "--json"]))
    assert "eu-112" not in ids_of(run(["referrals", "--country", "US", "--json"]))


@pytest.mark.parametrize("country", ["UK", "uk", "GB", " gb "])
def test_uk_is_accepted_as_gb(run, country):
    assert ids_of(run(["referrals", "--country", country, "--json"])) == ["gb-999"]


@pytest.mark.parametrize("country", ["USA", "U", "1", "U$", "ÜS"])
def test_bad_country_is_a_usage_error(run, country):
    result = run(["referrals", "--country", country])
    assert result.exit_code == 2
    assert "two-letter country code" in result.stderr
    assert "Traceback" not in result.output


def test_country_with_no_referrals(run):
    result = run(["referrals", "--country", "JP"])
    assert result.exit_code == 0
    assert "No referrals match (country JP" in result.stdout
    assert json.loads(run(["referrals", "--country", "JP", "--json"]).stdout) == []


def test_referrals_by_situation(run):
    ids = ids_of(run(["referrals", "--situation", "immediate-danger", "--json"]))
    assert set(ids) == {"us-911", "gb-999", "eu-112"}
    assert ids[-1] == "eu-112", "EU-wide referrals come after national ones"
    assert ids_of(run(["referrals", "-c", "US", "-s", "minor", "--json"])) == [
        "us-child-protection"
    ]


def test_bad_situation_is_a_usage_error(run):
    result = run(["referrals", "--situation", "nonsense"])
    assert result.exit_code == 2


def test_referrals_by_region(run):
    layer = ["--data-dir", str(AGENCY)]
    texas = ids_of(run([*layer, "referrals", "-c", "US", "--region", "texas", "--json"]))
    assert texas[:2] == ["us-911", "agency-safeguarding-lead"]
    assert "us-hotline" in texas, "national referrals serve every region"
    ohio = ids_of(run([*layer, "referrals", "-c", "US", "--region", "Ohio", "--json"]))
    assert "agency-safeguarding-lead" not in ohio
    assert "us-hotline" in ohio


def test_referrals_json_fields(run, mini_kb):
    data = json.loads(run(["referrals", "-c", "GB", "--json"]).stdout)
    assert data == [{
        "id": "gb-999", "name": "Emergency services (999)", "description": "UK emergency number.",
        "country": "GB",
        "contacts": [{"kind": "phone", "value": "999", "short_code": True}],
        "hours": "24/7", "languages": "English", "situations": ["immediate-danger"],
        "law_enforcement": True, "anonymous": False, "verified_on": "2026-11-23",
        "verified_at": "https://example.org/999", "sources": ["src-one"],
        "layer": "built-in", "file": display_path(mini_kb / "referrals.yaml"), "line": 45,
    }]


def test_local_referral_marked_in_table(run):
    result = run(["--data-dir", AGENCY, "referrals", "-c", "US"])
    assert result.exit_code == 0
    assert "(local layer)" in result.stdout


# --- version -------------------------------------------------------------------------------------


def test_version(run):
    result = run(["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"trafficking-ref {__version__}\n"


def test_version_does_not_need_valid_data(run, tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "indicators.yaml").write_text("indicators: [\n", encoding="utf-8")
    assert run(["--version"], builtin=bad).exit_code == 0


def test_python_m_version(cache_dir, tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "trafficking_ref", "--version"],
        capture_output=True, text=True, env=subprocess_env(cache_dir), cwd=tmp_path, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"trafficking-ref {__version__}"
    assert proc.stderr == ""


def test_no_arguments_prints_help(run):
    result = run([])
    assert result.exit_code in (0, 2)
    assert "Usage" in result.output
    assert "immediate danger" in result.output


# --- schema --------------------------------------------------------------------------------------

SCHEMA_NAMES = sorted(name.replace(".yaml", ".schema.json") for name in vocab.FILES.values())


def test_schema_writes_one_schema_per_file(run, tmp_path):
    target = tmp_path / "out"
    result = run(["schema", "-o", target])
    assert result.exit_code == 0, result.output
    assert f"Wrote {len(SCHEMA_NAMES)} schemas to {target}" in result.stdout
    assert sorted(p.name for p in target.iterdir()) == SCHEMA_NAMES
    for key, file_name in vocab.FILES.items():
        schema = json.loads((target / file_name.replace(".yaml", ".schema.json")).read_text())
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema["title"] == f"trafficking-ref {file_name}"
        assert schema["type"] == "object"
        assert schema["required"] == [key]
        assert schema["additionalProperties"] is False


def test_indicator_schema_has_the_vocabularies(run, tmp_path):
    run(["schema", "--output", tmp_path])
    schema = json.loads((tmp_path / "indicators.schema.json").read_text())
    indicator = schema["$defs"]["Indicator"]
    assert indicator["additionalProperties"] is False
    assert set(indicator["properties"]["strength"]["enum"]) == {"strong", "medium", "weak"}
    assert {"id", "title", "description", "category", "types", "settings", "audience",
            "strength", "sources"} <= set(indicator["required"])


def test_schema_overwrites(run, tmp_path):
    run(["schema", "-o", tmp_path])
    (tmp_path / "sources.schema.json").write_text("stale", encoding="utf-8")
    assert run(["schema", "-o", tmp_path]).exit_code == 0
    assert json.loads((tmp_path / "sources.schema.json").read_text())["title"]


def test_schema_to_unwritable_place_fails_cleanly(run, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    result = run(["schema", "-o", blocker / "sub"])
    assert result.exit_code == 1
    assert "cannot create the directory" in result.stderr
    assert "Traceback" not in result.output


def test_committed_schemas_are_up_to_date(run, tmp_path):
    committed = REPO_ROOT / "schemas"
    assert committed.is_dir(), "run: trafficking-ref schema -o schemas"
    fresh = tmp_path / "schemas"
    assert run(["schema", "-o", fresh]).exit_code == 0
    assert sorted(p.name for p in committed.iterdir()) == SCHEMA_NAMES
    for name in SCHEMA_NAMES:
        assert (committed / name).read_text(encoding="utf-8") == \
            (fresh / name).read_text(encoding="utf-8"), (
            f"schemas/{name} is out of date; run: trafficking-ref schema -o schemas")


def test_referrals_list_emergency_then_hotline_before_child_lines(run):
    """A plain listing knows nothing of the person: 911, then the trafficking hotline."""
    us = ids_of(run(["referrals", "-c", "US", "--json"], builtin=None))
    assert us[:2] == ["us-911", "us-national-human-trafficking-hotline"]
    assert us.index("us-national-human-trafficking-hotline") < us.index(
        "us-state-child-abuse-reporting")
    gb = ids_of(run(["referrals", "-c", "GB", "--json"], builtin=None))
    assert gb[:2] == ["gb-999", "gb-modern-slavery-helpline"]


@pytest.mark.parametrize("args", [
    ["search", "someone", "else", "holds", "their", "passport"],
    ["referrals", "-c", "US"],
    ["risk-factors"],
    ["show", "us-national-human-trafficking-hotline"],
    ["show", "avoids-eye-contact"],
])
@pytest.mark.parametrize("columns", ["50", "80"])
def test_piped_text_has_no_trailing_spaces(run, args, columns):
    """Wrapped lines end at their last word: nothing trailing for diff, grep or copy and paste."""
    result = run(args, builtin=None, env={"COLUMNS": columns})
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) > 3
    assert [n for n, line in enumerate(lines, 1) if line != line.rstrip()] == []


def test_checklist_summary_text_has_no_trailing_spaces_and_one_contact_per_line(run, tmp_path):
    answers = tmp_path / "answers.yaml"
    answers.write_text("setting: school\ncountry: US\nminor: true\nimmediate_danger: true\n"
                       "observed: [someone-else-holds-id]\nunsure: []\n")
    result = run(["checklist", "--answers", answers], builtin=None, env={"COLUMNS": "60"})
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [line for line in lines if line != line.rstrip()] == []
    assert "     Call: 1-888-373-7888" in lines
    assert "     Email: help@humantraffickinghotline.org" in lines
    assert "    Don't confront, question or accuse" in result.stdout
    assert "Don't: Don't" not in result.stdout


def test_country_from_the_environment_for_referrals_and_exports(run):
    env = {"TRAFFICKING_REF_COUNTRY": "GB"}
    assert ids_of(run(["referrals", "--json"], env=env)) == ["gb-999"]
    assert ids_of(run(["referrals", "-c", "US", "--json"], env=env))[0] == "us-911"
    everywhere = ids_of(run(["referrals", "--json"], env={"TRAFFICKING_REF_COUNTRY": ""}))
    assert {"us-911", "gb-999", "eu-112"} <= set(everywhere)
    card = run(["export", "card", "-s", "school", "-F", "html"], env=env)
    assert card.exit_code == 0, card.output
    assert "tel:999" in card.stdout and "tel:911" not in card.stdout
    data = json.loads(run(["export", "referrals", "-F", "json"], env=env).stdout)
    assert [r["id"] for r in data["entries"]] == ["gb-999"]


def test_show_finds_an_id_typed_in_capitals(run):
    result = run(["show", "HOMELESSNESS", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["id"] == "homelessness"


def test_search_does_not_force_a_near_word_beside_known_words(run):
    """'lyft' is 0.75 like 'left': too far to blend into a query whose other words match."""
    result = run(["search", "lyft", "driver"], builtin=None)
    assert result.exit_code == 0
    assert "Spelling corrected" not in result.stdout
    assert "Spelling corrected: showing results for 'passport taken'" in run(
        ["search", "pasport", "taken"], builtin=None).stdout


@pytest.mark.parametrize("args", [
    ["referrals"], ["export", "referrals", "-F", "json"],
    ["export", "card", "-s", "school", "-F", "html"], ["checklist", "--answers", "ANSWERS"],
])
def test_a_bad_country_in_the_environment_names_the_variable(run, args, tmp_path):
    answers = tmp_path / "a.yaml"
    answers.write_text("observed: []\n")
    args = [str(answers) if a == "ANSWERS" else a for a in args]
    result = run(args, env={"TRAFFICKING_REF_COUNTRY": "usa"})
    assert result.exit_code == 2
    assert "$TRAFFICKING_REF_COUNTRY: 'usa' is not a two-letter country code" in result.stderr


@pytest.mark.parametrize("args", [["referrals"], ["export", "referrals", "-F", "json"]])
def test_an_empty_country_option_is_a_usage_error_everywhere(run, args):
    result = run([*args, "-c", ""])
    assert result.exit_code == 2
    assert "is not a two-letter country code" in result.stderr
