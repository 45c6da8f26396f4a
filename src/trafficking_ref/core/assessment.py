"""From what was observed to an assessment level, referrals and next steps. No I/O.

The rules live in the knowledge base (assessment.yaml). The level is the most urgent level among
the rules that hold; each rule that holds is shown as a reason. This is decision support: the
summary says what was seen and which rule that meets, never that someone is a victim.
"""

from __future__ import annotations

from dataclasses import dataclass

from trafficking_ref.core import vocab
from trafficking_ref.core.kb import (
    AssessmentRule,
    Guidance,
    Indicator,
    KnowledgeBase,
    Referral,
    RuleCondition,
)
from trafficking_ref.core.routing import serves_country

DISCLAIMER = (
    "Decision support, not a determination: this summary records what you observed and which "
    "rule of the knowledge base that meets. It does not decide whether anyone is a victim of "
    "trafficking; trained professionals do that."
)


@dataclass(frozen=True)
class Observation:
    """What the officer recorded. No names or identifying details anywhere."""

    setting: str | None = None
    country: str = "US"
    person: str = "unknown"  # minor, adult or unknown
    immediate_danger: bool = False
    observed: tuple[str, ...] = ()
    unsure: tuple[str, ...] = ()


@dataclass(frozen=True)
class Counts:
    strong: int = 0
    medium: int = 0
    weak: int = 0
    unsure: int = 0
    flags: frozenset[str] = frozenset()

    @property
    def observed(self) -> int:
        return self.strong + self.medium + self.weak


@dataclass(frozen=True)
class RoutedReferral:
    referral: Referral
    why: tuple[str, ...]


@dataclass(frozen=True)
class Summary:
    observation: Observation
    level: str
    rules: tuple[AssessmentRule, ...]
    observed: tuple[Indicator, ...]
    unsure: tuple[Indicator, ...]
    referrals: tuple[RoutedReferral, ...]
    next_steps: tuple[Guidance, ...]
    emergency: Referral | None
    disclaimer: str = DISCLAIMER


def count(kb: KnowledgeBase, observation: Observation) -> Counts:
    strengths = {"strong": 0, "medium": 0, "weak": 0}
    flags: set[str] = set()
    for entry_id in observation.observed:
        indicator = kb.indicators[entry_id]
        strengths[indicator.strength] += 1
        if indicator.commercial_sex:
            flags.add("commercial_sex")
    return Counts(**strengths, unsure=len(observation.unsure), flags=frozenset(flags))


def holds(when: RuleCondition, observation: Observation, counts: Counts) -> bool:
    """True when every condition given in ``when`` holds."""
    checks = [
        when.immediate_danger is None or when.immediate_danger == observation.immediate_danger,
        when.person is None or observation.person in when.person,
        when.min_strong is None or counts.strong >= when.min_strong,
        when.min_medium is None or counts.medium >= when.min_medium,
        when.min_weak is None or counts.weak >= when.min_weak,
        when.min_medium_or_weak is None or counts.medium + counts.weak >= when.min_medium_or_weak,
        when.min_observed is None or counts.observed >= when.min_observed,
        when.min_unsure is None or counts.unsure >= when.min_unsure,
        when.flags_any is None or bool(counts.flags.intersection(when.flags_any)),
    ]
    return all(checks)


def evaluate(kb: KnowledgeBase, observation: Observation) -> tuple[str, list[AssessmentRule]]:
    """The assessment level and the rules that produced it (most urgent first)."""
    counts = count(kb, observation)
    matched = [r for r in kb.assessment_rules.values() if holds(r.when, observation, counts)]
    if not matched:
        return "monitor", []
    matched.sort(key=lambda r: vocab.LEVEL_ORDER[r.level])
    level = matched[0].level
    # The reasons shown: the rules of the most urgent level, and after an emergency the rules of
    # the next level too (what to do once everyone is safe).
    levels = sorted({r.level for r in matched}, key=vocab.LEVEL_ORDER.__getitem__)
    shown = set(levels[:2]) if level == "emergency" else {level}
    return level, [r for r in matched if r.level in shown]


