"""The checklist summary as JSON data, Markdown and a terminal renderable. Pure functions."""

from __future__ import annotations

from typing import Any

from trafficking_ref.core import vocab
from trafficking_ref.core.assessment import Summary, no_emergency_notice
from trafficking_ref.core.kb import Contact, Indicator, Referral
from trafficking_ref.render.markdown import md_escape


def _contact(c: Contact) -> dict[str, Any]:
    return {"kind": c.kind, "value": c.value, "note": c.note}


def _indicator(i: Indicator) -> dict[str, Any]:
    return {"id": i.id, "title": i.title, "strength": i.strength, "category": i.category}


def _referral(r: Referral) -> dict[str, Any]:
    return {
        "id": r.id, "name": r.name, "country": r.country,
        "contacts": [_contact(c) for c in r.contacts],
        "layer": r.origin.layer if r.origin else None, "verified_on": r.verified_on,
    }


def to_dict(summary: Summary, kb_version: str) -> dict[str, Any]:
    obs = summary.observation
    return {
        "disclaimer": summary.disclaimer,
        "setting": obs.setting,
        "country": obs.country,
        "person": obs.person,
        "immediate_danger": obs.immediate_danger,
        "emergency": _referral(summary.emergency) if summary.emergency else None,
        "notice": None if summary.emergency else no_emergency_notice(obs.country),
        "assessment": {
            "level": summary.level,
            "label": vocab.LEVELS[summary.level],
            "rule": summary.rules[0].id if summary.rules else None,
            "rules": [{"id": r.id, "title": r.title, "explanation": r.explanation}
                      for r in summary.rules],
            "reasons": [f"{r.title}: {r.explanation}" for r in summary.rules],
        },
        "observed": [_indicator(i) for i in summary.observed],
        "unsure": [_indicator(i) for i in summary.unsure],
        "referrals": [{**_referral(r.referral), "why": list(r.why)} for r in summary.referrals],
        "next_steps": [
            {"id": g.id, "title": g.title, "summary": g.summary, "do": list(g.do),
             "dont": list(g.dont)}
            for g in summary.next_steps
        ],
        "knowledge_base": kb_version,
    }


def _by_strength(items: tuple[Indicator, ...]) -> list[tuple[str, list[Indicator]]]:
    return [(s, [i for i in items if i.strength == s]) for s in vocab.STRENGTHS
            if any(i.strength == s for i in items)]


def _dont(item: str) -> str:
    """A "don't" item as a sentence: the data usually starts with "Don't" already."""
    starts = item.lower().replace("\u2019", "'")
    return item if starts.startswith(("don't", "do not", "never")) else f"Don't: {item}"


def _contact_md(c: Contact) -> str:
    note = f" ({md_escape(c.note)})" if c.note else ""
    return f"{vocab.CONTACT_KINDS[c.kind]}: **{md_escape(c.value)}**{note}"


