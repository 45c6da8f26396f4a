"""The checklist in a real terminal (pexpect drives a pseudo-terminal)."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

pexpect = pytest.importorskip("pexpect")

MINI = Path(__file__).parent / "fixtures" / "mini-kb"


def _spawn(tmp_path, *args, columns=100):
    env = dict(os.environ)
    env.update({"TRAFFICKING_REF_BUILTIN_DIR": str(MINI),
                "TRAFFICKING_REF_CACHE_DIR": str(tmp_path / "cache"), "NO_COLOR": "1",
                "COLUMNS": str(columns), "TRAFFICKING_REF_COUNTRY": "US"})
    return pexpect.spawn(sys.executable, ["-m", "trafficking_ref", "checklist", *args],
                         env=env, cwd=str(tmp_path), encoding="utf-8", timeout=30,
                         dimensions=(40, columns))


def test_prompts_answered_in_a_real_terminal(tmp_path):
    child = _spawn(tmp_path, "--setting", "hospitality", "--adult")
    child.expect(r"immediate danger right now\? \[y/n\]")
    child.sendline("n")
    for answer in ["n", "n", "y", "y", "n", "n"]:
        child.expect(r"Did you observe this\? \[y/n/u/s/b/\?/q\]")
        child.sendline(answer)
    child.expect("Assessment: Report now")
    child.expect("Whom to contact, in this order")
    child.expect("National Human Trafficking Hotline")
    child.expect("not a determination")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_ctrl_c_offers_a_draft_and_exits_130(tmp_path):
    child = _spawn(tmp_path, "--setting", "hospitality", "--adult")
    child.expect(r"\[y/n\]")
    child.sendline("n")
    child.expect(r"\[y/n/u/s/b/\?/q\]")
    child.sendline("y")
    child.expect(r"\[y/n/u/s/b/\?/q\]")
    child.sendintr()
    child.expect("Save your answers to a draft file")
    child.sendline("draft.json")
    child.expect("Draft saved to draft.json")
    child.expect("trafficking-ref: interrupted")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert "Traceback" not in (child.before or "")
    draft = tmp_path / "draft.json"
    assert stat.S_IMODE(draft.stat().st_mode) == 0o600
    assert '"observed": [\n    "scripted-answers"' in draft.read_text()


def test_ctrl_c_declining_the_draft_prints_a_resume_line(tmp_path):
    child = _spawn(tmp_path, "--setting", "hospitality", "--adult")
    child.expect(r"\[y/n\]")
    child.sendintr()
    child.expect("Save your answers")
    child.sendline("")
    child.expect("were not saved")
    child.expect("interrupted")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache"]


def test_resume_line_survives_a_narrow_terminal(tmp_path):
    """Messages wrap at words on a terminal, but the line to keep is printed whole."""
    import json

    child = _spawn(tmp_path, "--setting", "hospitality", columns=40)
    child.expect(r"\[y/n\]")
    child.sendline("n")
    child.expect(r"under 18\? \[y/n/u\]")
    child.sendintr()
    child.expect("Save your answers")
    child.sendline("")
    child.expect(r'\r\n(\{"setting".*?)\r\n')
    draft = json.loads(child.match.group(1))
    assert draft["immediate_danger"] is False
    assert "minor" not in draft, "the age question was not answered, so resuming asks it"
    child.expect(pexpect.EOF)
