"""PDF exports (fpdf2 with the embedded DejaVu font): the text is really in the file.

``pdftotext`` and ``pdftoppm`` come from poppler-utils (installed by .ci/run); the tests that need
them are skipped, saying so, only when they are missing.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import FIXTURES, REPO_ROOT
from test_export import ENV, load_kb, no_traceback
from trafficking_ref.core.checklist import DEFAULT_LENGTH, select_indicators

HOSTILE_LAYER = FIXTURES / "hostile-layer"
FONT_DIR = REPO_ROOT / "src" / "trafficking_ref" / "render" / "fonts"

needs_pdftotext = pytest.mark.skipif(
    shutil.which("pdftotext") is None,
    reason="pdftotext is not installed (Debian/Ubuntu: apt-get install poppler-utils)")
needs_pdftoppm = pytest.mark.skipif(
    shutil.which("pdftoppm") is None,
    reason="pdftoppm is not installed (Debian/Ubuntu: apt-get install poppler-utils)")


def pdf_text(path: Path) -> str:
    proc = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return " ".join(proc.stdout.split())


def export_pdf(run, tmp_path: Path, args: list[str], name: str = "out.pdf",
               layers: tuple[Path, ...] = ()) -> Path:
    target = tmp_path / name
    prefix: list[str | Path] = []
    for layer in layers:
        prefix += ["--data-dir", layer]
    result = run([*prefix, "export", *args, "--format", "pdf", "-o", target], env=ENV)
    no_traceback(result)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    data = target.read_bytes()
    assert data.startswith(b"%PDF-")
    return target


def test_the_font_ships_inside_the_package():
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "LICENSE-DejaVu.txt"):
        assert (FONT_DIR / name).is_file(), name


def test_pdf_embeds_the_font(run, tmp_path):
    data = export_pdf(run, tmp_path, ["checklist", "-s", "school"]).read_bytes()
    assert b"DejaVuSans" in data
    assert b"/FontFile2" in data  # the TrueType program itself is embedded
    assert b"(tel:911)" in data and b"(tel:18883737888)" in data  # numbers are links


def test_same_input_same_pdf(run, tmp_path):
    a = export_pdf(run, tmp_path, ["checklist", "-s", "school"], "a.pdf").read_bytes()
    b = export_pdf(run, tmp_path, ["checklist", "-s", "school"], "b.pdf").read_bytes()
    assert a == b


@needs_pdftotext
@pytest.mark.parametrize("setting", ["school", "hospitality", "healthcare"])
def test_checklist_pdf_has_the_indicators_and_contacts(run, tmp_path, setting):
    path = export_pdf(run, tmp_path, ["checklist", "--setting", setting, "--agency", "Acme"])
    text = pdf_text(path)
    for indicator in select_indicators(load_kb(), setting, "unknown", None, DEFAULT_LENGTH):
        assert indicator.title in text
    assert "1-888-373-7888" in text
    assert "233733" in text
    assert "911" in text
    assert "ACME" in text
    assert "Printed 2026-01-15 · knowledge base version" in text
    assert "page 1 of" in text


@needs_pdftotext
def test_pdf_prints_accents_and_markup_literally(run, tmp_path):
    path = export_pdf(run, tmp_path, ["checklist", "-s", "school", "--agency", "Agencia Ñandú"],
                      layers=(HOSTILE_LAYER,))
    text = pdf_text(path)
    assert "<script>alert(1)</script> | & *bold* [link](x) Ñandú" in text
    assert "AGENCIA ÑANDÚ" in text
    assert "ask for <b>Ana</b> | & ü" in text


@needs_pdftotext
def test_card_pdf(run, tmp_path):
    path = export_pdf(run, tmp_path, ["card", "-s", "school", "--country", "GB"])
    text = pdf_text(path)
    for indicator in select_indicators(load_kb(), "school", "unknown", None, 6):
        assert indicator.title in text
    assert "999" in text
    assert text.count("Signs of human trafficking") == 4  # four cards to a page


@needs_pdftoppm
@pytest.mark.parametrize("args", [
    ["checklist", "-s", "any", "--length", "0", "--paper", "a4"],
    ["checklist", "-s", "school", "--country", "GB"],
    ["card", "-s", "hospitality", "--copies", "5"],
])
def test_pdf_pages_are_not_blank(run, tmp_path, args):
    from test_export_print import assert_pages_not_blank

    path = export_pdf(run, tmp_path, args)
    pages = assert_pages_not_blank(path, tmp_path / "png")
    if args[0] == "card":
        assert pages == 2  # four to a page


@pytest.mark.slow
def test_wheel_includes_the_font(tmp_path):
    """A pip install never depends on a system font: the wheel carries DejaVu Sans."""
    if importlib.util.find_spec("build") is None:
        pytest.skip("the 'build' package is not installed (pip install build)")
    cmd = [sys.executable, "-m", "build", "--wheel", "--outdir", str(tmp_path)]
    if importlib.util.find_spec("hatchling") is not None:
        cmd.append("--no-isolation")
    proc = subprocess.run([*cmd, str(REPO_ROOT)], capture_output=True, text=True, timeout=600,
                          cwd=REPO_ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    wheel = next(tmp_path.glob("trafficking_ref-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "LICENSE-DejaVu.txt"):
        assert f"trafficking_ref/render/fonts/{name}" in names
