"""What goes on a printed checklist or pocket card, built once and read by every renderer.

The models here hold plain text taken from the knowledge base (never markup): each renderer
escapes it for its own format. Building them is pure; the date is passed in so output is
reproducible.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from trafficking_ref.core import vocab
from trafficking_ref.core.checklist import DEFAULT_LENGTH, select_indicators
from trafficking_ref.core.kb import Contact, Guidance, KnowledgeBase, Referral

# Topics of the guidance printed as "approaching the person", in this order.
APPROACH_TOPICS = ("safety", "approach", "talking-adult", "talking-minor")
CARD_ITEMS = 6
CARD_DO = 3
CARD_DONT = 2
CARD_LINE = 80  # characters: a longer do/don't item does not fit the back of a card
CARD_CONTACTS = 3

DO_MARK = "✓"
DONT_MARK = "✗"
STRENGTH_MARKS = {"strong": "●●●", "medium": "●●○", "weak": "●○○"}
STRENGTH_LEGEND = "  ".join(f"{STRENGTH_MARKS[s]} {s}" for s in vocab.STRENGTHS)

AUDIENCE_LABELS = {"minor": "minors (under 18)", "adult": "adults (18 or older)",
                   "any": "anyone (any age)"}

# Countries whose printers use US Letter; everywhere else uses A4.
LETTER_COUNTRIES = frozenset("US CA MX PH CL CO VE CR GT PA DO PR SV NI BZ".split())

DEFAULT_CHECKLIST_TITLE = "Signs of human trafficking: observation checklist"
DEFAULT_CARD_TITLE = "Signs of human trafficking"
NO_NAMES = "Do not write names or other details that identify anyone on this sheet."
OBSERVE_ONLY = (
    "Tick what you see or hear. Observe only: do not investigate, confront anyone or try a "
    "rescue. No single sign proves trafficking, and an innocent explanation is often possible."
)
DISCLAIMER = (
    "Decision support, not a determination: this sheet records what was observed. It does not "
    "decide whether anyone is a victim of trafficking; trained professionals do that."
)
CARD_FOLD = "Cut along the corner marks, fold on the dashed line."

_URL = re.compile(r"^https?://[^\s<>\"'`()\\]+$")
_EMAIL = re.compile(r"^[^\s@<>\"'`()\\:]+@[^\s@<>\"'`()\\:]+\.[A-Za-z]{2,}$")


@dataclass(frozen=True)
class SheetContact:
    kind: str
    label: str  # "Call", "Text", ...
    value: str
    note: str | None
    href: str | None  # a safe link target (tel:, sms:, https:, mailto:) or None


@dataclass(frozen=True)
class SheetReferral:
    name: str
    description: str
    contacts: tuple[SheetContact, ...]
    hours: str
    languages: str
    when: tuple[str, ...]  # situation labels
    region: str | None = None


@dataclass(frozen=True)
class SheetItem:
    id: str
    title: str
    description: str
    strength: str
    mark: str
    cautions: tuple[str, ...] = ()


@dataclass(frozen=True)
class SheetGroup:
    category: str
    label: str
    items: tuple[SheetItem, ...]


@dataclass(frozen=True)
class SheetGuidance:
    title: str
    topic: str
    topic_label: str
    do: tuple[str, ...]
    dont: tuple[str, ...]

    @property
    def heading(self) -> str:
        """The title, with the topic when the title does not already say it."""
        if self.title.casefold() == self.topic_label.casefold():
            return self.title
        return f"{self.title} ({self.topic_label})"


@dataclass(frozen=True)
class Sheet:
    """A blank observation checklist."""

    title: str
    agency: str | None
    setting: str
    setting_label: str
    audience: str | None
    audience_label: str
    country: str
    paper: str  # "letter" or "a4": the PDF's page size
    paper_fixed: bool  # True when chosen by the user (HTML then asks the printer for it)
    groups: tuple[SheetGroup, ...]
    emergency: SheetReferral | None
    referrals: tuple[SheetReferral, ...]
    guidance: tuple[SheetGuidance, ...]
    date: str
    kb_version: str
    instructions: str = OBSERVE_ONLY
    no_names: str = NO_NAMES
    legend: str = STRENGTH_LEGEND
    disclaimer: str = DISCLAIMER

    @property
    def subtitle(self) -> str:
        return (f"Setting: {self.setting_label} · For: {self.audience_label} · "
                f"Country: {self.country}")

    @property
    def footer(self) -> str:
        return footer_text(self.date, self.kb_version)

    @property
    def items(self) -> list[SheetItem]:
        return [item for group in self.groups for item in group.items]

    @property
    def emergency_line(self) -> str:
        return emergency_line(self.emergency, self.country)


@dataclass(frozen=True)
class Card:
    """A pocket card: front = key indicators, back = what to do and whom to call."""

    title: str
    agency: str | None
    setting: str
    setting_label: str
    country: str
    paper: str
    paper_fixed: bool
    items: tuple[SheetItem, ...]
    emergency: SheetReferral | None
    contacts: tuple[SheetReferral, ...]
    do: tuple[str, ...]
    dont: tuple[str, ...]
    date: str
    kb_version: str
    copies: int = 4
    fold: str = CARD_FOLD
    legend: str = STRENGTH_LEGEND

    @property
    def footer(self) -> str:
        return footer_text(self.date, self.kb_version)

    @property
    def emergency_line(self) -> str:
        return emergency_line(self.emergency, self.country, short=True)


def footer_text(date: str, kb_version: str) -> str:
    return f"Printed {date} · knowledge base version {kb_version or 'unknown'}"


def verb(contact: SheetContact) -> str:
    """How a contact reads inside a sentence: "call 911", "text 233733", "TTY 711"."""
    return contact.label if contact.kind == "tty" else contact.label.lower()


def emergency_line(
    emergency: SheetReferral | None, country: str, short: bool = False,
    number: Callable[[SheetContact], str] | None = None, text: Callable[[str], str] = str,
) -> str:
    """The emergency sentence; ``short`` for a pocket card (the number, not the service name).

    ``text`` is applied to every piece of data and ``number`` makes each number (HTML escapes
    both and turns numbers into links).
    """
    if emergency is None:
        return text(f"If anyone is in immediate danger, call your local emergency number (none "
                    f"is listed for {country} in the knowledge base).")
    shown = number or (lambda c: text(c.value))
    numbers = " or ".join(f"{text(verb(c))} {shown(c)}" for c in emergency.contacts)
    if short:
        return f"Anyone in immediate danger: {numbers}."
    return f"If anyone is in immediate danger: {numbers} ({text(emergency.name)})."


def paper_for(country: str, paper: str | None) -> str:
    if paper:
        return paper
    return "letter" if country in LETTER_COUNTRIES else "a4"


# --- building ---------------------------------------------------------------------------------


def contact_href(contact: Contact) -> str | None:
    """A link target for a contact, or None when the value is not a plain number or address.

    Phone-like links keep only the digits (and a leading + for international numbers).
    """
    value = contact.value.strip()
    if contact.kind in ("phone", "tty", "sms"):
        digits = re.sub(r"\D", "", value)
        if not digits:
            return None
        plus = "+" if value.startswith("+") else ""
        return f"{'sms' if contact.kind == 'sms' else 'tel'}:{plus}{digits}"
    if contact.kind == "email" and _EMAIL.match(value):
        return f"mailto:{value}"
    if contact.kind in ("web", "chat") and _URL.match(value):
        return value
    return None


def sheet_contact(contact: Contact) -> SheetContact:
    return SheetContact(
        kind=contact.kind, label=vocab.CONTACT_KINDS[contact.kind], value=contact.value,
        note=contact.note, href=contact_href(contact),
    )


def sheet_referral(referral: Referral) -> SheetReferral:
    return SheetReferral(
        name=referral.name, description=referral.description,
        contacts=tuple(sheet_contact(c) for c in referral.contacts),
        hours=referral.hours, languages=referral.languages,
        when=tuple(vocab.SITUATIONS[s] for s in referral.situations), region=referral.region,
    )


def approach_guidance(kb: KnowledgeBase, setting: str, person: str) -> list[Guidance]:
    """Guidance on approaching the person that applies to the setting and age group."""
    chosen = [g for g in kb.guidance.values()
              if g.topic in APPROACH_TOPICS and g.applies_to(setting, person)
              and (g.do or g.dont)]
    order = {t: n for n, t in enumerate(APPROACH_TOPICS)}
    return sorted(chosen, key=lambda g: order[g.topic])  # stable: knowledge-base order within


def _groups(items: list[SheetItem], categories: list[str]) -> tuple[SheetGroup, ...]:
    groups: list[SheetGroup] = []
    for category in dict.fromkeys(categories):
        members = tuple(i for i, c in zip(items, categories) if c == category)
        groups.append(SheetGroup(category, vocab.CATEGORIES[category], members))
    return tuple(groups)


def _emergency_and_others(kb: KnowledgeBase, country: str) -> tuple[Referral | None,
                                                                     list[Referral]]:
    """The country's emergency number, and every other referral for the country."""
    from trafficking_ref.core.assessment import emergency_contact
    from trafficking_ref.core.routing import filter_referrals

    emergency = emergency_contact(kb, country)
    others = [r for r in filter_referrals(kb, country) if emergency is None or r.id != emergency.id]
    return emergency, others


