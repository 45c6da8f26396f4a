"""`trafficking-ref validate`: every kind of bad data is reported as file:line:col, never a crash.

Each directory in tests/fixtures/invalid/ is a layer with one kind of problem, loaded with
``--data-dir`` on top of tests/fixtures/mini-kb. The oversized file is generated at test time.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import INVALID, display_path, subprocess_env
from trafficking_ref.loading.limits import MAX_BYTES, MAX_DEPTH
from trafficking_ref.loading.yamlread import read_yaml


@dataclass(frozen=True)
class Expect:
    file: str
    line: int
    code: str
    hints: tuple[str, ...] = ()


# One fixture per error type: the file, the exact line of the problem, the error code, hints.
INVALID_CASES: dict[str, Expect] = {
    "syntax-error": Expect("indicators.yaml", 4, "yaml-syntax", ("needs quotes",)),
    "unknown-key": Expect("indicators.yaml", 11, "unknown-key",
                          ("unknown key 'stength'", "did you mean 'strength'?")),
    "bad-enum-value": Expect("indicators.yaml", 10, "bad-value",
                             ("'strongest' is not allowed", "did you mean 'strong'?")),
    "wrong-type": Expect("indicators.yaml", 12, "wrong-type", ("expected true or false",)),
    "missing-field": Expect("indicators.yaml", 3, "missing", ("'description' is missing",)),
    "duplicate-id": Expect("indicators.yaml", 12, "duplicate-id",
                           ("'fixture-dup'", "indicators.yaml:3")),
    "duplicate-key": Expect("indicators.yaml", 6, "duplicate-key",
                            ("'title' appears twice", "first at line 4")),
    "unknown-source": Expect("indicators.yaml", 11, "unknown-source", ("'src-too'",)),
    "control-characters": Expect("indicators.yaml", 4, "control-character", ("U+001B",)),
    "anchors-aliases": Expect("indicators.yaml", 11, "anchor", ("anchors and aliases",)),
    "yaml-tag": Expect("indicators.yaml", 4, "tag", ("tags are not allowed",)),
    "top-level-not-mapping": Expect("indicators.yaml", 2, "not-a-mapping",
                                    ("must be a mapping", "'indicators:'")),
    "non-utf8": Expect("indicators.yaml", 4, "encoding", ("0xE9", "UTF-8")),
    "very-deep-nesting": Expect("indicators.yaml", 12, "too-deep", (str(MAX_DEPTH),)),
    "tab-indentation": Expect("indicators.yaml", 5, "yaml-syntax", ("not tabs",)),
    "bad-phone-number": Expect("referrals.yaml", 8, "contact",
                               ("'1-888-373-78'", "not a valid phone number for US")),
    "oversized-file": Expect("indicators.yaml", 1, "too-large", ("16 MiB",)),
}
# Fixtures that look suspicious but must load.
VALID_CASES = ["byte-order-mark", "yaml11-surprises"]


def test_every_fixture_directory_is_covered() -> None:
    on_disk = {p.name for p in INVALID.iterdir() if p.is_dir()}
    generated = {"oversized-file"}
    assert on_disk == set(INVALID_CASES) - generated | set(VALID_CASES)


def _oversized_layer(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    filler = b"# padding to go over the size limit\n"
    with (directory / "indicators.yaml").open("wb") as handle:
        handle.write(b"indicators:\n")
        handle.write(filler * (MAX_BYTES // len(filler) + 2))
    assert (directory / "indicators.yaml").stat().st_size > MAX_BYTES
    return directory


def _layer_for(name: str, tmp_path: Path) -> Path:
    if name == "oversized-file":
        return _oversized_layer(tmp_path / "oversized-file")
    return INVALID / name


@pytest.mark.parametrize("name", sorted(INVALID_CASES))
def test_invalid_fixture_is_reported(name, run, tmp_path, monkeypatch):
    expect = INVALID_CASES[name]
    layer = _layer_for(name, tmp_path)
    # Run from an empty directory, so a YAML tag that executed would leave a file here.
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)

    start = time.perf_counter()
    result = run(["--data-dir", layer, "validate"])
    elapsed = time.perf_counter() - start

    output = result.output
    assert result.exit_code == 1, output
    shown = display_path(layer / expect.file)
    lines = [line for line in output.splitlines() if line.startswith(f"{shown}:{expect.line}:")]
    assert lines, f"no problem reported at {shown}:{expect.line}:\n{output}"
    located = [line for line in lines if line.endswith(f"[{expect.code}]")]
    assert located, f"no [{expect.code}] problem at line {expect.line}:\n{output}"
    for hint in expect.hints:
        assert any(hint in line for line in located), f"{hint!r} missing from {located}"
    assert "Traceback" not in output
    assert "\x1b" not in output
    assert "error(s)" in result.stderr
    assert elapsed < 5, f"validate took {elapsed:.2f}s"
    assert list(work.iterdir()) == []


@pytest.mark.parametrize("name", VALID_CASES)
def test_suspicious_but_valid_fixture_loads(name, run):
    result = run(["--data-dir", INVALID / name, "validate"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("OK:")
    assert "in 2 layer(s)" in result.stdout


def test_byte_order_mark_file_is_read(run):
    result = run(["--data-dir", INVALID / "byte-order-mark", "show", "fixture-bom", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["title"] == "Saved with a byte-order mark"


def test_yaml11_words_numbers_and_dates_stay_text(run):
    layer = INVALID / "yaml11-surprises"
    first = json.loads(run(["--data-dir", layer, "show", "fixture-title-no", "--json"]).stdout)
    assert first["title"] == "no"
    assert first["aliases"] == ["on", "off", "yes", "0x10", "1e3"]
    second = json.loads(
        run(["--data-dir", layer, "show", "fixture-title-version", "--json"]).stdout
    )
    assert second["title"] == "1.10"
    assert second["description"] == "2024-01-01"


@pytest.mark.parametrize(
    "name", ["yaml-tag", "very-deep-nesting", "non-utf8", "control-characters", "syntax-error"]
)
def test_real_process_exits_1_without_traceback(name, cache_dir, tmp_path):
    env = subprocess_env(cache_dir)
    proc = subprocess.run(
        [sys.executable, "-m", "trafficking_ref", "--data-dir", str(INVALID / name), "validate"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60,
    )
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert f"[{INVALID_CASES[name].code}]" in proc.stderr
    assert not (tmp_path / "trafficking-ref-pwned").exists()


def test_bad_data_in_a_lookup_command_exits_1_with_the_problems(run):
    result = run(["--data-dir", INVALID / "unknown-key", "risk-factors"])
    assert result.exit_code == 1
    assert "did you mean 'strength'?" in result.stderr
    assert "trafficking-ref validate" in result.stderr
    assert "Traceback" not in result.output


# --- the clean case and JSON ---------------------------------------------------------------------


def test_mini_kb_is_valid(run):
    result = run(["validate", "--stale-after", "100000"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("OK: 2 sources, 8 indicators, 2 risk factors, 5 referrals")
    assert "in 1 layer(s)" in result.stdout
    assert result.stderr == ""


def test_validate_json_when_clean(run):
    result = run(["validate", "--json", "--stale-after", "100000"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["ok"] is True
    assert data["errors"] == 0
    assert data["warnings"] == 0
    assert data["problems"] == []
    assert data["counts"] == {
        "sources": 2, "indicators": 8, "risk_factors": 2, "referrals": 5, "guidance": 4,
        "synonyms": 2, "assessment_rules": 6,
    }


def test_validate_json_with_errors(run):
    layer = INVALID / "unknown-key"
    result = run(["--data-dir", layer, "validate", "--json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["ok"] is False
    assert data["errors"] == 2
    assert data["counts"] is None
    for problem in data["problems"]:
        assert set(problem) == {"file", "line", "col", "where", "message", "code", "severity"}
        assert problem["file"] == display_path(layer / "indicators.yaml")
        assert problem["severity"] == "error"
    by_code = {p["code"]: p for p in data["problems"]}
    assert by_code["unknown-key"]["line"] == 11
    assert by_code["unknown-key"]["col"] == 5
    assert "did you mean 'strength'?" in by_code["unknown-key"]["message"]
    assert by_code["unknown-key"]["where"] == "indicator 'fixture-unknown-key', key 'stength'"
    assert by_code["missing"]["line"] == 3


# --- every problem is collected ------------------------------------------------------------------

THREE_ERRORS = """\
indicators:
  - id: first-problem
    title: Unknown key
    description: Seen.
    category: control
    types: [labor]
    settings: [any]
    audience: any
    strength: strong
    sources: [src-one]
    setings: [school]
  - id: second-problem
    title: Bad value
    description: Seen.
    category: control
    types: [labor, fishing]
    settings: [any]
    audience: any
    strength: weak
    sources: [src-one]
  - id: third-problem
    title: Unknown source
    description: Seen.
    category: control
    types: [labor]
    settings: [any]
    audience: any
    strength: medium
    sources: [src-one, no-such-source]
