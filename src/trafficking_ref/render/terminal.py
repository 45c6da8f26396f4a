"""Rich renderables for the terminal. Every piece of data goes through ``Text``: never markup."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from trafficking_ref.core import vocab
from trafficking_ref.core.search import HIGHLIGHT_END, HIGHLIGHT_START, Hit
from trafficking_ref.render.blocks import Wrapped, block

if TYPE_CHECKING:  # search results render without the entry classes
    from trafficking_ref.core.kb import KnowledgeBase, Referral, RiskFactor, Source


def _t(value: Any, style: str = "", plain: bool = False) -> Text:
    return Text("" if value is None else str(value), style="" if plain else style)


def table(columns: list[str], plain: bool, title: str | None = None) -> Table:
    t = Table(
        title=title, box=None if plain else box.SIMPLE_HEAD, show_edge=False,
        header_style="" if plain else "bold", title_style="" if plain else "bold",
        pad_edge=False, expand=False,
    )
    for name in columns:
        t.add_column(name, overflow="fold")
    return t


def contact_line(contact: Any, plain: bool) -> Text:
    text = Text()
    text.append(_t(f"{vocab.CONTACT_KINDS[contact.kind]}: ", "bold", plain))
    text.append(_t(contact.value, "bold cyan", plain))
    if contact.note:
        text.append(_t(f" ({contact.note})", "", plain))
    return text


def referrals_table(referrals: Iterable[Referral], plain: bool) -> Table:
    t = table(["Service", "Contacts", "When to use", "Country", "Verified"], plain)
    for r in referrals:
        contacts = Text("\n").join(contact_line(c, plain) for c in r.contacts)
        when = Text(", ".join(r.situations))
        place = r.country + (f" / {r.region}" if r.region else "")
        name = _t(r.name, "bold", plain)
        if r.origin and r.origin.depth > 0:
            name.append(_t("\n(local layer)", "italic", plain))
        t.add_row(name, contacts, when, Text(place), Text(r.verified_on))
    return t


WIDE = 110


def _indented(text: Text) -> Wrapped:
    return Wrapped(text, 3)


def referrals_view(referrals: list[Referral], plain: bool, width: int) -> RenderableType:
    """A table on a wide screen; one block per service otherwise (and when piped)."""
    if width >= WIDE:
        return referrals_table(referrals, plain)
    parts: list[RenderableType] = []
    for n, r in enumerate(referrals, start=1):
        head = _t(f"{n}. {r.name}", "bold", plain)
        place = r.country + (f", {r.region}" if r.region else "")
        if r.origin and r.origin.depth > 0:
            head.append(_t(" (local layer)", "italic", plain))
        head.append(_t(f"  [{r.id} · {place} · verified {r.verified_on}]", "dim", plain))
        parts.append(head)
        parts += [_indented(contact_line(c, plain)) for c in r.contacts]
        when = "; ".join(vocab.SITUATIONS[s] for s in r.situations)
        parts.append(_indented(Text(f"When: {when}")))
    return block(parts)


def risk_factors_view(items: list[RiskFactor], plain: bool, width: int) -> RenderableType:
    if width >= WIDE:
        return risk_factors_table(items, plain)
    parts: list[RenderableType] = []
    for r in items:
        head = _t(r.title, "bold", plain)
        head.append(_t(f"  [{r.id}]", "dim", plain))
        parts += [head, _indented(Text(r.description))]
    return block(parts)


def risk_factors_table(items: Iterable[RiskFactor], plain: bool) -> Table:
    t = table(["Id", "Risk factor", "Why it matters"], plain)
    for r in items:
        t.add_row(Text(r.id), _t(r.title, "bold", plain), Text(r.description))
    return t


def _snippet(snippet: str, plain: bool) -> Text:
    text = Text()
    rest = snippet
    while HIGHLIGHT_START in rest:
        before, _, after = rest.partition(HIGHLIGHT_START)
        marked, _, rest = after.partition(HIGHLIGHT_END)
        text.append(before)
        text.append(marked, style="" if plain else "bold yellow")
    text.append(rest)
    return text


def search_results(hits: list[Hit], plain: bool, width: int) -> RenderableType:
    """A table on a wide screen; a numbered list (readable at any width, and when piped)."""
    if width >= WIDE:
        return search_table(hits, plain)
    lines: list[RenderableType] = []
    for n, h in enumerate(hits, start=1):
        head = _t(f"{n}. ", "bold", plain)
        head.append(_t(h.title, "bold", plain))
        meta = [h.id, h.kind]
        if h.entry.get("strength"):
            meta.append(h.entry["strength"])
        head.append(_t(f"  [{' · '.join(meta)}]", "dim", plain))
        lines.append(head)
        settings = ", ".join(h.entry.get("settings", []))
        if settings:
            lines.append(_indented(Text(f"Settings: {settings}")))
        lines.append(_indented(_snippet(h.snippet, plain)))
    return block(lines)


def search_table(hits: list[Hit], plain: bool) -> Table:
    t = table(["Id", "Title", "Kind", "Strength", "Settings", "Match"], plain)
    for h in hits:
        settings = ", ".join(h.entry.get("settings", []))
        t.add_row(
            Text(h.id), _t(h.title, "bold", plain), Text(h.kind),
            Text(h.entry.get("strength", "") or ""), Text(settings), _snippet(h.snippet, plain),
        )
    return t


def _heading(title: str, subtitle: str, plain: bool) -> Text:
    text = _t(title, "bold", plain)
    text.append(_t(f"  ({subtitle})", "dim", plain))
    return text


def _bullets(label: str, items: Iterable[str], plain: bool, style: str = "bold") -> list[Text]:
    items = list(items)
    if not items:
        return []
    lines = [_t(label, style, plain)]
    lines += [Text(f"  - {item}") for item in items]
    return lines


def _origin(entry: Any, plain: bool) -> Text:
    o = entry.origin
    where = f"{o.file}:{o.line}" if o else "?"
    layer = o.layer if o else "?"
    # A path is never wrapped: it has to survive copy and paste (print it with crop=False).
    text = _t(f"Layer: {layer} ({where})", "dim", plain)
    text.no_wrap, text.overflow = True, "ignore"
    return text


def _sources(ids: Iterable[str], kb: KnowledgeBase, plain: bool) -> list[Text]:
    lines = [_t("Sources", "bold", plain)]
    for sid in ids:
        s: Source | None = kb.sources.get(sid)
        if s is None:
            lines.append(Text(f"  - {sid}"))
            continue
        lines.append(Text(f"  - {s.title}, {s.publisher} ({s.year}) {s.url}"))
    return lines


def entry_detail(entry: Any, kb: KnowledgeBase, plain: bool) -> RenderableType:
    from trafficking_ref.core.kb import Guidance, Indicator, Referral, RiskFactor, Source

    parts: list[RenderableType] = []
    if isinstance(entry, Indicator):
        parts.append(_heading(entry.title, f"indicator · {entry.strength}", plain))
        parts.append(Text(entry.description))
        parts.append(Text(
            f"Category: {vocab.CATEGORIES[entry.category]} · Types: {', '.join(entry.types)} · "
            f"Settings: {', '.join(entry.settings)} · Audience: {entry.audience}"
        ))
        parts += _bullets("Ask (gently, in private)", entry.ask, plain)
        parts += _bullets("Keep in mind", entry.cautions, plain)
        parts += _bullets("Also described as", entry.aliases, plain)
    elif isinstance(entry, RiskFactor):
        parts.append(_heading(entry.title, "risk factor", plain))
        parts.append(Text(entry.description))
        parts.append(_t("A risk factor is a vulnerability, not a sign that trafficking is "
                        "happening.", "italic", plain))
    elif isinstance(entry, Referral):
        parts.append(_heading(entry.name, f"referral · {entry.country}", plain))
        parts.append(Text(entry.description))
        parts += [contact_line(c, plain) for c in entry.contacts]
        parts.append(Text(f"Hours: {entry.hours}"))
        parts.append(Text(f"Languages: {entry.languages}"))
        parts.append(Text(f"When: {', '.join(vocab.SITUATIONS[s] for s in entry.situations)}"))
        parts.append(Text(
            f"Law enforcement: {'yes' if entry.law_enforcement else 'no'} · "
            f"Anonymous reports: {'yes' if entry.anonymous else 'no'}"
        ))
        parts.append(Text(f"Verified on {entry.verified_on} at {entry.verified_at}"))
    elif isinstance(entry, Guidance):
        parts.append(_heading(entry.title, f"guidance · {vocab.GUIDANCE_TOPICS[entry.topic]}",
                              plain))
        parts.append(Text(entry.summary))
        parts += _bullets("Do", entry.do, plain, "bold green")
        parts += _bullets("Don't", entry.dont, plain, "bold red")
    elif isinstance(entry, Source):
        parts.append(_heading(entry.title, "source", plain))
        parts.append(Text(f"{entry.publisher}, {entry.year}"))
        parts.append(Text(entry.url))
        if entry.note:
            parts.append(Text(entry.note))
    else:
        parts.append(_heading(entry.id, entry.kind, plain))
        if hasattr(entry, "terms"):
            parts.append(Text(", ".join(entry.terms)))
        if hasattr(entry, "explanation"):
            parts.append(Text(f"{entry.title}: {entry.explanation}"))
    if getattr(entry, "sources", None):
        parts += _sources(entry.sources, kb, plain)
    parts.append(_origin(entry, plain))
    return block(parts)