def _contacts(kb: KnowledgeBase, country: str) -> tuple[SheetReferral | None,
                                                        list[SheetReferral]]:
    emergency, others = _emergency_and_others(kb, country)
    return (sheet_referral(emergency) if emergency else None), [sheet_referral(r) for r in others]


def build_sheet(
    kb: KnowledgeBase, *, setting: str, audience: str | None = None, country: str = "US",
    type_: str | None = None, length: int | None = DEFAULT_LENGTH, title: str | None = None,
    agency: str | None = None, date: dt.date, paper: str | None = None,
) -> Sheet:
    """The checklist for a setting: the same indicators the field checklist walks through."""
    person = audience or "unknown"
    indicators = select_indicators(kb, setting, person, type_, length)
    items = [
        SheetItem(i.id, i.title, i.description, i.strength, STRENGTH_MARKS[i.strength],
                  tuple(i.cautions))
        for i in indicators
    ]
    emergency, referrals = _contacts(kb, country)
    guidance = tuple(
        SheetGuidance(g.title, g.topic, vocab.GUIDANCE_TOPICS[g.topic], tuple(g.do), tuple(g.dont))
        for g in approach_guidance(kb, setting, person)
    )
    return Sheet(
        title=title or DEFAULT_CHECKLIST_TITLE, agency=agency or None, setting=setting,
        setting_label=vocab.SETTINGS[setting], audience=audience,
        audience_label=AUDIENCE_LABELS.get(audience or "any", "anyone (any age)"),
        country=country, paper=paper_for(country, paper), paper_fixed=paper is not None,
        groups=_groups(items, [i.category for i in indicators]),
        emergency=emergency, referrals=tuple(referrals), guidance=guidance,
        date=date.isoformat(), kb_version=kb.version,
    )