"""


def test_every_problem_in_every_file_is_reported(run, make_layer):
    layer = make_layer({
        "indicators.yaml": THREE_ERRORS,
        "risk_factors.yaml": "risk_factors:\n  - id: Bad_ID\n    title: x\n"
                             "    description: y\n    sources: [src-one]\n",
    })
    result = run(["--data-dir", layer, "validate", "--json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    found = {(Path(p["file"]).name, p["line"], p["code"]) for p in data["problems"]}
    assert found == {
        ("indicators.yaml", 11, "unknown-key"),
        ("indicators.yaml", 16, "bad-value"),
        ("indicators.yaml", 29, "unknown-source"),
        ("risk_factors.yaml", 2, "slug"),
    }
    assert data["errors"] == 4

    text = run(["--data-dir", layer, "validate"])
    assert text.exit_code == 1
    assert "4 error(s), 0 warning(s)" in text.stderr
    assert "did you mean 'settings'?" in text.stderr
    assert "'fishing' is not allowed" in text.stderr
    assert "unknown source id 'no-such-source'" in text.stderr


# --- stale referrals -----------------------------------------------------------------------------

STALE_REFERRAL = """\
referrals:
  - id: old-local-line
    name: Agency line
    description: Checked long ago.
    country: US
    contacts:
      - {kind: web, value: "https://example.org/agency"}
    hours: Office hours
    languages: English
    situations: [local-protocol]
    law_enforcement: false
    anonymous: false
    verified_on: 2020-01-02
    verified_at: https://example.org/agency
    sources: [src-one]
