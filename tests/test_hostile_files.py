"""Hostile knowledge files: whatever a layer holds, the answer is data or one clear error.

CRLF line ends, 100,000 entries, a one-megabyte string, symbolic-link loops, a layer that is a
file, things that are not files, and terminal escape sequences in any text field.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time

import pytest

from conftest import MINI_KB, display_path, subprocess_env
from trafficking_ref.loading.knowledge import Layer, read_layer_files
from trafficking_ref.loading.store import cache_key

RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def indicator(entry_id: str = "local-sign", **fields: str) -> str:
    """One indicator entry as YAML lines (values are written as given)."""
    values = {
        "id": entry_id, "title": "A local sign", "description": "Something to look for.",
        "category": "control", "types": "[labor]", "settings": "[any]", "audience": "any",
        "strength": "weak", "sources": "[src-one]", **fields,
    }
    lines = [f"  - id: {values.pop('id')}"]
    lines += [f"    {key}: {value}" for key, value in values.items()]
    return "\n".join(lines) + "\n"


def referral(**fields: str) -> str:
    values = {
        "id": "local-desk", "name": "Local desk", "description": "Our own desk.",
        "country": "US", "contacts": '[{kind: phone, value: "1-888-373-7888", note: "Ask"}]',
        "hours": "24/7", "languages": "English", "situations": "[local-protocol]",
        "law_enforcement": "false", "anonymous": "false", "verified_on": "2025-01-01",
        "verified_at": "https://example.org/desk", "sources": "[src-one]", **fields,
    }
    lines = [f"  - id: {values.pop('id')}"]
    lines += [f"    {key}: {value}" for key, value in values.items()]
    return "referrals:\n" + "\n".join(lines) + "\n"


def no_traceback(result) -> None:
    assert "Traceback" not in result.output
    assert RAW_CONTROL.search(result.output) is None, repr(result.output)


def error_lines(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


# --- CRLF -----------------------------------------------------------------------------------------


def test_crlf_files_load_and_keep_no_carriage_returns(run, make_layer):
    text = "indicators:\n" + indicator(
        "crlf-sign", description="|\n      First line.\n      Second line.",
        aliases="\n      - one alias\n      - other alias",
    )
    layer = make_layer({"indicators.yaml": text.replace("\n", "\r\n").encode()})
    assert b"\r\n" in (layer / "indicators.yaml").read_bytes()

    result = run(["--data-dir", layer, "validate"])
    assert result.exit_code == 0, result.output
    data = json.loads(run(["--data-dir", layer, "show", "crlf-sign", "--json"]).stdout)
    assert data["description"] == "First line.\nSecond line.\n"
    assert data["aliases"] == ["one alias", "other alias"]
    assert "\r" not in json.dumps(data)
    shown = run(["--data-dir", layer, "show", "crlf-sign"])
    assert shown.exit_code == 0
    assert "\r" not in shown.stdout


def test_crlf_answers_file_is_read(run, tmp_path):
    answers = tmp_path / "answers.yaml"
    answers.write_bytes(b"setting: school\r\nobserved: [someone-else-holds-id]\r\nminor: false\r\n")
    result = run(["checklist", "--answers", answers, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["observed"][0]["id"] == "someone-else-holds-id"


# --- 100,000 entries ------------------------------------------------------------------------------


def _many_small_indicators(count: int) -> str:
    lines = ["indicators:"]
    lines += [f"- {{id: g{i}, title: Sign {i}, description: Look {i}, category: control, "
              "types: [labor], settings: [any], audience: any, strength: weak, "
              "sources: [src-one]}" for i in range(count)]
    return "\n".join(lines) + "\n"


@pytest.mark.slow
def test_100000_small_entries_load_in_reasonable_time(tmp_path, cache_dir):
    layer = tmp_path / "many"
    layer.mkdir()
    (layer / "indicators.yaml").write_text(_many_small_indicators(100_000), encoding="utf-8")
    assert (layer / "indicators.yaml").stat().st_size < 16 * 1024 * 1024
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "trafficking_ref", "--data-dir", str(layer), "show", "g99999"],
        capture_output=True, text=True, env=subprocess_env(cache_dir), cwd=tmp_path, timeout=180,
    )
    elapsed = time.monotonic() - started
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.startswith("Sign 99999")
    assert elapsed < 120, f"100,000 entries took {elapsed:.1f} s"


def test_100000_entries_over_the_size_limit_are_refused_with_one_message(run, tmp_path):
    layer = tmp_path / "too-many"
    layer.mkdir()
    padded = _many_small_indicators(100_000).replace("Look ", "Look carefully at everything, ")
    (layer / "indicators.yaml").write_text(padded, encoding="utf-8")
    assert (layer / "indicators.yaml").stat().st_size > 16 * 1024 * 1024
    started = time.monotonic()
    for args in (["validate"], ["show", "g1"]):
        result = run(["--data-dir", layer, *args])
        no_traceback(result)
        assert result.exit_code == 1
        lines = error_lines(result)
        assert 1 <= len(lines) <= 2, lines
        assert "the limit is 16,777,216 bytes (16 MiB)" in lines[0]
        assert lines[0].startswith(display_path(layer / "indicators.yaml") + ":1:1:")
    assert time.monotonic() - started < 30


# --- one enormous string --------------------------------------------------------------------------


@pytest.mark.parametrize(("field", "limit"), [("title", 300), ("description", 4000)])
def test_one_megabyte_string_is_refused_naming_the_limit(run, make_layer, field, limit):
    huge = "x" * 1_000_000
    layer = make_layer({"indicators.yaml": "indicators:\n" + indicator(**{field: huge})})
    result = run(["--data-dir", layer, "validate"])
    no_traceback(result)
    assert result.exit_code == 1
    lines = error_lines(result)
    assert lines[0] == (
        f"{display_path(layer / 'indicators.yaml')}:{3 if field == 'title' else 4}:"
        f"{7 + len(field)}: indicator 'local-sign', key '{field}': is too long "
        f"(the limit is {limit} characters) — shorten it [too-long]"
    )
    assert len(result.stderr) < 1000


@pytest.mark.parametrize("field", ["id", "category", "strength", "country", "verified_on"])
def test_a_megabyte_value_is_quoted_short_in_the_message(run, make_layer, field):
    huge = "x" * 1_000_000
    if field in ("country", "verified_on"):
        files = {"referrals.yaml": referral(**{field: huge})}
    else:
        files = {"indicators.yaml": "indicators:\n" + indicator(
            **({"entry_id": huge} if field == "id" else {field: huge}))}
    result = run(["--data-dir", make_layer(files), "validate"])
    no_traceback(result)
    assert result.exit_code == 1
    assert "(1,000,000 characters)" in result.stderr
    assert len(result.stderr) < 2000, result.stderr[:300]


def test_problem_messages_stay_on_one_line(run, make_layer):
    layer = make_layer({"indicators.yaml": "indicators:\n" + indicator(
        '"bad-id\\n"', sources='["src-one\\n"]')})
    result = run(["--data-dir", layer, "validate"])
    assert result.exit_code == 1
    problems = [line for line in error_lines(result) if "[slug]" in line]
    assert len(problems) == 2, result.stderr
    assert all(line.startswith(display_path(layer / "indicators.yaml")) for line in problems)
    assert "'bad-id\\n'" in problems[0]


@pytest.mark.parametrize("files", [
    {"indicators.yaml": "indicators:\n" + indicator('"trailing-newline\\n"')},
    {"sources.yaml": 'sources:\n  - {id: "src-nl\\n", title: T, publisher: P, year: 2020, '
                     "url: https://example.org/x}\n"},
    {"sources.yaml": "sources:\n  - {id: src-nl, title: T, publisher: P, year: 2020, "
                     'url: "https://example.org/x\\n"}\n'},
    {"referrals.yaml": referral(contacts='[{kind: web, value: "https://example.org/\\n"}]')},
    {"referrals.yaml": referral(contacts='[{kind: phone, value: "911\\n", short_code: true}]')},
    {"referrals.yaml": referral(verified_on='"2025-01-01\\n"')},
], ids=["id", "source-id", "url", "web-contact", "short-code", "date"])
def test_a_final_newline_does_not_pass_a_pattern(run, make_layer, files):
    result = run(["--data-dir", make_layer(files), "validate"])
    no_traceback(result)
    assert result.exit_code == 1, result.output


# --- symbolic links, files and other things where a layer or a file should be ---------------------


def test_symlink_loop_file_is_a_clear_error(run, tmp_path):
    layer = tmp_path / "loop"
    layer.mkdir()
    (layer / "indicators.yaml").symlink_to("indicators.yaml")
    result = run(["--data-dir", layer, "validate"])
    no_traceback(result)
    assert result.exit_code == 1
    assert error_lines(result)[0].startswith(
        f"{display_path(layer / 'indicators.yaml')}:1:1: file: cannot be read: ")
    assert "[unreadable]" in result.stderr
    lookup = run(["--data-dir", layer, "show", "someone-else-holds-id"])
    no_traceback(lookup)
    assert lookup.exit_code == 1


def test_two_files_linked_to_each_other_are_a_clear_error(run, tmp_path):
    layer = tmp_path / "pair"
    layer.mkdir()
    (layer / "indicators.yaml").symlink_to("referrals.yaml")
    (layer / "referrals.yaml").symlink_to("indicators.yaml")
    result = run(["--data-dir", layer, "validate"])
    no_traceback(result)
    assert result.exit_code == 1
    assert result.stderr.count("[unreadable]") == 2


def test_dangling_symlink_is_a_clear_error(run, tmp_path):
    layer = tmp_path / "dangling"
    layer.mkdir()
    (layer / "referrals.yaml").symlink_to(tmp_path / "gone.yaml")
    result = run(["--data-dir", layer, "validate"])
    no_traceback(result)
    assert result.exit_code == 1
    assert "symbolic link to nothing" in result.stderr


def test_directory_loops_inside_a_layer_are_not_followed(run, tmp_path):
    layer = tmp_path / "dirloop"
    layer.mkdir()
    (layer / "self").symlink_to(layer)
    (layer / "sub").mkdir()
    (layer / "sub" / "up").symlink_to(layer)
    (layer / "referrals.yaml").write_text(referral(), encoding="utf-8")
    result = run(["--data-dir", layer, "validate", "--stale-after", "100000"])
    no_traceback(result)
    assert result.exit_code == 0, result.output
    assert run(["--data-dir", layer / "self" / "sub" / "up", "show", "local-desk"]).exit_code == 0


def test_layer_directory_that_is_a_symlink_loop_is_a_usage_error(run, tmp_path):
    loop = tmp_path / "looped"
    loop.symlink_to(loop)
    result = run(["--data-dir", loop, "validate"])
    no_traceback(result)
    assert result.exit_code == 2
    assert len(error_lines(result)) <= 2
    assert error_lines(result)[0].startswith("trafficking-ref: error: the data directory")


def test_layer_that_is_a_file_is_a_usage_error(run, tmp_path):
    not_a_dir = tmp_path / "indicators.yaml"
    not_a_dir.write_text("indicators: []\n", encoding="utf-8")
    for how in (["--data-dir", not_a_dir], ["--data-dir", tmp_path / "missing"]):
        result = run([*how, "show", "someone-else-holds-id"])
        no_traceback(result)
        assert result.exit_code == 2
        assert error_lines(result)[0].startswith("trafficking-ref: error: the data directory")
    env = run(["show", "someone-else-holds-id"], env={"TRAFFICKING_REF_DATA_DIR": str(not_a_dir)})
    assert env.exit_code == 2
    assert "is not a directory" in env.stderr


def test_knowledge_file_that_is_a_directory_is_a_clear_error(run, tmp_path):
    layer = tmp_path / "odd"
    (layer / "indicators.yaml").mkdir(parents=True)
    result = run(["--data-dir", layer, "validate"])
    no_traceback(result)
    assert result.exit_code == 1
    assert "not a regular file" in result.stderr


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_knowledge_file_that_is_a_pipe_is_never_opened(tmp_path, cache_dir):
    layer = tmp_path / "odd"
    layer.mkdir()
    os.mkfifo(layer / "indicators.yaml")
    # Reading a pipe nobody writes to would wait for ever: a real process, with a time limit.
    proc = subprocess.run(
        [sys.executable, "-m", "trafficking_ref", "--data-dir", str(layer), "validate"],
        capture_output=True, text=True, env=subprocess_env(cache_dir), cwd=tmp_path, timeout=60,
    )
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 1
    assert "not a regular file" in proc.stderr


def test_an_unreadable_file_does_not_let_an_older_cache_answer(run, tmp_path):
    layer = tmp_path / "later-broken"
    layer.mkdir()
    before = read_layer_files([Layer("built-in", MINI_KB, 0), Layer("l", layer, 1)])
    assert run(["--data-dir", layer, "show", "someone-else-holds-id"]).exit_code == 0  # cached
    (layer / "indicators.yaml").symlink_to("indicators.yaml")
    after = read_layer_files([Layer("built-in", MINI_KB, 0), Layer("l", layer, 1)])
    assert cache_key(after) != cache_key(before)
    result = run(["--data-dir", layer, "show", "someone-else-holds-id"])
    assert result.exit_code == 1
    assert "[unreadable]" in result.stderr


# --- escape sequences -----------------------------------------------------------------------------

ESCAPES = {
    "csi-colour": "\\e[31m",
    "osc-hyperlink": "\\e]8;;https://evil.example\\e\\\\click\\e]8;;\\e\\\\",
    "osc-title-bel": "\\e]0;pwned\\a",
    "bel": "\\a",
    "c1-csi": "\\x9b31m",
    "del": "\\x7f",
    "bidi-override": "\\u202e",
}


def _escape_cases() -> list[tuple[str, str, str, int]]:
    """(file name, YAML text, escape name, line of the bad value)."""
    cases = []
    for name, seq in ESCAPES.items():
        bad = f'"Before {seq} after"'
        for field, line in (("title", 3), ("description", 4)):  # the id is on line 2
            body = "indicators:\n" + indicator("esc-sign", **{field: bad})
            cases.append(("indicators.yaml", body, f"{name}-{field}", line))
        cases.append(("indicators.yaml", "indicators:\n" + indicator(
            "esc-sign", aliases=f"[{bad}]"), f"{name}-alias", 11))
        cases.append(("referrals.yaml", referral(
            contacts=f'[{{kind: phone, value: "1-888-373-7888", note: {bad}}}]'),
            f"{name}-contact-note", 6))
        cases.append(("referrals.yaml", referral(name=bad), f"{name}-referral-name", 3))
    return cases


@pytest.mark.parametrize(("file_name", "text", "case", "line"), _escape_cases(),
                         ids=[c[2] for c in _escape_cases()])
def test_escape_sequences_in_text_fields_are_refused_with_file_and_line(
        run, make_layer, file_name, text, case, line):
    layer = make_layer({file_name: text})
    result = run(["--data-dir", layer, "validate"])
    no_traceback(result)
    assert result.exit_code == 1, result.output
    first = error_lines(result)[0]
    assert first.startswith(f"{display_path(layer / file_name)}:{line}:"), (first, text)
    assert "control character U+" in first
    as_json = run(["--data-dir", layer, "validate", "--json"])
    problem = json.loads(as_json.stdout)["problems"][0]
    assert (problem["line"], problem["code"]) == (line, "control-character")
    lookup = run(["--data-dir", layer, "referrals"])
    no_traceback(lookup)
    assert lookup.exit_code == 1


@pytest.mark.parametrize("raw", [b"\x1b[31m", b"\x1b]8;;https://evil.example\x07", b"\x07",
                                 b"\xc2\x9b31m", b"\x00"])
def test_raw_escape_bytes_in_a_file_are_refused_with_file_line_and_column(run, make_layer, raw):
    text = ("indicators:\n" + indicator("raw-sign", description="Plain XX text")).encode()
    layer = make_layer({"indicators.yaml": text.replace(b"XX", raw)})
    result = run(["--data-dir", layer, "validate"])
    no_traceback(result)
    assert result.exit_code == 1
    first = error_lines(result)[0]
    assert first.startswith(f"{display_path(layer / 'indicators.yaml')}:4:24: file: ")
    assert "[control-character]" in first
