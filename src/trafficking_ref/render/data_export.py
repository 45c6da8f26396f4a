"""The knowledge base's own data as CSV, JSON or Markdown tables, for spreadsheets and tools.

CSV cells that a spreadsheet would run as a formula (starting with = + - @, a tab or a carriage
return) are prefixed with an apostrophe. Markdown cells are escaped, so "|" never breaks a table.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from trafficking_ref.core import vocab
from trafficking_ref.core.kb import Contact, Indicator, Referral, RiskFactor, entry_to_dict
from trafficking_ref.render.markdown import md_escape

LIST_SEPARATOR = "; "
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    name: str
    get: Callable[[Any], Any]


def _joined(values: Sequence[str]) -> str:
    return LIST_SEPARATOR.join(values)


def contact_text(c: Contact) -> str:
    return f"{vocab.CONTACT_KINDS[c.kind]}: {c.value}" + (f" ({c.note})" if c.note else "")


def _layer(entry: Any) -> str:
    return entry.origin.layer if entry.origin else ""


INDICATOR_COLUMNS = (
    Column("id", lambda i: i.id),
    Column("title", lambda i: i.title),
    Column("category", lambda i: i.category),
    Column("strength", lambda i: i.strength),
    Column("types", lambda i: _joined(i.types)),
    Column("settings", lambda i: _joined(i.settings)),
    Column("audience", lambda i: i.audience),
    Column("commercial_sex", lambda i: i.commercial_sex),
    Column("description", lambda i: i.description),
    Column("ask", lambda i: _joined(i.ask)),
    Column("cautions", lambda i: _joined(i.cautions)),
    Column("aliases", lambda i: _joined(i.aliases)),
    Column("sources", lambda i: _joined(i.sources)),
    Column("layer", _layer),
)
RISK_FACTOR_COLUMNS = (
    Column("id", lambda r: r.id),
    Column("title", lambda r: r.title),
    Column("description", lambda r: r.description),
    Column("aliases", lambda r: _joined(r.aliases)),
    Column("sources", lambda r: _joined(r.sources)),
    Column("layer", _layer),
)
REFERRAL_COLUMNS = (
    Column("id", lambda r: r.id),
    Column("name", lambda r: r.name),
    Column("country", lambda r: r.country),
    Column("region", lambda r: r.region or ""),
    Column("contacts", lambda r: _joined([contact_text(c) for c in r.contacts])),
    Column("hours", lambda r: r.hours),
    Column("languages", lambda r: r.languages),
    Column("situations", lambda r: _joined(r.situations)),
    Column("law_enforcement", lambda r: r.law_enforcement),
    Column("anonymous", lambda r: r.anonymous),
    Column("verified_on", lambda r: r.verified_on),
    Column("verified_at", lambda r: r.verified_at),
    Column("description", lambda r: r.description),
    Column("sources", lambda r: _joined(r.sources)),
    Column("layer", _layer),
)

COLUMNS: dict[str, tuple[Column, ...]] = {
    "indicators": INDICATOR_COLUMNS,
    "risk-factors": RISK_FACTOR_COLUMNS,
    "referrals": REFERRAL_COLUMNS,
}
TITLES = {"indicators": "Indicators", "risk-factors": "Risk factors", "referrals": "Referrals"}

Entry = Indicator | RiskFactor | Referral


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else str(value)


def csv_safe(text: str) -> str:
    """A cell a spreadsheet shows as text instead of running it as a formula."""
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def to_csv(kind: str, entries: Sequence[Entry]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    columns = COLUMNS[kind]
    writer.writerow([c.name for c in columns])
    for entry in entries:
        writer.writerow([csv_safe(_cell(c.get(entry))) for c in columns])
    return buffer.getvalue()


def to_json(kind: str, entries: Sequence[Entry], kb_version: str, date: str) -> str:
    data = {
        "kind": kind,
        "knowledge_base_version": kb_version,
        "exported_on": date,
        "count": len(entries),
        "entries": [entry_to_dict(e, with_origin=True) for e in entries],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def to_markdown(kind: str, entries: Sequence[Entry], kb_version: str, date: str) -> str:
    columns = [c for c in COLUMNS[kind] if c.name not in ("layer",)]
    lines = [f"# {TITLES[kind]}", ""]
    lines.append("| " + " | ".join(md_escape(c.name) for c in columns) + " |")
    lines.append("|" + " --- |" * len(columns))
    for entry in entries:
        lines.append("| " + " | ".join(md_escape(_cell(c.get(entry))) for c in columns) + " |")
    lines += ["", md_escape(f"{len(entries)} {TITLES[kind].lower()} · exported {date} · "
                            f"knowledge base version {kb_version or 'unknown'}")]
    return "\n".join(lines) + "\n"


def export_data(kind: str, fmt: str, entries: Sequence[Entry], kb_version: str,
                date: str) -> str:
    if fmt == "csv":
        return to_csv(kind, entries)
    if fmt == "json":
        return to_json(kind, entries, kb_version, date)
    if fmt == "md":
        return to_markdown(kind, entries, kb_version, date)
    raise ValueError(f"unknown format {fmt!r}")
