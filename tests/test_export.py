"""`trafficking-ref export ...`: checklists, pocket cards and data exports.

Golden files live in tests/golden/; regenerate them with ``UPDATE_GOLDEN=1 pytest
tests/test_export.py`` and review the diff. The knowledge base's version (a content hash that
changes with the fixtures and the program's version) is replaced by ``<KB-VERSION>`` in them;
the tests check separately that the real version is printed.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from conftest import FIXTURES, MINI_KB
from trafficking_ref.core.checklist import DEFAULT_LENGTH, select_indicators
from trafficking_ref.core.kb import KnowledgeBase
from trafficking_ref.loading.knowledge import load_knowledge, read_layer_files, resolve_layers

GOLDEN = Path(__file__).resolve().parent / "golden"
HOSTILE_LAYER = FIXTURES / "hostile-layer"
TODAY = "2026-01-15"
ENV = {"TRAFFICKING_REF_TODAY": TODAY}
HOSTILE_TITLE = "<script>alert(1)</script> | & *bold* [link](x) Ñandú"
HOSTILE_DESCRIPTION = ("Look for _this_ & <b>that</b> | pipe `code` [link](javascript:alert(1)) "
                       "![img](x.png) ~~gone~~ $x$ @someone")
_VERSION = re.compile(r"knowledge base version [0-9a-f]{12}")


def load_kb(*layers: Path) -> KnowledgeBase:
    found = read_layer_files(resolve_layers(
        [str(p) for p in layers], {"TRAFFICKING_REF_BUILTIN_DIR": str(MINI_KB)}))
    kb, problems = load_knowledge(found)
    assert not [p for p in problems if p.severity == "error"], problems
    return kb


def normalized(text: str) -> str:
    return _VERSION.sub("knowledge base version <KB-VERSION>", text)


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    text = normalized(text)
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="")
    assert path.is_file(), f"missing golden file {path}: run with UPDATE_GOLDEN=1"
    expected = path.read_text(encoding="utf-8")
    assert text == expected, f"{name} differs from its golden file; run with UPDATE_GOLDEN=1 " \
        "and review the diff"


def no_traceback(result) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def ok(run, args, env=None):
    result = run(["export", *args], env={**ENV, **(env or {})})
    no_traceback(result)
    assert result.exit_code == 0, result.output
    return result


# --- goldens ----------------------------------------------------------------------------------

GOLDEN_ARGS = ["checklist", "--setting", "school", "--agency", "Acme Schools"]


@pytest.mark.parametrize("fmt", ["md", "txt", "html"])
def test_checklist_golden(run, fmt):
    result = ok(run, [*GOLDEN_ARGS, "--format", fmt])
    check_golden(f"checklist-school.{fmt}", result.stdout)


def test_card_html_golden(run):
    result = ok(run, ["card", "--setting", "hospitality", "--format", "html"])
    check_golden("card-hospitality.html", result.stdout)


# --- what goes on the sheet -------------------------------------------------------------------


def _task_titles(markdown: str) -> list[str]:
    return [re.sub(r"\\(.)", r"\1", m) for m in
            re.findall(r"^- \[ \] \*\*(.+?)\*\* — ", markdown, flags=re.MULTILINE)]


@pytest.mark.parametrize("setting", ["school", "hospitality", "healthcare", "any", "online"])
@pytest.mark.parametrize("audience", [None, "minor", "adult"])
def test_checklist_matches_the_field_checklist(run, setting, audience):
    """The printed checklist lists exactly the indicators the field checklist walks through."""
    args = ["checklist", "--setting", setting, "--format", "md"]
    if audience:
        args += ["--audience", audience]
    result = ok(run, args)
    expected = select_indicators(load_kb(), setting, audience or "unknown", None, DEFAULT_LENGTH)
    assert _task_titles(result.stdout) == [i.title for i in expected]


def test_checklist_length_and_type(run):
    kb = load_kb()
    result = ok(run, ["checklist", "-s", "hospitality", "--length", "2", "--type", "labor"])
    expected = select_indicators(kb, "hospitality", "unknown", "labor", 2)
    assert _task_titles(result.stdout) == [i.title for i in expected]
    result = ok(run, ["checklist", "-s", "any", "--length", "0"])
    assert len(_task_titles(result.stdout)) == len(kb.indicators)


def test_card_shows_the_top_indicators_and_contacts(run):
    kb = load_kb()
    result = ok(run, ["card", "--setting", "school"])
    html = result.stdout
    for indicator in select_indicators(kb, "school", "unknown", None, 6):
        assert indicator.title in html
    assert 'href="tel:911"' in html
    assert 'href="tel:18883737888"' in html
    assert 'href="sms:233733"' in html
    assert html.count('class="strip"') == 4
    assert "Printed 2026-01-15" in html


def test_checklist_contents(run):
    text = ok(run, ["checklist", "-s", "school", "--format", "txt"]).stdout
    # Grouped by category, with strength marks and what to look for.
    assert "IDENTITY DOCUMENTS" in text
    assert "[ ] Someone else holds their ID or passport ●●● strong" in text
    assert "An employer or companion keeps" in text
    # Room for the date and place, never for names.
    assert "Date: ___" in text and "Place: ___" in text
    assert "Name" not in text.replace("names", "")
    # Emergency number, the country's contacts, and the do/don't for approaching.
    assert "call 911" in text
    assert "Call: 1-888-373-7888" in text
    assert "Text: 233733 (Text HELP)" in text
    assert "✓ Call the emergency number." in text
    assert "✗ Do not confront or alert a suspected trafficker." in text


def test_audience_filters_indicators_and_guidance(run):
    adult = ok(run, ["checklist", "-s", "school", "--audience", "adult", "-F", "txt"]).stdout
    assert "A minor involved in commercial sex" not in adult
    assert "Do not ask leading questions." not in adult  # guidance for minors
    assert "Do not interrogate." in adult
    minor = ok(run, ["checklist", "-s", "school", "--audience", "minor", "-F", "txt"]).stdout
    assert "A minor involved in commercial sex" in minor
    assert "Do not interrogate." not in minor


def test_country_changes_the_contacts(run):
    gb = ok(run, ["checklist", "-s", "school", "--country", "gb", "-F", "txt"]).stdout
    assert "call 999" in gb
    assert "1-888-373-7888" not in gb
    assert "Country: GB" in gb
    fr = ok(run, ["checklist", "-s", "school", "--country", "FR", "-F", "txt"]).stdout
    assert "call 112" in fr


def test_country_without_contacts_warns_and_says_so(run):
    result = ok(run, ["checklist", "-s", "school", "--country", "JP", "-F", "txt"])
    assert "no emergency number for JP" in result.stderr
    assert "call your local emergency number" in result.stdout


def test_bad_country_is_a_usage_error(run):
    result = run(["export", "checklist", "-s", "school", "--country", "Narnia"], env=ENV)
    no_traceback(result)
    assert result.exit_code == 2
    assert "two-letter country code" in result.stderr


def test_title_and_agency_in_every_format(run, tmp_path):
    args = ["checklist", "-s", "school", "--title", "Front desk sheet", "--agency", "Hotel Ñandú"]
    for fmt in ("md", "txt", "html"):
        out = ok(run, [*args, "-F", fmt]).stdout
        assert "Front desk sheet" in out
        assert "Hotel Ñandú" in out or "HOTEL ÑANDÚ" in out


def test_footer_has_the_date_and_the_knowledge_base_version(run):
    version = load_kb().version
    assert re.fullmatch(r"[0-9a-f]{12}", version)
    for fmt in ("md", "txt", "html"):
        out = ok(run, ["checklist", "-s", "school", "-F", fmt]).stdout
        assert f"Printed {TODAY} · knowledge base version {version}" in out
    card = ok(run, ["card", "-s", "school"]).stdout
    assert f"Printed {TODAY} · knowledge base version {version}" in card
    data = json.loads(ok(run, ["indicators", "-F", "json"]).stdout)
    assert data["knowledge_base_version"] == version
    assert data["exported_on"] == TODAY


def test_date_option_and_bad_dates(run):
    out = ok(run, ["checklist", "-s", "school", "-F", "txt", "--date", "2025-03-04"]).stdout
    assert "Printed 2025-03-04" in out
    result = run(["export", "checklist", "-s", "school", "--date", "tomorrow"], env=ENV)
    no_traceback(result)
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.stderr
    result = run(["export", "checklist", "-s", "school"],
                 env={"TRAFFICKING_REF_TODAY": "15/01/2026"})
    assert result.exit_code == 2
    assert "TRAFFICKING_REF_TODAY" in result.stderr


def test_setting_is_required_and_checked(run):
    result = run(["export", "checklist"], env=ENV)
    assert result.exit_code == 2
    result = run(["export", "checklist", "--setting", "moon"], env=ENV)
    assert result.exit_code == 2
    no_traceback(result)


# --- Markdown ---------------------------------------------------------------------------------


def test_markdown_renders_as_a_task_list_and_tables(run):
    md = ok(run, ["checklist", "-s", "school"]).stdout  # md is the default
    html = MarkdownIt("commonmark").enable("table").render(md)
    items = re.findall(r"<li>\[ \] <strong>", html)
    assert len(items) == len(_task_titles(md)) > 0
    assert "<table>" in html  # date / time / place
    assert '<a href="tel:18883737888">1-888-373-7888</a>' in html


# --- hostile data -----------------------------------------------------------------------------


def _hostile(run, args):
    result = run(["--data-dir", HOSTILE_LAYER, "export", *args], env=ENV)
    no_traceback(result)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_hostile_layer_is_valid(run):
    result = run(["--data-dir", HOSTILE_LAYER, "validate"])
    assert result.exit_code == 0, result.output


def test_hostile_markdown_is_escaped(run):
    md = _hostile(run, ["checklist", "-s", "school", "-F", "md"])
    assert "<script>" not in md and "<b>" not in md and "<img" not in md and "<i>" not in md
    html = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).render(md)
    # Rendered with raw HTML allowed, the data still shows as text.
    assert "<script" not in html and "<b>that" not in html and "<i>desk" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "*bold*" in html and "<em>bold" not in html
    assert "[link](x)" in html and 'href="x"' not in html
    assert not [h for h in re.findall(r'href="([^"]*)"', html) if "javascript" in h]
    assert "<img" not in html and "<s>" not in html and "<code>" not in html
    assert "<h1>not a heading" not in html and "<ol>" not in html
    assert _task_titles(md).count(HOSTILE_TITLE) == 1
    # A table cell with "|" in the data does not break the table.
    data = _hostile(run, ["referrals", "-F", "md", "-c", "US"])
    table = MarkdownIt("commonmark").enable("table").render(data)
    header_cells = data.splitlines()[2].count(" | ") + 1
    for row in re.findall(r"<tr>(.*?)</tr>", table, flags=re.DOTALL):
        assert row.count("<td") in (0, header_cells)
    assert "Agency &lt;i&gt;desk&lt;/i&gt; | &amp; *line*" in table


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs += attrs

    def handle_data(self, data):
        self.text.append(data)


def test_hostile_html_is_escaped(run):
    for args in (["checklist", "-s", "school", "-F", "html"], ["card", "-s", "school"]):
        page = _hostile(run, args)
        parser = _Tags()
        parser.feed(page)
        assert parser.tags <= {"html", "head", "meta", "title", "style", "body", "header",
                               "div", "h1", "h2", "h3", "p", "section", "ul", "li", "span",
                               "a", "footer", "b"}, parser.tags
        assert not [a for a, _ in parser.attrs if a.startswith("on")]
        hrefs = [v for a, v in parser.attrs if a == "href"]
        assert all(re.fullmatch(r"(tel|sms):\+?\d+|https://[^\s\"<>]+", h or "") for h in hrefs)
        assert "<script" not in page.lower() and "<b>that" not in page
        text = "".join(parser.text)
        assert HOSTILE_TITLE in text  # shown literally once unescaped by the browser
        if args[0] == "checklist":
            assert HOSTILE_DESCRIPTION in text
            assert 'https://example.org/"><script>alert(2)</script>' in text


def test_hostile_text_is_literal(run):
    txt = _hostile(run, ["checklist", "-s", "school", "-F", "txt", "--length", "0"])
    assert f"[ ] {HOSTILE_TITLE} ●●● strong" in txt
    assert "Agency <i>desk</i> | & *line*" in txt
    flat = " ".join(txt.split())
    assert HOSTILE_DESCRIPTION in flat


def test_hostile_csv_and_json(run):
    data = _hostile(run, ["indicators", "-F", "csv"])
    rows = list(csv.DictReader(io.StringIO(data)))
    row = next(r for r in rows if r["id"] == "hostile-markup")
    assert row["title"] == HOSTILE_TITLE
    assert row["description"] == HOSTILE_DESCRIPTION
    # A cell a spreadsheet would run as a formula is kept as text.
    assert row["aliases"] == "'=HYPERLINK(\"http://example.org\",\"click\")"
    assert row["cautions"] == "# not a heading; 1. not a list"
    data = json.loads(_hostile(run, ["indicators", "-F", "json"]))
    entry = next(e for e in data["entries"] if e["id"] == "hostile-markup")
    assert entry["title"] == HOSTILE_TITLE
    assert entry["aliases"] == ["=HYPERLINK(\"http://example.org\",\"click\")"]


# --- data exports -----------------------------------------------------------------------------


def test_data_exports(run):
    kb = load_kb()
    rows = list(csv.DictReader(io.StringIO(ok(run, ["indicators"]).stdout)))  # csv default
    assert [r["id"] for r in rows] == list(kb.indicators)
    assert rows[0]["settings"] == "any" and rows[0]["types"] == "sex; labor"
    risk = json.loads(ok(run, ["risk-factors", "--format", "json"]).stdout)
    assert risk["kind"] == "risk-factors"
    assert [e["id"] for e in risk["entries"]] == list(kb.risk_factors)
    md = ok(run, ["referrals", "--format", "md", "--country", "GB"]).stdout
    assert md.startswith("# Referrals\n")
    assert "gb-999" in md and "us-911" not in md
    school = list(csv.DictReader(io.StringIO(
        ok(run, ["indicators", "--setting", "school", "--audience", "adult"]).stdout)))
    expected = [i.id for i in kb.indicators.values() if i.applies_to("school", "adult")]
    assert [r["id"] for r in school] == expected


# --- output files -----------------------------------------------------------------------------


def test_pdf_needs_an_output_file(run):
    for args in (["checklist", "-s", "school", "--format", "pdf"],
                 ["card", "-s", "school", "--format", "pdf"]):
        result = run(["export", *args], env=ENV)
        no_traceback(result)
        assert result.exit_code == 2
        assert "-o FILE" in result.stderr
        assert result.stdout == ""


def test_output_file_is_written_and_never_overwritten_without_force(run, tmp_path):
    target = tmp_path / "sheet.html"
    result = ok(run, ["checklist", "-s", "school", "-o", target])
    assert result.stdout == ""
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")  # from the suffix
    assert "Wrote" in result.stderr
    target.write_text("keep me", encoding="utf-8")
    result = run(["export", "checklist", "-s", "school", "-o", target], env=ENV)
    no_traceback(result)
    assert result.exit_code == 1
    assert "already exists" in result.stderr and "--force" in result.stderr
    assert target.read_text(encoding="utf-8") == "keep me"
    ok(run, ["checklist", "-s", "school", "-o", target, "--force", "-F", "md"])
    assert target.read_text(encoding="utf-8").startswith("# ")
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_unwritable_output_is_a_clear_error(run, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    for target in (blocker / "out.md", tmp_path):
        result = run(["export", "checklist", "-s", "school", "-o", target, "--force"], env=ENV)
        no_traceback(result)
        assert result.exit_code == 1, result.output
        assert result.stderr.startswith("trafficking-ref: error:")
        assert len(result.stderr.strip().splitlines()) <= 2


def test_output_dash_is_stdout(run):
    result = ok(run, ["referrals", "-o", "-", "-F", "json"])
    assert json.loads(result.stdout)["kind"] == "referrals"


def test_every_export_command_has_help(run):
    for command in ("checklist", "card", "indicators", "risk-factors", "referrals"):
        result = run(["export", command, "--help"])
        assert result.exit_code == 0
        assert "--format" in result.stdout


@pytest.mark.parametrize(("args", "suffix"), [
    (["checklist", "-s", "school"], ".docx"),
    (["card", "-s", "school"], ".md"),
    (["indicators"], ".txt"),
])
def test_an_output_name_naming_another_format_is_refused(run, tmp_path, args, suffix):
    target = tmp_path / f"out{suffix}"
    result = run(["export", *args, "-o", target], env=ENV)
    no_traceback(result)
    assert result.exit_code == 2
    assert f"cannot write this export as '{suffix}'" in result.stderr
    assert not target.exists()


def test_a_missing_directory_is_not_created(run, tmp_path):
    target = tmp_path / "no-such-dir" / "sheet.md"
    result = run(["export", "checklist", "-s", "school", "-o", target], env=ENV)
    no_traceback(result)
    assert result.exit_code == 1
    assert "does not exist" in result.stderr
    assert not target.parent.exists()


def test_a_directory_as_output_says_so_first(run, tmp_path):
    result = run(["export", "checklist", "-s", "school", "-o", tmp_path], env=ENV)
    assert result.exit_code == 1
    assert "is a directory" in result.stderr and "--force" not in result.stderr


def test_card_pdf_hint_names_a_card(run):
    result = run(["export", "card", "-s", "school", "--format", "pdf"], env=ENV)
    assert "e.g. -o card.pdf" in result.stderr


def test_a_directory_with_a_dot_in_its_name_is_still_a_directory(run, tmp_path):
    folder = tmp_path / "out.d"
    folder.mkdir()
    result = run(["export", "checklist", "-s", "school", "-o", folder], env=ENV)
    assert result.exit_code == 1
    assert "is a directory" in result.stderr
