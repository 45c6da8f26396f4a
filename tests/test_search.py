"""`trafficking-ref search` through the CLI: words, typos, synonyms, filters, JSON, hostile text.

Runs against tests/fixtures/mini-kb (the built-in layer is replaced), with the cache in a
temporary directory.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

MINI_KB = Path(__file__).resolve().parent / "fixtures" / "mini-kb"

# Raw control characters that must never reach the terminal: C0 except newline (tab included),
# DEL, C1 (ESC is C0), and the bidirectional overrides/marks that reorder what is displayed.
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")

Run = Callable[..., Any]


def _env(cache: Path) -> dict[str, str | None]:
    return {
        "TRAFFICKING_REF_CACHE_DIR": str(cache),
        "TRAFFICKING_REF_BUILTIN_DIR": str(MINI_KB),
        "TRAFFICKING_REF_DATA_DIR": None,
        "TRAFFICKING_REF_NO_CACHE": None,
        "NO_COLOR": "1",
        "TTY_COMPATIBLE": "0",
        "FORCE_COLOR": None,
        "COLUMNS": "120",
        "TERM": "dumb",
    }


def _reset_consoles() -> None:
    output = sys.modules.get("trafficking_ref.cli.output")
    if output is not None:  # the consoles are created once per process
        output._out = None  # type: ignore[attr-defined]
        output._err = None  # type: ignore[attr-defined]


def _make_runner(cache: Path) -> Run:
    from trafficking_ref.cli.app import app

    def invoke(args: Sequence[str]) -> Any:
        _reset_consoles()
        result = CliRunner().invoke(app, list(args), env=_env(cache), catch_exceptions=True)
        _reset_consoles()
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result

    return invoke


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    """Invoke the CLI in-process; one cache for the module (so most runs are cache hits)."""
    yield _make_runner(tmp_path_factory.mktemp("search-cache"))


def search_json(cli: Run, *args: str) -> list[dict[str, Any]]:
    result = cli(["search", "--json", *args])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert isinstance(data, list)
    return data


def ids(cli: Run, *args: str) -> list[str]:
    return [hit["id"] for hit in search_json(cli, *args)]


# --- words, typos, synonyms ---------------------------------------------------------------------


def test_plain_words_find_the_entry(cli: Run) -> None:
    assert ids(cli, "passport")[0] == "someone-else-holds-id"
    assert ids(cli, "works", "long", "hours")[0] == "excessive-hours"
    assert ids(cli, "he won't look me in the eye")[0] == "avoids-eye-contact"


def test_table_shows_columns_and_the_match(cli: Run) -> None:
    result = cli(["search", "passport"])
    assert result.exit_code == 0
    out = result.stdout
    for column in ("Id", "Title", "Kind", "Strength", "Settings", "Match"):
        assert column in out
    assert "someone-else-ho" in out  # ids may wrap in a narrow column
    assert "strong" in out
    assert not RAW_CONTROL.search(out)  # the highlight markers never leak


def test_typo_is_corrected_with_a_notice(cli: Run) -> None:
    result = cli(["search", "pasport"])
    assert result.exit_code == 0
    assert "Spelling corrected: showing results for 'passport' (you typed 'pasport')." \
        in result.stdout
    assert ids(cli, "pasport")[0] == "someone-else-holds-id"


def test_typo_in_one_of_several_words(cli: Run) -> None:
    assert "excessive-hours" in ids(cli, "excesive", "hourss")


def test_typo_next_to_a_known_word_is_still_corrected(cli: Run) -> None:
    """'taken' alone finds things, but 'pasport' is searched as 'passport' too."""
    assert ids(cli, "pasport", "taken")[0] == "someone-else-holds-id"
    result = cli(["search", "pasport", "taken"])
    assert "showing results for 'passport taken'" in result.stdout


def test_known_words_are_never_corrected(cli: Run) -> None:
    """An inflection the index knows through stemming is not a typo: the mini knowledge base
    says "abuse", never "abuses", and a word list alone would "correct" it."""
    result = cli(["search", "abuses"])
    assert result.exit_code == 0
    assert "Spelling corrected" not in result.stdout
    assert ids(cli, "abuses")


def test_only_common_words_find_nothing(cli: Run) -> None:
    assert ids(cli, "the") == []
    assert ids(cli, "who", "is", "it") == []


def test_a_phone_number_finds_its_service(cli: Run) -> None:
    for typed in ("1-888-373-7888", "18883737888", "8883737888", "888 373 7888"):
        hits = ids(cli, typed)
        assert hits and hits[0] == "us-hotline", typed
    assert "Spelling corrected" not in cli(["search", "8883737888"]).stdout


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("teen", "minor-selling-sex"),  # child group: teen -> minor
        ("kid", "minor-selling-sex"),
        ("underage", "minor-selling-sex"),
        ("ID", "someone-else-holds-id"),  # documents group: ID -> passport
        ("papers", "someone-else-holds-id"),
        ("identification", "someone-else-holds-id"),
    ],
)
def test_synonyms_find_the_meaning(cli: Run, query: str, expected: str) -> None:
    assert expected in ids(cli, query)[:3]


def test_synonym_reaches_an_entry_that_uses_another_word(cli: Run) -> None:
    # "student" is only in much-older-partner's text; "kid" reaches it through the child group.
    assert "much-older-partner" in ids(cli, "kid")
    assert "much-older-partner" not in ids(cli, "boyfriend", "--kind", "risk-factor")


def test_aliases_are_searched(cli: Run) -> None:
    assert ids(cli, "couch surfing")[0] == "homelessness"
    assert ids(cli, "stares at the floor")[0] == "avoids-eye-contact"


def test_stop_words_do_not_drown_the_query(cli: Run) -> None:
    assert ids(cli, "is", "the", "boss", "keeping", "his", "passport")[0] == "someone-else-holds-id"


def test_exact_id_ranks_first(cli: Run) -> None:
    assert ids(cli, "talks-about-quota")[0] == "talks-about-quota"


# --- filters ------------------------------------------------------------------------------------


def test_filter_kind(cli: Run) -> None:
    hits = search_json(cli, "poverty", "homelessness", "money", "--kind", "risk-factor")
    assert hits and {h["kind"] for h in hits} == {"risk-factor"}
    assert not [h for h in search_json(cli, "passport", "--kind", "guidance")
                if h["kind"] != "guidance"]


def test_filter_setting_keeps_entries_for_any_setting(cli: Run) -> None:
    hits = search_json(cli, "eye", "contact", "passport", "quota", "--setting", "school")
    assert hits
    for h in hits:
        assert "school" in h["settings"] or "any" in h["settings"], h
    assert "talks-about-quota" not in [h["id"] for h in hits]


def test_filter_type(cli: Run) -> None:
    hits = search_json(cli, "works", "hours", "sex", "--type", "labor")
    assert hits and all("labor" in h["types"] for h in hits)
    assert "excessive-hours" in [h["id"] for h in hits]


def test_filter_audience(cli: Run) -> None:
    hits = search_json(cli, "older", "boyfriend", "hours", "--audience", "minor")
    assert hits and all(h["audience"] in ("minor", "any") for h in hits)
    assert "excessive-hours" not in [h["id"] for h in hits]


def test_filter_strength(cli: Run) -> None:
    hits = search_json(cli, "passport", "eye", "contact", "hours", "--strength", "strong")
    assert hits and all(h["strength"] == "strong" for h in hits)


def test_limit(cli: Run) -> None:
    many = search_json(cli, "sex", "money", "school", "hotel", "--limit", "50")
    assert len(many) > 2
    assert len(search_json(cli, "sex", "money", "school", "hotel", "--limit", "2")) == 2
    assert search_json(cli, "sex", "money", "school", "hotel", "--limit", "2") == many[:2]


def test_default_limit_is_ten(cli: Run) -> None:
    assert len(search_json(cli, "a", "e", "the", "sex", "labor", "money", "hotel", "school",
                           "hours", "passport", "eye", "quota", "poverty", "hotline",
                           "emergency", "police", "minor", "talk")) == 10


@pytest.mark.parametrize("bad", [["--kind", "victim"], ["--setting", "moon"], ["--limit", "0"]])
def test_bad_filter_value_is_a_usage_error(cli: Run, bad: list[str]) -> None:
    result = cli(["search", "passport", *bad])
    assert result.exit_code == 2


# --- no hits ------------------------------------------------------------------------------------


def test_no_hits_is_a_helpful_line_and_exit_0(cli: Run) -> None:
    result = cli(["search", "xylophone"])
    assert result.exit_code == 0
    assert "No matches for 'xylophone'." in result.stdout
    assert "Try fewer or other words" in result.stdout
    assert result.stderr == ""


def test_no_hits_names_the_filters(cli: Run) -> None:
    result = cli(["search", "quota", "--setting", "school", "--kind", "indicator"])
    assert result.exit_code == 0
    assert "No matches for 'quota' with --kind indicator, --setting school." in result.stdout
    assert "without the filters" in result.stdout


def test_no_hits_with_a_correctable_typo_suggests_it(cli: Run) -> None:
    result = cli(["search", "quotta", "--setting", "school"])
    assert result.exit_code == 0
    assert "Did you mean: quota?" in result.stdout


def test_no_hits_json_is_an_empty_list(cli: Run) -> None:
    result = cli(["search", "--json", "xylophone"])
    assert result.exit_code == 0
    assert result.stdout.strip() == "[]"
    assert json.loads(result.stdout) == []


# --- JSON shape ---------------------------------------------------------------------------------


def test_json_shape_is_stable(cli: Run) -> None:
    hits = search_json(cli, "passport", "kid", "hours")
    assert len(hits) >= 3
    for hit in hits:
        keys = list(hit)
        assert keys[0] == "id"
        assert keys[-1] == "score"
        assert keys.index("layer") + 1 == keys.index("file") == keys.index("line") - 1
        assert keys.index("line") < keys.index("kind")
        assert isinstance(hit["id"], str) and isinstance(hit["title"], str)
        assert hit["kind"] in ("indicator", "risk-factor", "guidance", "referral")
        assert isinstance(hit["score"], (int, float))
        assert hit["layer"] == "built-in" and isinstance(hit["line"], int)
        assert hit["file"].endswith(".yaml")
    indicator = next(h for h in hits if h["kind"] == "indicator")
    for key in ("description", "category", "types", "settings", "audience", "strength",
                "sources", "aliases", "ask", "cautions", "commercial_sex"):
        assert key in indicator, key


def test_json_order_is_best_first_and_deterministic(cli: Run) -> None:
    runs = [cli(["search", "--json", "sex", "money", "school", "hotel", "--limit", "50"]).stdout
            for _ in range(3)]
    assert runs[0] == runs[1] == runs[2]
    hits = json.loads(runs[0])
    keys = [(-h["score"], h["id"]) for h in hits]
    assert keys == sorted(keys)


def test_json_is_the_same_from_a_fresh_build_and_from_the_cache(tmp_path: Path) -> None:
    run = _make_runner(tmp_path / "cache")
    fresh = run(["search", "--json", "kid", "passport", "hours", "--limit", "50"]).stdout
    cached = run(["search", "--json", "kid", "passport", "hours", "--limit", "50"]).stdout
    assert list((tmp_path / "cache").glob("kb-*.sqlite"))
    assert fresh == cached


def test_referrals_are_searched(cli: Run) -> None:
    hits = search_json(cli, "hotline", "--kind", "referral")
    assert hits[0]["id"] == "us-hotline"
    assert hits[0]["title"] == hits[0]["name"] == "National Human Trafficking Hotline"
    assert list(hits[0])[-6:] == ["layer", "file", "line", "kind", "title", "score"]


# --- hostile text -------------------------------------------------------------------------------

HOSTILE = [
    '"', "'", "''", '"unbalanced', "worker's", "debt-bondage", "-passport", "--", "NOT", "OR",
    "AND", "NEAR", "NEAR(a b, 2)", "NOT passport", "passport OR", "(", ")", "((", "ID:",
    "title:passport", "*", "pass*", "^passport", "{ident title}: x", "+", "a AND NOT b",
    "\U0001f600", "\U0001f1fa\U0001f1f8 passport", "\u200f", "\u202epassport", "\u202e", "\x00",
    "pass\x00port", "\x1b[31mred\x1b[0m", "\x1b]8;;http://evil\x07link\x1b]8;;\x07", "\x9b2J",
    "\r\n", "\t", "\\", "%", "_", "[/]", "[bold]x[/bold]", "?", "ß", "ｐａｓｓｐｏｒｔ", "PASSPORT",
    "pässpört", "\u0301", "0", "-1", "1e9", "𝕡𝕒𝕤𝕤𝕡𝕠𝕣𝕥",
]

_alphabet = st.sampled_from(
    ['"', "'", "-", "(", ")", ":", "*", "^", " ", "\x00", "\x1b", "\u200f", "\u202e", "\x9b",
     "\n", "\t", "NOT", "OR", "AND", "NEAR", "passport", "kid", "ID", "\U0001f600", "é", "_"]
)
_hostile_text = st.one_of(
    st.text(max_size=200),
    st.lists(_alphabet, max_size=30).map("".join),
    st.sampled_from(HOSTILE),
)


def _assert_clean(result: Any) -> None:
    assert result.exit_code == 0, (result.exit_code, result.output)
    assert not RAW_CONTROL.search(result.stdout), repr(result.stdout)
    assert not RAW_CONTROL.search(result.stderr), repr(result.stderr)


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_strings(cli: Run, text: str) -> None:
    _assert_clean(cli(["search", "--", text]))
    result = cli(["search", "--json", "--", text])
    _assert_clean(result)
    json.loads(result.stdout)


def test_option_like_words_are_a_clean_usage_error(cli: Run) -> None:
    result = cli(["search", "-passport"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_ten_thousand_character_query(cli: Run) -> None:
    long_query = ("passport " * 1200)[:10_000]
    _assert_clean(cli(["search", long_query]))
    assert ids(cli, long_query)[0] == "someone-else-holds-id"
    noise = ("x\x1b\u202e\"(*:" * 1500)[:10_000]
    _assert_clean(cli(["search", "--", noise]))
    words = " ".join(f"w{i}" for i in range(2000))[:10_000]
    _assert_clean(cli(["search", words]))


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(words=st.lists(_hostile_text, min_size=1, max_size=4))
@example(words=["a" * 10_000])
@example(words=["\x00\x1b\x9b\u200f\u202e" * 2000])
@example(words=['NEAR("a" "b", 3) NOT (c OR d*) ^e f:g'])
def test_any_text_is_safe(cli: Run, words: list[str]) -> None:
    result = cli(["search", "--", *words])
    _assert_clean(result)
    result = cli(["search", "--json", "--", *words])
    _assert_clean(result)
    assert isinstance(json.loads(result.stdout), list)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(words=st.lists(_hostile_text, min_size=1, max_size=3),
       kind=st.sampled_from(["indicator", "risk-factor", "guidance", "referral"]),
       limit=st.integers(min_value=1, max_value=500))
def test_any_text_with_filters_is_safe(cli: Run, words: list[str], kind: str, limit: int) -> None:
    result = cli(["search", "--kind", kind, "--limit", str(limit), "--json", "--", *words])
    _assert_clean(result)
    hits = json.loads(result.stdout)
    assert len(hits) <= limit and all(h["kind"] == kind for h in hits)


# --- show ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "wanted",
    ["\x1b[31mevil\x1b[0m", "\u202eevil", "nope\x00", "[bold]x[/]", "'; DROP TABLE docs; --",
     "someone-else-holds-i\x9b", "a" * 5000, "\U0001f600"],
)
def test_show_hostile_unknown_id_exits_1_cleanly(cli: Run, wanted: str) -> None:
    result = cli(["show", "--", wanted])
    assert result.exit_code == 1
    assert "no entry with id" in result.stderr
    assert "Traceback" not in result.output
    assert not RAW_CONTROL.search(result.stdout)
    assert not RAW_CONTROL.search(result.stderr)


def test_show_suggests_close_ids(cli: Run) -> None:
    result = cli(["show", "excesive-hours"])
    assert result.exit_code == 1
    assert "excessive-hours" in result.stderr