"""


def _stale_warnings(problems: list[dict]) -> list[dict]:
    return [p for p in problems if p["code"] == "stale" and "old-local-line" in p["where"]]


def test_old_referral_warns_but_passes(run, make_layer):
    layer = make_layer({"referrals.yaml": STALE_REFERRAL})
    result = run(["--data-dir", layer, "validate"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if "old-local-line" in line]
    assert len(lines) == 1
    assert lines[0].startswith(f"{display_path(layer / 'referrals.yaml')}:2:")
    assert "warning:" in lines[0]
    assert "more than 365 days ago" in lines[0]
    assert lines[0].endswith("[stale]")
    assert result.stdout.startswith("OK:")


def test_old_referral_fails_with_strict(run, make_layer):
    layer = make_layer({"referrals.yaml": STALE_REFERRAL})
    result = run(["--data-dir", layer, "validate", "--strict"])
    assert result.exit_code == 1
    assert "[stale]" in result.stderr

    data = json.loads(run(["--data-dir", layer, "validate", "--strict", "--json"]).stdout)
    assert data["ok"] is False
    assert data["errors"] == 0
    assert data["warnings"] >= 1
    (warning,) = _stale_warnings(data["problems"])
    assert warning["severity"] == "warning"
    assert warning["line"] == 2


def test_stale_after_sets_the_age(run, make_layer):
    layer = make_layer({"referrals.yaml": STALE_REFERRAL})
    data = json.loads(
        run(["--data-dir", layer, "validate", "--json", "--stale-after", "100000"]).stdout
    )
    assert _stale_warnings(data["problems"]) == []
    strict = run(["--data-dir", layer, "validate", "--strict", "--stale-after", "100000"])
    assert strict.exit_code == 0, strict.output
    shorter = json.loads(
        run(["--data-dir", layer, "validate", "--json", "--stale-after", "30"]).stdout
    )
    assert "more than 30 days ago" in _stale_warnings(shorter["problems"])[0]["message"]


def test_stale_after_must_be_positive(run):
    result = run(["validate", "--stale-after", "0"])
    assert result.exit_code == 2


def test_future_verified_on_is_an_error(run, make_layer):
    layer = make_layer({"referrals.yaml": STALE_REFERRAL.replace("2020-01-02", "2999-01-01")})
    result = run(["--data-dir", layer, "validate"])
    assert result.exit_code == 1
    assert f"{display_path(layer / 'referrals.yaml')}:13:" in result.stderr
    assert "in the future" in result.stderr


# --- the reader itself ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code", "line"),
    [
        ("a: 1\nb: *nothing\n", "alias", 2),
        ("a: !!str x\n", "tag", 1),
        ("a: !custom x\n", "tag", 1),
        ("a: 1\n---\nb: 2\n", "multiple-documents", 2),
        ("a: 1\n1: 2\n", "non-string-key", 2),
        ("a: 1\n? [x]\n: 2\n", "non-string-key", 2),
        ("a: \x07bell\n", "control-character", 1),
        ("a: \u202eevil\n", "control-character", 1),
    ],
)
def test_read_yaml_refuses(text, code, line):
    result = read_yaml(text.encode())
    assert result.value is None
    assert [(p.code, p.line) for p in result.problems] == [(code, line)]


def test_read_yaml_deep_nesting_does_not_recurse():
    start = time.perf_counter()
    result = read_yaml(b"a: " + b"[" * 100_000 + b"]" * 100_000 + b"\n")
    assert [p.code for p in result.problems] == ["too-deep"]
    assert time.perf_counter() - start < 5


def test_read_yaml_refuses_oversized_bytes():
    result = read_yaml(b"#" * (MAX_BYTES + 1))
    assert [p.code for p in result.problems] == ["too-large"]
    assert "16 MiB" in result.problems[0].message


def test_read_yaml_core_schema_scalars():
    result = read_yaml(
        b"a: no\nb: 1.10\nc: 2024-01-01\nd: true\ne: 12\nf: ~\ng:\nh: '12'\ni: on\nj: 012\n"
    )
    assert result.problems == []
    assert result.value == {
        "a": "no", "b": "1.10", "c": "2024-01-01", "d": True, "e": 12, "f": None, "g": None,
        "h": "12", "i": "on", "j": "012",
    }
    assert result.marks[("c",)] == (3, 4)
    assert result.key_marks[("c",)] == (3, 1)



def test_a_layer_that_leaves_a_country_without_an_emergency_number_warns(run, make_layer):
    """Replacing 'us-911' with a contact for another situation would silence the danger step."""
    layer = make_layer({"referrals.yaml": """\
        referrals:
          - id: us-911
            name: Front desk
            description: The front desk.
            country: US
            contacts:
              - {kind: phone, value: "+1 202-555-0100"}
            hours: Always
            languages: English
            situations: [local-protocol]
            law_enforcement: false
            anonymous: false
            verified_on: 2026-11-01
            verified_at: https://example.org/desk
            sources: [src-one]
        """})
    result = run(["--data-dir", layer, "validate"])
    assert result.exit_code == 0, result.output
    (line,) = [x for x in result.stderr.splitlines() if "[no-emergency]" in x]
    assert "no referral for US has the situation 'immediate-danger'" in line
    assert run(["--data-dir", layer, "validate", "--strict"]).exit_code == 1
    assert "[no-emergency]" not in run(["validate"]).stderr


def test_unknown_key_lists_the_keys_of_that_level(run, make_layer):
    layer = make_layer({"referrals.yaml": STALE_REFERRAL.replace(
        "    name:", "    zzz: 1\n    name:", 1).replace("kind: web,", "kind: web, qqq: 1,", 1)})
    problems = json.loads(run(["--data-dir", layer, "validate", "--json"]).stdout)["problems"]
    messages = {p["where"].split("key ")[-1]: p["message"] for p in problems
                if p["code"] == "unknown-key"}
    assert "verified_on" in messages["'zzz'"] and "short_code" not in messages["'zzz'"]
    assert "short_code" in messages["'contacts[0].qqq'"]
    assert "verified_on" not in messages["'contacts[0].qqq'"]
