"""Pydantic models of the knowledge files: what a valid entry looks like.

Only validation and the JSON Schema use these models; the rest of the program works on the
plain dataclasses in :mod:`trafficking_ref.core.kb`, so a cached run never imports pydantic.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    field_validator,
)
from pydantic_core import PydanticCustomError

from trafficking_ref.core.text import find_forbidden_character

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
_SLUG_RE = re.compile(SLUG_PATTERN)


def _check_text(value: str) -> str:
    bad = find_forbidden_character(value)
    if bad is not None:
        index, char = bad
        raise PydanticCustomError(
            "control_character",
            "contains the control character U+{code} at position {index}; remove it "
            "(escape sequences and invisible direction marks are not allowed in the data)",
            {"code": f"{ord(char):04X}", "index": index},
        )
    if not value.strip():
        raise PydanticCustomError("empty_text", "is empty; write the text or remove the key")
    return value


def _check_slug(value: str) -> str:
    if not _SLUG_RE.fullmatch(value):  # match() would let a final newline through
        suggestion = re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-") or "my-entry"
        raise PydanticCustomError(
            "slug",
            "'{value}' is not a valid id: use lowercase letters, digits and single hyphens, "
            "e.g. '{suggestion}'",
            {"value": value, "suggestion": suggestion},
        )
    return value


def _check_url(value: str) -> str:
    if not re.fullmatch(r"^https?://[^\s/$.?#][^\s]*$", value):
        raise PydanticCustomError(
            "url", "'{value}' is not a web address; write it as https://...", {"value": value}
        )
    return value


Text = Annotated[str, Field(max_length=4000), AfterValidator(_check_text)]
ShortText = Annotated[str, Field(max_length=300), AfterValidator(_check_text)]
Slug = Annotated[str, Field(max_length=80), AfterValidator(_check_slug)]
Url = Annotated[
    str, Field(max_length=2000), AfterValidator(_check_text), AfterValidator(_check_url)
]

Setting = Literal[
    "school", "hospitality", "healthcare", "retail", "transportation", "workplace", "online",
    "community", "any",
]
TraffickingType = Literal["sex", "labor"]
Audience = Literal["minor", "adult", "any"]
Strength = Literal["strong", "medium", "weak"]
Category = Literal[
    "control", "behavior", "physical", "documents", "money-debt", "work", "living", "travel",
    "recruitment", "commercial-sex", "school", "online", "premises",
]
ContactKind = Literal["phone", "sms", "tty", "web", "email", "chat"]
Situation = Literal[
    "immediate-danger", "minor", "child-protection", "hotline", "sex-trafficking",
    "labor-trafficking", "online-exploitation", "missing-child", "tip", "victim-services",
    "mandated-reporter-advice", "labor-rights", "non-emergency-police", "local-protocol",
]
GuidanceTopic = Literal[
    "safety", "talking-adult", "talking-minor", "approach", "school-duties", "reporting",
    "services", "prevention", "staff-protocol",
]
Level = Literal["emergency", "report", "consult", "monitor"]
Person = Literal["minor", "adult", "unknown"]
Flag = Literal["commercial_sex"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)


def _unique(values: list[str], what: str) -> list[str]:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise PydanticCustomError(
                "duplicate_value", "lists '{value}' twice in {what}; remove one",
                {"value": value, "what": what},
            )
        seen.add(value)
    return values


class Source(Strict):
    """A public document that entries cite."""

    id: Slug
    title: ShortText
    publisher: ShortText
    year: StrictInt = Field(ge=1900, le=2100)
    url: Url = Field(description="The address that was actually read.")
    note: Text | None = None


class Indicator(Strict):
    """A sign that someone may be trafficked: what an officer can observe."""

    id: Slug
    title: ShortText = Field(description="Plain words an officer would recognise.")
    description: Text = Field(description="What to look for.")
    category: Category
    types: list[TraffickingType] = Field(min_length=1)
    settings: list[Setting] = Field(min_length=1)
    audience: Audience
    strength: Strength = Field(description="As graded in the ILO/EC operational indicators.")
    sources: list[Slug] = Field(min_length=1)
    aliases: list[ShortText] = Field(default_factory=list, description="Everyday phrasings.")
    ask: list[Text] = Field(default_factory=list, description="Trauma-informed questions.")
    cautions: list[Text] = Field(
        default_factory=list, description="Innocent explanations and cautions.")
    commercial_sex: StrictBool = Field(
        default=False,
        description="True when observing this means a commercial sex act is involved.",
    )

    _types_unique = field_validator("types")(lambda v: _unique(v, "types"))
    _settings_unique = field_validator("settings")(lambda v: _unique(v, "settings"))
    _sources_unique = field_validator("sources")(lambda v: _unique(v, "sources"))

    @field_validator("settings")
    @classmethod
    def _any_alone(cls, value: list[str]) -> list[str]:
        if "any" in value and len(value) > 1:
            raise PydanticCustomError(
                "any_alone", "'any' already covers every setting; list 'any' alone"
            )
        return value


class RiskFactor(Strict):
    """Something that makes a person more vulnerable; not a sign of trafficking itself."""

    id: Slug
    title: ShortText
    description: Text
    sources: list[Slug] = Field(min_length=1)
    aliases: list[ShortText] = Field(default_factory=list)


class Contact(Strict):
    kind: ContactKind
    value: ShortText
    note: Text | None = None
    short_code: StrictBool = Field(
        default=False, description="True for numbers such as 911, 112 or 233733."
    )


class Referral(Strict):
    """Where to call, text or report, and when."""

    id: Slug
    name: ShortText
    description: Text
    country: Annotated[str, Field(pattern=r"^([A-Z]{2})$")]
    region: ShortText | None = None
    contacts: list[Contact] = Field(min_length=1)
    hours: ShortText
    languages: ShortText
    situations: list[Situation] = Field(min_length=1)
    law_enforcement: StrictBool
    anonymous: StrictBool
    verified_on: dt.date
    verified_at: Url = Field(description="The address the contacts were checked at.")
    sources: list[Slug] = Field(min_length=1)

    _situations_unique = field_validator("situations")(lambda v: _unique(v, "situations"))

    @field_validator("verified_on", mode="before")
    @classmethod
    def _date_text(cls, value: object) -> object:
        if isinstance(value, str) and not re.fullmatch(r"^\d{4}-\d{2}-\d{2}$", value):
            raise PydanticCustomError(
                "date_format", "'{value}' is not a date; write it as YYYY-MM-DD", {"value": value}
            )
        return value

    @field_validator("verified_on")
    @classmethod
    def _not_future(cls, value: dt.date) -> dt.date:
        if value > dt.date.today():
            raise PydanticCustomError(
                "future_date", "{value} is in the future; use the day the contact was checked",
                {"value": value.isoformat()},
            )
        return value


class Guidance(Strict):
    """How to act: talking with the person, reporting, protocols."""

    id: Slug
    title: ShortText
    topic: GuidanceTopic
    summary: Text
    audience: Audience = "any"
    settings: list[Setting] = Field(default_factory=lambda: ["any"], min_length=1)  # type: ignore[arg-type]
    do: list[Text] = Field(default_factory=list)
    dont: list[Text] = Field(default_factory=list)
    card: StrictBool = Field(
        default=False, description="Print its short do and don't lines on pocket cards.")
    sources: list[Slug] = Field(min_length=1)
    aliases: list[ShortText] = Field(default_factory=list)


class SynonymGroup(Strict):
    """Words an officer may use for the same thing; searched as one."""

    id: Slug
    terms: list[ShortText] = Field(min_length=2)


class RuleCondition(Strict):
    """Every condition given must hold. Counts are minimums over observed indicators."""

    immediate_danger: StrictBool | None = None
    person: list[Person] | None = Field(default=None, min_length=1)
    min_strong: StrictInt | None = Field(default=None, ge=1)
    min_medium: StrictInt | None = Field(default=None, ge=1)
    min_weak: StrictInt | None = Field(default=None, ge=1)
    min_medium_or_weak: StrictInt | None = Field(default=None, ge=1)
    min_observed: StrictInt | None = Field(default=None, ge=1)
    min_unsure: StrictInt | None = Field(default=None, ge=1)
    flags_any: list[Flag] | None = Field(default=None, min_length=1)


class AssessmentRule(Strict):
    """A rule that maps what was observed to an assessment level."""

    id: Slug
    level: Level
    title: ShortText
    explanation: Text
    when: RuleCondition
    next_steps: list[Slug] = Field(default_factory=list, description="Guidance ids.")
    sources: list[Slug] = Field(min_length=1)


class SourcesFile(Strict):
    sources: list[Source]


class IndicatorsFile(Strict):
    indicators: list[Indicator]


class RiskFactorsFile(Strict):
    risk_factors: list[RiskFactor]


class ReferralsFile(Strict):
    referrals: list[Referral]


class GuidanceFile(Strict):
    guidance: list[Guidance]


class SynonymsFile(Strict):
    synonyms: list[SynonymGroup]


class AssessmentFile(Strict):
    assessment_rules: list[AssessmentRule]


FILE_MODELS: dict[str, type[Strict]] = {
    "sources": SourcesFile,
    "indicators": IndicatorsFile,
    "risk_factors": RiskFactorsFile,
    "referrals": ReferralsFile,
    "guidance": GuidanceFile,
    "synonyms": SynonymsFile,
    "assessment_rules": AssessmentFile,
}
ENTRY_MODELS: dict[str, type[Strict]] = {
    "sources": Source,
    "indicators": Indicator,
    "risk_factors": RiskFactor,
    "referrals": Referral,
    "guidance": Guidance,
    "synonyms": SynonymGroup,
    "assessment_rules": AssessmentRule,
}