def situations_for(kb: KnowledgeBase, observation: Observation, level: str) -> list[str]:
    """The referral situations that apply, most urgent first."""
    wanted = {"hotline", "local-protocol"}
    indicators = [kb.indicators[i] for i in (*observation.observed, *observation.unsure)]
    if observation.immediate_danger:
        wanted.add("immediate-danger")
    if indicators and observation.person in ("minor", "unknown"):
        wanted.update({"minor", "child-protection", "mandated-reporter-advice"})
    types = {t for i in indicators for t in i.types}
    if "sex" in types:
        wanted.add("sex-trafficking")
    if "labor" in types:
        wanted.update({"labor-trafficking", "labor-rights"})
    if any(i.category == "online" for i in indicators) or (
        indicators and observation.setting == "online"
    ):
        wanted.add("online-exploitation")
    if level in ("emergency", "report"):
        wanted.update({"tip", "non-emergency-police"})
    if indicators:
        wanted.add("victim-services")
    return sorted(wanted, key=vocab.SITUATION_ORDER.__getitem__)


def route(
    kb: KnowledgeBase, observation: Observation, situations: list[str]
) -> list[RoutedReferral]:
    """Referrals for the country that serve any wanted situation, with why each applies.

    Ordered by the most urgent situation each serves; for the same situation, contacts from local
    layers (the agency's own protocol) come before national ones, and national before EU-wide.
    """
    rank = {s: n for n, s in enumerate(situations)}
    routed = []
    for referral in kb.referrals.values():
        if not serves_country(referral, observation.country):
            continue
        matched = [s for s in referral.situations if s in rank]
        if not matched:
            continue
        matched.sort(key=rank.__getitem__)
        routed.append(RoutedReferral(referral, tuple(vocab.SITUATIONS[s] for s in matched)))
    routed.sort(key=lambda r: (
        min(rank[s] for s in r.referral.situations if s in rank),
        -(r.referral.origin.depth if r.referral.origin else 0),
        r.referral.country == "EU",
    ))
    return routed


def emergency_contact(kb: KnowledgeBase, country: str) -> Referral | None:
    """The country's emergency number: national first, then EU-wide."""
    options = [
        r for r in kb.referrals.values()
        if "immediate-danger" in r.situations and serves_country(r, country)
    ]
    options.sort(key=lambda r: (r.country == "EU", not r.law_enforcement,
                                -(r.origin.depth if r.origin else 0)))
    return options[0] if options else None


STANDBY_EMERGENCY = "if anyone is in danger at any point, call at once"


def no_emergency_notice(country: str) -> str:
    """What to say when the knowledge base holds no emergency number for the country."""
    return (f"No emergency number is listed for {country} in the knowledge base: if anyone is "
            "in danger, call your local emergency number. An agency can add its contacts in a "
            "local layer (--data-dir).")


def with_emergency_first(
    routed: list[RoutedReferral], emergency: Referral | None
) -> list[RoutedReferral]:
    """The emergency number always heads the list: emergencies come first, even when no danger
    was reported (the situation can change while the officer is still there)."""
    if emergency is None or any(r.referral.id == emergency.id for r in routed):
        return routed
    return [RoutedReferral(emergency, (STANDBY_EMERGENCY,)), *routed]


def summarize(kb: KnowledgeBase, observation: Observation) -> Summary:
    level, rules = evaluate(kb, observation)
    situations = situations_for(kb, observation, level)
    emergency = emergency_contact(kb, observation.country)
    steps: list[Guidance] = []
    for rule in rules:
        for step in rule.next_steps:
            guidance = kb.guidance.get(step)
            if guidance and guidance not in steps and guidance.applies_to(
                observation.setting, observation.person
            ):
                steps.append(guidance)
    return Summary(
        observation=observation,
        level=level,
        rules=tuple(rules),
        observed=tuple(kb.indicators[i] for i in observation.observed),
        unsure=tuple(kb.indicators[i] for i in observation.unsure),
        referrals=tuple(with_emergency_first(route(kb, observation, situations), emergency)),
        next_steps=tuple(steps),
        emergency=emergency,
    )
