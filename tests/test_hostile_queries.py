"""Hostile queries and arguments: ``show``, ``referrals`` and ``checklist --answers`` never raise
on arbitrary input and never let a raw control character reach the terminal; data holding Rich
markup is printed literally. (Search properties are in test_search.py.)
"""

from __future__ import annotations

import json
import re

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import trafficking_ref.cli.app  # noqa: F401  (first: checklist and app import each other)
from trafficking_ref.cli.checklist import ANSWER_KEYS

# C0 controls but LF and TAB (so CR too), DEL, C1 (ESC is C0).
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
SGR = re.compile("\x1b\\[[0-9;]*m")

PROPERTY = settings(
    max_examples=150, deadline=None, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Text that is likely to hurt: escape sequences, markup, control and bidi characters, lone
# surrogates (what an undecodable command-line byte becomes), and anything else.
NASTY = st.sampled_from([
    "\x1b[31m", "\x1b]8;;https://evil.example\x07", "\x07", "\x9b", "\x7f", "\x00", "\r", "\n",
    "\t", "[bold]", "[/]", "[link=x]", ":warning:", "\u202e", "\ufeff", "\udcff", "US", "GB",
    "someone-else-holds-id", "-", "--", "--help", "%s", "{}", "'", '"', "\\", "é", "\u2028",
])
TEXT = st.one_of(
    st.text(),
    st.text(st.characters(codec=None, exclude_categories=())),  # surrogates too
    st.lists(NASTY | st.text(max_size=3), max_size=8).map("".join),
)


def check(result) -> None:
    """The exit code says what happened, and nothing raw reaches the terminal."""
    assert result.exit_code in (0, 1, 2), (result.exit_code, result.output)
    for stream in (result.stdout, result.stderr):
        assert "Traceback" not in stream
        bad = RAW_CONTROL.search(stream)
        assert bad is None, f"raw {bad.group()!r} in {stream!r}"


# --- properties --------------------------------------------------------------------------------


@PROPERTY
@given(entry_id=TEXT, as_json=st.booleans())
def test_show_never_raises_and_prints_nothing_raw(run, entry_id, as_json):
    result = run(["show", entry_id, *(["--json"] if as_json else [])])
    check(result)
    if result.exit_code == 1:
        assert result.stderr.startswith("trafficking-ref: error: no entry with id ")


@PROPERTY
@given(country=TEXT, region=TEXT, how=st.sampled_from(["country", "region", "both", "json"]))
def test_referrals_never_raise_and_print_nothing_raw(run, country, region, how):
    args = {
        "country": ["--country", country],
        "region": ["--region", region],
        "both": ["--country", country, "--region", region],
        "json": ["--country", "US", "--region", region, "--json"],
    }[how]
    check(run(["referrals", *args]))


def test_referrals_region_is_echoed_safely(run):
    result = run(["referrals", "--country", "ZZ", "--region", "\x1b[31mred\x1b]8;;x\x07"])
    check(result)
    assert result.exit_code == 0
    assert "<U+001B>[31mred" in result.stdout


SCALAR = st.one_of(st.none(), st.booleans(), st.integers(), TEXT,
                   st.sampled_from(["school", "US", "someone-else-holds-id", "avoids-eye-contact"]))
VALUE = st.recursive(SCALAR, lambda inner: st.lists(inner, max_size=4)
                     | st.dictionaries(TEXT, inner, max_size=3), max_leaves=10)
ANSWERS = st.dictionaries(st.sampled_from(ANSWER_KEYS) | TEXT, VALUE, max_size=6)
IDS = st.lists(TEXT | st.sampled_from(["someone-else-holds-id", "avoids-eye-contact"]),
               max_size=3)
# Mostly well-formed answers with one hostile value, so that every check gets its turn.
NEARLY_VALID = st.fixed_dictionaries({}, optional={
    "setting": TEXT | st.sampled_from(["school", "hospitality"]),
    "country": TEXT | st.sampled_from(["US", "uk", "EU"]),
    "minor": st.none() | st.booleans() | TEXT,
    "immediate_danger": st.none() | st.booleans() | TEXT,
    "observed": IDS, "unsure": IDS, "not_observed": IDS, "skipped": IDS,
})


def _yaml(data: object) -> bytes:
    return yaml.safe_dump(data, allow_unicode=True).encode("utf-8", "surrogatepass")


FILE_BYTES = st.one_of(
    st.binary(max_size=400),
    TEXT.map(lambda t: t.encode("utf-8", "surrogatepass")),
    ANSWERS.map(lambda d: json.dumps(d).encode()),
    ANSWERS.map(_yaml),
    NEARLY_VALID.map(lambda d: json.dumps(d).encode()),
    NEARLY_VALID.map(_yaml),
    st.lists(NASTY | st.sampled_from(["setting: ", "observed: [", "]", "\n", "minor: ", "no",
                                      "&a ", "*a", "!!python/object:os.system ", "- "]),
             max_size=20).map(lambda parts: "".join(parts).encode("utf-8", "surrogatepass")),
)


@PROPERTY
@given(data=FILE_BYTES, as_json=st.booleans())
def test_checklist_answers_file_never_raises_and_prints_nothing_raw(run, tmp_path, data, as_json):
    answers = tmp_path / "answers.yaml"
    answers.write_bytes(data)
    result = run(["checklist", "--answers", answers, *(["--json"] if as_json else [])])
    check(result)
    if result.exit_code != 0:
        assert result.stderr.startswith("trafficking-ref: error: "), result.stderr


def test_answers_file_is_never_executed(run, tmp_path):
    marker = tmp_path / "pwned"
    answers = tmp_path / "answers.yaml"
    answers.write_text(f"setting: !!python/object/apply:os.system ['touch {marker}']\n",
                       encoding="utf-8")
    result = run(["checklist", "--answers", answers])
    check(result)
    assert result.exit_code == 1
    assert "[tag]" in result.stderr
    assert not marker.exists()


# --- Rich markup in the data is shown literally ------------------------------------------------

TITLE = "Zebra [bold]x[/] and [/] end"
DESCRIPTION = "Zebra look [red]for[/red] [/] this"
CAUTION = "[/] innocent [link=https://evil.example]click[/link]"
ASK = "[blink]Are you ok?[/blink] :warning:"


@pytest.fixture
def markup_layer(make_layer):
    return make_layer({"indicators.yaml": f"""\
        indicators:
          - id: markup-sign
            title: "{TITLE}"
            description: "{DESCRIPTION}"
            category: control
            types: [labor]
            settings: [any]
            audience: any
            strength: strong
            sources: [src-one]
            aliases: ["[i]zebra alias[/i]"]
            ask: ["{ASK}"]
            cautions: ["{CAUTION}"]
        """})


STYLED = {"TTY_COMPATIBLE": "1", "FORCE_COLOR": "1", "NO_COLOR": None, "COLUMNS": "300",
          "TERM": "xterm-256color"}


@pytest.mark.parametrize("env", [{"COLUMNS": "300"}, STYLED], ids=["plain", "styled"])
def test_show_prints_markup_literally(run, markup_layer, env):
    result = run(["--data-dir", markup_layer, "show", "markup-sign"], env=env)
    assert result.exit_code == 0, result.output
    assert ("\x1b[" in result.stdout) == ("FORCE_COLOR" in env)  # styled, and still literal
    out = SGR.sub("", result.stdout)
    for literal in (TITLE, DESCRIPTION, CAUTION, ASK, "[i]zebra alias[/i]"):
        assert literal in out


@pytest.mark.parametrize("env", [{"COLUMNS": "300"}, STYLED], ids=["plain", "styled"])
def test_search_prints_markup_literally(run, markup_layer, env):
    result = run(["--data-dir", markup_layer, "search", "zebra"], env=env)
    assert result.exit_code == 0, result.output
    out = SGR.sub("", result.stdout)
    assert TITLE in out
    assert "[red]for[/red] [/]" in out or "[i]zebra alias[/i]" in out


@pytest.mark.parametrize("env", [{"COLUMNS": "300"}, STYLED], ids=["plain", "styled"])
def test_checklist_summary_prints_markup_literally(run, markup_layer, tmp_path, env):
    answers = tmp_path / "answers.yaml"
    answers.write_text("setting: hospitality\nminor: false\nobserved: [markup-sign]\n",
                       encoding="utf-8")
    result = run(["--data-dir", markup_layer, "checklist", "--answers", answers], env=env)
    assert result.exit_code == 0, result.output
    assert f"{TITLE} (markup-sign)" in SGR.sub("", result.stdout)


def test_checklist_walk_prints_markup_literally(run, markup_layer):
    walk_input = "n\n" + "?\ny\n" * 30  # no danger; then help and "observed" for every sign
    result = run(["--data-dir", markup_layer, "checklist", "--setting", "hospitality", "--adult",
                  "--length", "0"], input=walk_input, env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    assert f"[strong] {TITLE}" in result.stdout
    assert f"What to look for: {DESCRIPTION}" in result.stdout
    assert f"Keep in mind: {CAUTION}" in result.stdout
    assert ASK in result.stdout
    assert RAW_CONTROL.search(result.stdout) is None
