"""The knowledge base as the program uses it: plain, immutable dataclasses.

Entries are built from validated data (see :mod:`trafficking_ref.loading.knowledge`) or from the
cache; neither path needs pydantic here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, Union

from trafficking_ref.core.vocab import BUILT_IN


@dataclass(frozen=True)
class Origin:
    """Where an entry came from: its layer and its file and line there."""

    layer: str
    file: str
    line: int
    depth: int = 0  # 0 = built-in; higher = later (more local) layer


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    publisher: str
    year: int
    url: str
    note: str | None = None
    origin: Origin | None = None
    kind = "source"


@dataclass(frozen=True)
class Indicator:
    id: str
    title: str
    description: str
    category: str
    types: tuple[str, ...]
    settings: tuple[str, ...]
    audience: str
    strength: str
    sources: tuple[str, ...]
    aliases: tuple[str, ...] = ()
    ask: tuple[str, ...] = ()
    cautions: tuple[str, ...] = ()
    commercial_sex: bool = False
    origin: Origin | None = None
    kind = "indicator"

    def applies_to(self, setting: str | None, audience: str | None) -> bool:
        """True when the indicator is relevant to the setting and the person's age group."""
        in_setting = (
            setting is None or setting == "any" or "any" in self.settings
            or setting in self.settings
        )
        for_audience = audience in (None, "any") or self.audience in ("any", audience)
        return in_setting and for_audience


@dataclass(frozen=True)
class RiskFactor:
    id: str
    title: str
    description: str
    sources: tuple[str, ...]
    aliases: tuple[str, ...] = ()
    origin: Origin | None = None
    kind = "risk-factor"


@dataclass(frozen=True)
class Contact:
    kind: str
    value: str
    note: str | None = None
    short_code: bool = False


@dataclass(frozen=True)
class Referral:
    id: str
    name: str
    description: str
    country: str
    contacts: tuple[Contact, ...]
    hours: str
    languages: str
    situations: tuple[str, ...]
    law_enforcement: bool
    anonymous: bool
    verified_on: str
    verified_at: str
    sources: tuple[str, ...]
    region: str | None = None
    origin: Origin | None = None
    kind = "referral"


@dataclass(frozen=True)
class Guidance:
    id: str
    title: str
    topic: str
    summary: str
    sources: tuple[str, ...]
    audience: str = "any"
    settings: tuple[str, ...] = ("any",)
    do: tuple[str, ...] = ()
    dont: tuple[str, ...] = ()
    card: bool = False
    aliases: tuple[str, ...] = ()
    origin: Origin | None = None
    kind = "guidance"

    def applies_to(self, setting: str | None, person: str | None) -> bool:
        in_setting = setting in (None, "any") or "any" in self.settings or setting in self.settings
        if self.audience == "any" or person in (None, "unknown"):
            return in_setting
        return in_setting and self.audience == person


@dataclass(frozen=True)
class SynonymGroup:
    id: str
    terms: tuple[str, ...]
    origin: Origin | None = None
    kind = "synonym"


@dataclass(frozen=True)
class RuleCondition:
    immediate_danger: bool | None = None
    person: tuple[str, ...] | None = None
    min_strong: int | None = None
    min_medium: int | None = None
    min_weak: int | None = None
    min_medium_or_weak: int | None = None
    min_observed: int | None = None
    min_unsure: int | None = None
    flags_any: tuple[str, ...] | None = None


@dataclass(frozen=True)
class AssessmentRule:
    id: str
    level: str
    title: str
    explanation: str
    when: RuleCondition
    sources: tuple[str, ...]
    next_steps: tuple[str, ...] = ()
    origin: Origin | None = None
    kind = "assessment-rule"


Entry = Union[Source, Indicator, RiskFactor, Referral, Guidance, SynonymGroup, AssessmentRule]

ENTRY_CLASSES: dict[str, type] = {
    "sources": Source,
    "indicators": Indicator,
    "risk_factors": RiskFactor,
    "referrals": Referral,
    "guidance": Guidance,
    "synonyms": SynonymGroup,
    "assessment_rules": AssessmentRule,
}


def _tupled(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_tupled(v) for v in value)
    return value


def entry_from_dict(key: str, data: dict[str, Any], origin: Origin | None) -> Entry:
    """Build a runtime entry from validated (JSON-ready) data."""
    cls = ENTRY_CLASSES[key]
    names = {f.name for f in fields(cls)}
    values = {k: _tupled(v) for k, v in data.items() if k in names and v is not None}
    if key == "referrals":
        values["contacts"] = tuple(Contact(**c) for c in data["contacts"])
    if key == "assessment_rules":
        values["when"] = RuleCondition(
            **{k: _tupled(v) for k, v in data["when"].items() if v is not None}
        )
    return cls(**values, origin=origin)  # type: ignore[no-any-return]


def entry_to_dict(entry: Entry, *, with_origin: bool = False) -> dict[str, Any]:
    """The entry as JSON-ready data, in the knowledge files' own key names."""
    data = asdict(entry)
    origin = data.pop("origin", None)
    data = {k: _listed(v) for k, v in data.items() if (v is not None and v != ()) or k in (
        "aliases", "ask", "cautions", "do", "dont")}
    if entry.kind == "assessment-rule":
        data["when"] = {k: _listed(v) for k, v in data["when"].items() if v is not None}
    if with_origin and origin is not None:
        data["layer"] = origin["layer"]
        data["file"] = origin["file"]
        data["line"] = origin["line"]
    return data


def _listed(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_listed(v) for v in value]
    if isinstance(value, dict):
        return {k: _listed(v) for k, v in value.items() if v is not None}
    return value


@dataclass
class KnowledgeBase:
    """Every entry of every layer, merged: a later layer's entry replaces one with the same id."""

    sources: dict[str, Source] = field(default_factory=dict)
    indicators: dict[str, Indicator] = field(default_factory=dict)
    risk_factors: dict[str, RiskFactor] = field(default_factory=dict)
    referrals: dict[str, Referral] = field(default_factory=dict)
    guidance: dict[str, Guidance] = field(default_factory=dict)
    synonyms: dict[str, SynonymGroup] = field(default_factory=dict)
    assessment_rules: dict[str, AssessmentRule] = field(default_factory=dict)
    layers: tuple[str, ...] = (BUILT_IN,)
    content_hash: str = ""

    def collections(self) -> dict[str, dict[str, Any]]:
        return {
            "sources": self.sources,
            "indicators": self.indicators,
            "risk_factors": self.risk_factors,
            "referrals": self.referrals,
            "guidance": self.guidance,
            "synonyms": self.synonyms,
            "assessment_rules": self.assessment_rules,
        }

    def get(self, entry_id: str) -> Entry | None:
        for collection in self.collections().values():
            if entry_id in collection:
                return collection[entry_id]  # type: ignore[no-any-return]
        return None

    def all_ids(self) -> list[str]:
        return [i for collection in self.collections().values() for i in collection]

    @property
    def version(self) -> str:
        """A short, stable label of the content: printed on exports so a sheet can be traced."""
        return self.content_hash[:12]