def to_markdown(summary: Summary, kb_version: str, date: str) -> str:
    obs = summary.observation
    lines = ["# Observation summary", ""]
    lines.append(f"_{md_escape(summary.disclaimer)}_")
    lines.append("")
    lines.append(f"- Date: {md_escape(date)}")
    lines.append(f"- Setting: {md_escape(vocab.SETTINGS.get(obs.setting or 'any', 'any'))}")
    lines.append(f"- Person: {md_escape(vocab.PERSONS[obs.person])}")
    lines.append(f"- Country: {md_escape(obs.country)}")
    lines.append(f"- Knowledge base: {md_escape(kb_version)}")
    lines.append("")
    if obs.immediate_danger and summary.emergency:
        contacts = "; ".join(_contact_md(c) for c in summary.emergency.contacts)
        lines += ["## Immediate danger: call now", "", f"{md_escape(summary.emergency.name)}: "
                  f"{contacts}", ""]
    if summary.emergency is None:
        lines += [f"**{md_escape(no_emergency_notice(obs.country))}**", ""]
    lines += ["## Assessment", "", f"**{md_escape(vocab.LEVELS[summary.level])}**", ""]
    for rule in summary.rules:
        lines.append(f"- **{md_escape(rule.title)}** (rule `{rule.id}`): "
                     f"{md_escape(rule.explanation)}")
    lines.append("")
    for heading, items in (("Observed", summary.observed), ("Unsure", summary.unsure)):
        lines += [f"## {heading}", ""]
        if not items:
            lines += ["- none", ""]
            continue
        for strength, group in _by_strength(items):
            lines.append(f"- {vocab.STRENGTHS[strength]}:")
            lines += [f"  - {md_escape(i.title)} (`{i.id}`)" for i in group]
        lines.append("")
    lines += ["## Whom to contact, in this order", ""]
    if not summary.referrals:
        lines.append(f"- none listed for {md_escape(obs.country)}")
    for n, routed in enumerate(summary.referrals, start=1):
        r = routed.referral
        lines.append(f"{n}. **{md_escape(r.name)}**: "
                     + "; ".join(_contact_md(c) for c in r.contacts))
        lines.append(f"   - Why: {md_escape('; '.join(routed.why))}")
    lines += ["", "## Next steps and how to approach the person", ""]
    for g in summary.next_steps:
        lines.append(f"### {md_escape(g.title)}")
        lines.append("")
        lines.append(md_escape(g.summary))
        lines += [f"- Do: {md_escape(d)}" for d in g.do]
        lines += [f"- {md_escape(_dont(d))}" for d in g.dont]
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def to_renderable(summary: Summary, kb_version: str, plain: bool) -> Any:
    from rich.panel import Panel
    from rich.text import Text

    from trafficking_ref.render.blocks import Wrapped, block
    from trafficking_ref.render.terminal import contact_line

    def t(text: str, style: str = "") -> Text:
        return Text(text, style="" if plain else style)

    def at(indent: int, text: Text) -> Wrapped:
        return Wrapped(text, indent)

    obs = summary.observation
    parts: list[Any] = []
    if obs.immediate_danger and summary.emergency:
        body = Text()
        body.append(t(f"CALL {summary.emergency.name.upper()} NOW\n", "bold"))
        body.append(Text("\n").join(contact_line(c, plain) for c in summary.emergency.contacts))
        parts.append(Panel(body, border_style="" if plain else "bold red",
                           title="Immediate danger"))
    if summary.emergency is None:
        parts.append(t(no_emergency_notice(obs.country), "bold red"))
    level = t(f"Assessment: {vocab.LEVELS[summary.level]}", "bold reverse" if summary.level in (
        "emergency", "report") else "bold")
    parts.append(level)
    for rule in summary.rules:
        reason = t(f"Rule '{rule.id}': ", "bold")
        reason.append(f"{rule.title}. {rule.explanation}")
        parts.append(at(2, reason))
    for heading, items in (("Observed", summary.observed), ("Unsure", summary.unsure)):
        parts.append(t(f"\n{heading}", "bold"))
        if not items:
            parts.append(at(2, Text("none")))
        for strength, group in _by_strength(items):
            parts.append(at(2, Text(f"{vocab.STRENGTHS[strength]}:")))
            parts += [at(4, Text(f"- {i.title} ({i.id})")) for i in group]
    parts.append(t("\nWhom to contact, in this order", "bold"))
    if not summary.referrals:
        parts.append(at(2, Text(f"none listed for {obs.country}")))
    for n, routed in enumerate(summary.referrals, start=1):
        line = t(f"{n}. {routed.referral.name}", "bold")
        if routed.referral.origin and routed.referral.origin.depth > 0:
            line.append(t("  [your agency]", "italic"))
        parts.append(at(2, line))
        parts += [at(5, contact_line(c, plain)) for c in routed.referral.contacts]
        parts.append(at(5, t(f"Why: {'; '.join(routed.why)}", "dim")))
    parts.append(t("\nNext steps and how to approach the person", "bold"))
    for g in summary.next_steps:
        parts.append(at(2, t(g.title, "bold")))
        parts.append(at(4, Text(g.summary)))
        parts += [at(4, t(f"Do: {d}", "green")) for d in g.do]
        parts += [at(4, t(_dont(d), "red")) for d in g.dont]
    parts.append(t(f"\n{summary.disclaimer}", "italic"))
    parts.append(t(f"Knowledge base {kb_version}", "dim"))
    return block(parts)