def _for_card(referral: SheetReferral) -> SheetReferral:
    """The referral with only what fits on a card: calls and texts, without their notes."""
    phones = [c for c in referral.contacts if c.kind in ("phone", "sms", "tty")]
    contacts = [
        SheetContact(c.kind, c.label, c.value, None, c.href)
        for c in (phones or list(referral.contacts))[:2]
    ]
    return SheetReferral(referral.name, referral.description, tuple(contacts), referral.hours,
                         referral.languages, referral.when, referral.region)


# On a card the national hotline comes first (after the agency's own protocol), then the rest.
CARD_SITUATIONS = ("local-protocol", "hotline", "child-protection", "minor", "tip")


def _card_rank(referral: Referral) -> tuple[int, int]:
    ranks = [CARD_SITUATIONS.index(s) if s in CARD_SITUATIONS
             else len(CARD_SITUATIONS) + vocab.SITUATION_ORDER[s] for s in referral.situations]
    return min(ranks), -(referral.origin.depth if referral.origin else 0)


def build_card(
    kb: KnowledgeBase, *, setting: str, audience: str | None = None, country: str = "US",
    type_: str | None = None, title: str | None = None, agency: str | None = None,
    date: dt.date, paper: str | None = None, copies: int = 4,
) -> Card:
    """A pocket card: the checklist's top-ranked indicators for the setting; whom to call."""
    person = audience or "unknown"
    indicators = select_indicators(kb, setting, person, type_, CARD_ITEMS)
    items = tuple(
        SheetItem(i.id, i.title, i.description, i.strength, STRENGTH_MARKS[i.strength])
        for i in indicators
    )
    found, rest = _emergency_and_others(kb, country)
    emergency = sheet_referral(found) if found else None
    others = sorted(rest, key=_card_rank)
    phoneable = [r for r in others if any(c.kind in ("phone", "sms", "tty") for c in r.contacts)]
    contacts = tuple(_for_card(sheet_referral(r))
                     for r in (phoneable or others)[:CARD_CONTACTS])
    do: list[str] = []
    dont: list[str] = []
    approach = approach_guidance(kb, setting, person)
    # The entries maintainers marked for cards (else all approach guidance); short items only,
    # since the back is 55 mm high and already carries the emergency number.
    for g in [g for g in approach if g.card] or approach:
        do += [d for d in g.do if d not in do and len(d) <= CARD_LINE]
        dont += [d for d in g.dont if d not in dont and len(d) <= CARD_LINE]
    return Card(
        title=title or DEFAULT_CARD_TITLE, agency=agency or None, setting=setting,
        setting_label=vocab.SETTINGS[setting], country=country,
        paper=paper_for(country, paper), paper_fixed=paper is not None, items=items,
        emergency=emergency, contacts=contacts, do=tuple(do[:CARD_DO]),
        dont=tuple(dont[:CARD_DONT]), date=date.isoformat(), kb_version=kb.version,
        copies=copies,
    )
