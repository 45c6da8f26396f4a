"""`trafficking-ref checklist` through the public CLI, on the mini knowledge base."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trafficking_ref.cli.app import app

MINI = Path(__file__).parent / "fixtures" / "mini-kb"


@pytest.fixture
def run(tmp_path):
    runner = CliRunner()

    def invoke(args, input=None, env=None):
        base = {"TRAFFICKING_REF_BUILTIN_DIR": str(MINI),
                "TRAFFICKING_REF_CACHE_DIR": str(tmp_path / "cache"),
                "NO_COLOR": "1", "TTY_COMPATIBLE": "0", "TRAFFICKING_REF_COUNTRY": ""}
        base.update(env or {})
        return runner.invoke(app, args, input=input, env=base)

    return invoke


def _answers(tmp_path, text, name="answers.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_walk_with_piped_answers(run):
    # danger: n, age: adult (--adult given), then answers for the hotel walk
    result = run(["checklist", "--setting", "hospitality", "--adult"],
                 input="n\nn\nn\ny\ny\nn\nn\n")
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.index("immediate danger") < out.index("1/")
    assert "1/6" in out and "6/6" in out and "Assessment: Report now" in out
    assert "Rule 'two-strong'" in out
    assert "National Human Trafficking Hotline" in out
    assert "not a determination" in out


def test_immediate_danger_shows_the_emergency_number_first(run):
    result = run(["checklist", "--setting", "school", "--minor", "--country", "GB"],
                 input="y\n" + "n\n" * 10)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "CALL EMERGENCY SERVICES (999) NOW" in out
    assert out.index("999") < out.index("1/")


def test_typo_asks_again_and_help_explains(run):
    result = run(["checklist", "--setting", "hospitality", "--adult", "--length", "0"],
                 input="n\nmaybe\nn\n?\ny\n" + "n\n" * 6)
    assert result.exit_code == 0, result.output
    assert "Please answer one of" in result.output
    assert "What to look for:" in result.output
    assert "Keep in mind:" in result.output


def test_age_is_asked_with_not_sure(run):
    result = run(["checklist", "--setting", "hospitality", "--length", "1"], input="n\nu\ny\n")
    assert result.exit_code == 0, result.output
    assert "Is the person under 18? [y/n/u]" in result.output
    assert "age not known" in result.output


def test_back_changes_an_answer(run, tmp_path):
    out = tmp_path / "s.json"
    result = run(["checklist", "--setting", "hospitality", "--adult", "--length", "2",
                  "--save", str(out)], input="n\ny\nb\nn\nn\n")
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["observed"] == []


def test_quit_prints_a_resume_line_and_writes_nothing(run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run(["checklist", "--setting", "hospitality", "--adult"], input="n\ny\nq\n")
    assert result.exit_code == 0
    assert "were not saved" in result.output
    line = result.output.strip().splitlines()[-1]
    draft = json.loads(line)
    assert draft["observed"] and draft["setting"] == "hospitality"
    assert list(tmp_path.iterdir()) == [tmp_path / "cache"] or not any(
        p.suffix in (".json", ".md", ".yaml") for p in tmp_path.iterdir())
    # The draft resumes where it stopped.
    resume = tmp_path / "draft.json"
    resume.write_text(line)
    result = run(["checklist", "--resume", str(resume)], input="n\n" * 10)
    assert result.exit_code == 0, result.output
    assert "2/6" in result.output and "1/6" not in result.output


def test_input_ending_early_is_not_silent(run):
    result = run(["checklist", "--setting", "hospitality", "--adult"], input="n\ny\n")
    assert result.exit_code == 1
    assert "were not saved" in result.output
    assert "input ended" in result.output


def test_answers_file_runs_without_prompts(run, tmp_path):
    path = _answers(tmp_path, "setting: school\ncountry: US\nminor: true\nimmediate_danger: false\n"
                    "observed: [minor-selling-sex]\nunsure: [avoids-eye-contact]\n")
    result = run(["checklist", "--answers", path, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["assessment"]["level"] == "report"
    assert data["assessment"]["rule"] == "minor-commercial-sex"
    assert "regardless of force, fraud or coercion" in data["assessment"]["reasons"][0]
    assert [i["id"] for i in data["observed"]] == ["minor-selling-sex"]
    assert [i["id"] for i in data["unsure"]] == ["avoids-eye-contact"]
    assert [r["id"] for r in data["referrals"]][:2] == ["us-911", "us-child-protection"]
    assert all(r["why"] and r["contacts"] for r in data["referrals"])
    assert [s["id"] for s in data["next_steps"]] == ["talk-minor", "report-hotline"]
    assert "not a determination" in data["disclaimer"]


def test_answers_json_file_and_null_minor(run, tmp_path):
    path = _answers(tmp_path, json.dumps({"minor": None, "observed": ["talks-about-quota"]}),
                    "a.json")
    data = json.loads(run(["checklist", "--answers", path, "--json"]).output)
    assert data["person"] == "unknown"
    assert data["assessment"]["level"] == "report"


@pytest.mark.parametrize("text, message", [
    ("observed: [no-such-sign]\n", "unknown indicator id(s): 'no-such-sign'"),
    ("observed: [avoids-eye-contct]\n", "did you mean 'avoids-eye-contct' → 'avoids-eye-contact'?"),
    ("name: Jane\n", "unknown key(s) 'name'"),
    ("minor: maybe\n", "'minor' must be true, false or null"),
    ("observed: x\n", "'observed' must be a list"),
    ("setting: moon\n", "unknown setting 'moon'"),
    ("observed: [a\n", "yaml-syntax"),
    ("- a\n", "must be a mapping"),
])
def test_bad_answers_files_are_clear_errors(run, tmp_path, text, message):
    result = run(["checklist", "--answers", _answers(tmp_path, text)])
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_missing_answers_file(run, tmp_path):
    result = run(["checklist", "--answers", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 1
    assert "cannot read the answers file" in result.output


def test_save_writes_owner_only_markdown_atomically(run, tmp_path):
    path = _answers(tmp_path, "observed: [avoids-eye-contact]\n")
    out = tmp_path / "summary.md"
    result = run(["checklist", "--answers", path, "--save", str(out)])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    text = out.read_text()
    assert text.startswith("# Observation summary")
    assert "Avoids eye contact" in text
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]
    again = run(["checklist", "--answers", path, "--save", str(out)])
    assert again.exit_code == 1 and "already exists" in again.output
    assert run(["checklist", "--answers", path, "--save", str(out), "--force"]).exit_code == 0


def test_save_refuses_unknown_extension_and_unwritable_place(run, tmp_path):
    path = _answers(tmp_path, "observed: []\n")
    assert run(["checklist", "--answers", path, "--save", str(tmp_path / "x.txt")]).exit_code == 2
    blocked = tmp_path / "file"
    blocked.write_text("")
    result = run(["checklist", "--answers", path, "--save", str(blocked / "s.md")])
    assert result.exit_code == 1
    assert "cannot write" in result.output


def test_country_from_environment(run, tmp_path):
    path = _answers(tmp_path, "immediate_danger: true\n")
    data = json.loads(run(["checklist", "--answers", path, "--json"],
                          env={"TRAFFICKING_REF_COUNTRY": "GB"}).output)
    assert data["emergency"]["id"] == "gb-999"


def test_local_layer_contacts_come_first(run, tmp_path):
    layer = tmp_path / "district"
    layer.mkdir()
    (layer / "referrals.yaml").write_text(
        "referrals:\n"
        "  - id: district-designated-reporter\n"
        "    name: District designated reporter\n"
        "    description: Tell the district's designated reporter the same day.\n"
        "    country: US\n"
        "    contacts:\n"
        "      - {kind: web, value: 'https://example.org/district/report'}\n"
        "    hours: School hours\n"
        "    languages: English\n"
        "    situations: [local-protocol, child-protection, minor]\n"
        "    law_enforcement: false\n"
        "    anonymous: false\n"
        "    verified_on: 2026-11-01\n"
        "    verified_at: https://example.org/district\n"
        "    sources: [src-one]\n"
    )
    path = _answers(tmp_path, "minor: true\nobserved: [much-older-partner]\n")
    data = json.loads(run(["--data-dir", str(layer), "checklist", "--answers", path,
                           "--json"]).output)
    ids = [r["id"] for r in data["referrals"]]
    assert ids[:2] == ["us-911", "district-designated-reporter"], \
        "the emergency number, then the agency's protocol"
    assert ids.index("us-child-protection") > 1


def test_json_needs_answers(run):
    assert run(["checklist", "--json"]).exit_code == 2


def test_input_ending_at_the_danger_question_leaves_it_unanswered(run, tmp_path):
    """A draft saved before the danger question records null, and resuming asks it again."""
    result = run(["checklist", "--setting", "hospitality", "--adult"], input="")
    assert result.exit_code == 1
    draft = json.loads(result.output.splitlines()[-2])
    assert draft["immediate_danger"] is None
    path = _answers(tmp_path, json.dumps(draft), "draft.json")
    resumed = run(["checklist", "--resume", path], input="y\n")
    assert "Is anyone in immediate danger right now?" in resumed.output
    assert "CALL EMERGENCY SERVICES (911) NOW" in resumed.output


def test_country_without_an_emergency_number_is_said_plainly(run, tmp_path):
    path = _answers(tmp_path, "immediate_danger: true\n")
    result = run(["checklist", "-c", "NZ", "--answers", path])
    assert result.exit_code == 0
    assert "no emergency number is listed for NZ" in result.stderr
    assert "No emergency number is listed for NZ in the knowledge base" in result.stdout
    assert "none listed for NZ" in result.stdout
    data = json.loads(run(["checklist", "-c", "NZ", "--answers", path, "--json"]).stdout)
    assert data["emergency"] is None
    assert "call your local emergency number" in data["notice"]
    saved = tmp_path / "nz.md"
    run(["checklist", "-c", "NZ", "--answers", path, "--save", str(saved)])
    assert "No emergency number is listed for NZ" in saved.read_text()
    us = json.loads(run(["checklist", "--answers", path, "--json"]).stdout)
    assert us["notice"] is None


def test_save_into_a_missing_directory_is_an_error_and_creates_nothing(run, tmp_path):
    path = _answers(tmp_path, "observed: []\n")
    target = tmp_path / "no-such-dir" / "summary.md"
    result = run(["checklist", "--answers", path, "--save", str(target)])
    assert result.exit_code == 1
    assert "does not exist" in result.stderr
    assert not target.parent.exists()


def test_whole_words_are_answers_and_back_at_the_start_says_so(run):
    result = run(["checklist", "--setting", "hospitality", "--adult", "--length", "2"],
                 input="NO\nback\nYes\nno\n")
    assert result.exit_code == 0, result.output
    assert "(This is the first sign.)" in result.output
    assert "Please answer one of" not in result.output
    assert "Assessment:" in result.output


def test_missing_draft_file_is_named_as_a_draft(run, tmp_path):
    result = run(["checklist", "--resume", str(tmp_path / "nope.json")])
    assert result.exit_code == 1
    assert "cannot read the draft file" in result.stderr


def test_a_draft_saved_before_the_age_question_asks_it_on_resume(run, tmp_path):
    result = run(["checklist", "--setting", "hospitality"], input="n\n")
    assert result.exit_code == 1
    draft = json.loads(result.output.splitlines()[-2])
    assert draft["immediate_danger"] is False and "minor" not in draft
    path = _answers(tmp_path, json.dumps(draft), "draft.json")
    resumed = run(["checklist", "--resume", path], input="u\nq\n")
    assert "Is anyone in immediate danger" not in resumed.output
    assert "Is the person under 18?" in resumed.output
    # once answered "not sure", the draft says so (null) and resuming does not ask again
    again = json.loads(resumed.output.splitlines()[-1])
    assert again["minor"] is None
    path2 = _answers(tmp_path, json.dumps(again), "draft2.json")
    assert "under 18?" not in run(["checklist", "--resume", path2], input="q\n").output
