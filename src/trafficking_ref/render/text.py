"""The checklist as plain text: data printed literally, wrapped for a 78-column page."""

from __future__ import annotations

import textwrap

from trafficking_ref.core.text import printable
from trafficking_ref.render.sheet import (
    DO_MARK,
    DONT_MARK,
    Sheet,
    SheetContact,
    SheetReferral,
)

WIDTH = 78


def _clean(value: str) -> str:
    """One line of data, literally, without control characters."""
    return " ".join(printable(value).split())


def _wrap(text: str, indent: str = "", first: str | None = None) -> list[str]:
    return textwrap.wrap(
        _clean(text), WIDTH, initial_indent=indent if first is None else first,
        subsequent_indent=indent, break_long_words=True, break_on_hyphens=False,
    ) or [indent.rstrip()]


def contact_text(c: SheetContact) -> str:
    return f"{c.label}: {c.value}" + (f" ({c.note})" if c.note else "")


def _referral(r: SheetReferral) -> list[str]:
    name = r.name + (f" ({r.region})" if r.region else "")
    lines = _wrap(name)
    for c in r.contacts:
        lines += _wrap(contact_text(c), "    ", "  ")
    lines += _wrap(f"Hours: {r.hours}", "    ", "  ")
    lines += _wrap("Use for: " + "; ".join(r.when), "    ", "  ")
    return lines


def _heading(text: str) -> list[str]:
    return ["", _clean(text).upper()]


def checklist_text(sheet: Sheet) -> str:
    lines: list[str] = []
    if sheet.agency:
        lines += _wrap(sheet.agency)
    lines += _wrap(sheet.title)
    lines += _wrap(sheet.subtitle)
    lines += ["", "Date: ______________  Time: __________  Place: ______________________________"]
    lines += _wrap(sheet.no_names)
    lines.append("")
    lines += _wrap(sheet.instructions)
    lines += _wrap(sheet.emergency_line)
    lines += _wrap(f"Strength: {sheet.legend}")
    for group in sheet.groups:
        lines += _heading(group.label)
        for item in group.items:
            lines += _wrap(f"[ ] {item.title}  {item.mark} {item.strength}", "    ", "")
            lines += _wrap(item.description, "    ")
            for caution in item.cautions:
                lines += _wrap(f"Keep in mind: {caution}", "      ", "    ")
    if not sheet.groups:
        lines += ["", "No indicators match this setting and audience."]
    lines += _heading("Notes (no names)")
    lines += ["_" * WIDTH] * 4
    lines += _heading(f"Whom to contact ({sheet.country})")
    lines += _wrap(sheet.emergency_line)
    if not sheet.referrals:
        lines += _wrap(f"No other contacts for {sheet.country} in the knowledge base.")
    for r in sheet.referrals:
        lines += _referral(r)
    if sheet.guidance:
        lines += _heading("Approaching the person")
        for g in sheet.guidance:
            lines += _wrap(g.heading)
            for d in g.do:
                lines += _wrap(d, "    ", f"  {DO_MARK} ")
            for d in g.dont:
                lines += _wrap(d, "    ", f"  {DONT_MARK} ")
    lines.append("")
    lines += _wrap(sheet.disclaimer)
    lines += ["", "-" * WIDTH]
    lines += _wrap(sheet.footer)
    return "\n".join(line.rstrip() for line in lines) + "\n"
