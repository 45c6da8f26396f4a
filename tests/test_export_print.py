"""The HTML exports as a browser prints them: headless Chromium to PDF, then pdftoppm to PNG.

Checks that the pages exist and are not blank, that the pocket cards fit four to a page on both
US Letter and A4, and that the HTML loads nothing from the network. Skipped (with the reason)
only when ``chromium`` or ``pdftoppm`` is missing; .ci/run installs both (chromium,
poppler-utils).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from test_export import ENV, no_traceback

CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser") if shutil.which(n)),
                None)

needs_browser = pytest.mark.skipif(
    CHROMIUM is None or shutil.which("pdftoppm") is None,
    reason="needs chromium and pdftoppm (Debian/Ubuntu: apt-get install chromium poppler-utils)",
)


def assert_pages_not_blank(pdf: Path, out_dir: Path) -> int:
    """Render every page to PNG; each must have some ink. Returns the number of pages."""
    from PIL import Image

    out_dir.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(["pdftoppm", "-png", "-r", "40", str(pdf), str(out_dir / "page")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    pages = sorted(out_dir.glob("page*.png"))
    assert pages, "no pages"
    for page in pages:
        with Image.open(page) as image:
            grey = image.convert("L")
            dark = sum(grey.histogram()[:128])
            assert dark > 200, f"{page.name} is blank"
    return len(pages)


def print_html(html: Path, pdf: Path, profile: Path) -> None:
    assert CHROMIUM is not None
    cmd = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        "--no-default-browser-check", "--disable-extensions", "--no-pdf-header-footer",
        f"--user-data-dir={profile}", f"--print-to-pdf={pdf}", html.resolve().as_uri(),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert pdf.is_file() and pdf.stat().st_size > 0, proc.stdout + proc.stderr


def export_html(run, tmp_path: Path, args: list[str], name: str) -> Path:
    target = tmp_path / name
    result = run(["export", *args, "--format", "html", "-o", target], env=ENV)
    no_traceback(result)
    assert result.exit_code == 0, result.output
    return target


def page_size_points(pdf: Path) -> list[tuple[float, float]]:
    data = pdf.read_bytes()
    return [(float(w), float(h)) for w, h in
            re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", data)]


@pytest.mark.slow
@needs_browser
@pytest.mark.parametrize("args", [
    ["checklist", "-s", "school", "--agency", "Acme Schools"],
    ["checklist", "-s", "any", "--length", "0", "--paper", "a4"],
    ["checklist", "-s", "hospitality", "--country", "GB", "--paper", "letter"],
])
def test_checklist_html_prints(run, tmp_path, args):
    html = export_html(run, tmp_path, args, "checklist.html")
    pdf = tmp_path / "checklist.pdf"
    print_html(html, pdf, tmp_path / "profile")
    assert assert_pages_not_blank(pdf, tmp_path / "png") >= 1
    if "--paper" in args:
        width, height = page_size_points(pdf)[0]
        expected = (612, 792) if "letter" in args else (595.3, 841.9)
        assert abs(width - expected[0]) < 2 and abs(height - expected[1]) < 2


@pytest.mark.slow
@needs_browser
@pytest.mark.parametrize("paper", ["letter", "a4"])
def test_cards_fit_four_to_a_page(run, tmp_path, paper):
    html = export_html(run, tmp_path, ["card", "-s", "school", "--paper", paper, "--copies", "8"],
                       "cards.html")
    pdf = tmp_path / "cards.pdf"
    print_html(html, pdf, tmp_path / "profile")
    assert assert_pages_not_blank(pdf, tmp_path / "png") == 2


@pytest.mark.slow
@needs_browser
def test_cards_fit_the_printer_default(run, tmp_path):
    """Without --paper the browser's default size is used (Letter here); it still fits."""
    html = export_html(run, tmp_path, ["card", "-s", "hospitality"], "cards.html")
    pdf = tmp_path / "cards.pdf"
    print_html(html, pdf, tmp_path / "profile")
    assert assert_pages_not_blank(pdf, tmp_path / "png") == 1


def test_html_is_self_contained(run):
    for args in (["checklist", "-s", "school", "-F", "html"], ["card", "-s", "school"]):
        result = run(["export", *args], env=ENV)
        assert result.exit_code == 0, result.output
        page = result.stdout
        assert "<script" not in page
        assert "<link" not in page and "@import" not in page and "url(" not in page
        assert "@font-face" not in page
        assert not re.search(r"\bsrc=", page)
        assert "@media print" in page or "@page" in page
        assert "break-inside: avoid" in page
        # Black and white: no colours but black, white and greys.
        colours = set(re.findall(r"#[0-9a-fA-F]{3,6}\b", page))
        assert all(len(set(c[1:])) == 1 for c in colours), colours


@pytest.mark.slow
@needs_browser
@pytest.mark.parametrize("setting", ["school", "hospitality", "healthcare", "retail",
                                     "transportation", "workplace", "online", "any"])
def test_card_backs_show_everything_printed(run, tmp_path, setting):
    """The back is 55 mm high and clips what overflows: the last lines (the don'ts and the
    footer that traces the card) must still be printed on every card, with the real data."""
    target = tmp_path / "cards.html"
    result = run(["export", "card", "-s", setting, "--agency", "Harbor Hotel Security",
                  "-o", target], env=ENV, builtin=None)
    assert result.exit_code == 0, result.output
    pdf = tmp_path / "cards.pdf"
    print_html(target, pdf, tmp_path / "profile")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, timeout=60).stdout
    assert text.count("knowledge base version") == 4
    assert text.count("Don't confront, question or accuse the suspected trafficker.") == 4
