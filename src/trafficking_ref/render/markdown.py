"""The checklist as Markdown (CommonMark / GitHub task lists). Every piece of data is escaped."""

from __future__ import annotations

import re

from trafficking_ref.core.text import printable
from trafficking_ref.render.sheet import (
    DO_MARK,
    DONT_MARK,
    Sheet,
    SheetContact,
    SheetReferral,
    verb,
)

# Punctuation that means something anywhere in a line in CommonMark, GitHub Flavored Markdown
# or a common extension (HTML, entities, emphasis, code, links, tables, strikethrough, math,
# mentions). "(" and ")" only matter after "]", which is always escaped.
_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&$@!])")
# What starts a block when it begins a line: headings, lists, quotes, rules, setext underlines.
_LEADING = re.compile(r"^(?:[#+\-=]|\d+(?=[.)]))")


def md_escape(text: str) -> str:
    """Text that renders literally: no HTML, links, emphasis or table cells; one line."""
    escaped = _SPECIAL.sub(r"\\\1", " ".join(printable(text).split()))
    match = _LEADING.match(escaped)
    if match:
        end = match.end()
        # "#" becomes "\#"; "1." becomes "1\.".
        escaped = (f"\\{escaped}" if not escaped[0].isdigit()
                   else f"{escaped[:end]}\\{escaped[end:]}")
    return escaped


def md_link(text: str, href: str | None) -> str:
    """A link whose target was checked by the sheet (tel:, sms:, mailto: or a plain URL)."""
    if not href:
        return md_escape(text)
    return f"[{md_escape(text)}](<{href}>)"


def contact_md(c: SheetContact) -> str:
    note = f" ({md_escape(c.note)})" if c.note else ""
    return f"{md_escape(c.label)}: {md_link(c.value, c.href)}{note}"


def _referral(r: SheetReferral) -> list[str]:
    name = md_escape(r.name) + (f" ({md_escape(r.region)})" if r.region else "")
    lines = [f"- **{name}**"]
    lines += [f"  - {contact_md(c)}" for c in r.contacts]
    lines.append(f"  - Hours: {md_escape(r.hours)}")
    lines.append(f"  - Use for: {md_escape('; '.join(r.when))}")
    return lines


def _emergency(sheet: Sheet) -> str:
    """The emergency line, with the numbers as links when there are any."""
    e = sheet.emergency
    if e is None:
        return md_escape(sheet.emergency_line)
    numbers = " or ".join(f"{md_escape(verb(c))} {md_link(c.value, c.href)}"
                          for c in e.contacts)
    return f"If anyone is in immediate danger: {numbers} ({md_escape(e.name)})."


def checklist_markdown(sheet: Sheet) -> str:
    out: list[str] = [f"# {md_escape(sheet.title)}", ""]
    if sheet.agency:
        out += [f"**{md_escape(sheet.agency)}**", ""]
    out += [md_escape(sheet.subtitle), ""]
    out += ["| Date | Time | Place |", "| --- | --- | --- |", "| | | |", ""]
    out += [f"*{md_escape(sheet.no_names)}*", ""]
    out += [md_escape(sheet.instructions), ""]
    out += [f"**{_emergency(sheet)}**", ""]
    out += [f"Strength: {md_escape(sheet.legend)}", ""]
    for group in sheet.groups:
        out += [f"## {md_escape(group.label)}", ""]
        for item in group.items:
            lines = [f"- [ ] **{md_escape(item.title)}** — {item.mark} {item.strength}",
                     f"  {md_escape(item.description)}"]
            lines += [f"  *Keep in mind:* {md_escape(c)}" for c in item.cautions]
            out.append("\\\n".join(lines))  # a backslash at the end of a line: a line break
        out.append("")
    if not sheet.groups:
        out += ["No indicators match this setting and audience.", ""]
    out += ["## Notes (no names)", "", "| Notes |", "| --- |", "| |", "| |", "| |", ""]
    out += [f"## Whom to contact ({md_escape(sheet.country)})", ""]
    out += [f"**{_emergency(sheet)}**", ""]
    if not sheet.referrals:
        out.append(md_escape(f"No other contacts for {sheet.country} in the knowledge base."))
    for r in sheet.referrals:
        out += _referral(r)
    out.append("")
    if sheet.guidance:
        out += ["## Approaching the person", ""]
        for g in sheet.guidance:
            out += [f"### {md_escape(g.title)}", ""]
            if g.topic_label.casefold() != g.title.casefold():
                out += [f"*{md_escape(g.topic_label)}*", ""]
            out += [f"- {DO_MARK} {md_escape(d)}" for d in g.do]
            out += [f"- {DONT_MARK} {md_escape(d)}" for d in g.dont]
            out.append("")
    out += [f"*{md_escape(sheet.disclaimer)}*", "", "---", "", md_escape(sheet.footer)]
    return "\n".join(out) + "\n"
