"""Coverage of the knowledge base: where content is thin. No I/O."""

from __future__ import annotations

from collections import Counter
from typing import Any

from trafficking_ref.core import vocab
from trafficking_ref.core.kb import KnowledgeBase

SETTINGS = [s for s in vocab.SETTINGS if s != "any"]  # counted and shown
CHECKED = [s for s in SETTINGS if s != "community"]  # the field settings held to THIN_SETTING
THIN_SETTING = 10  # indicators a setting should have of its own
THIN_STRENGTH = 15
THIN_CELL = 3  # indicators per setting x type


def coverage(kb: KnowledgeBase) -> dict[str, Any]:
    """Counts by setting, type, audience and strength, with the thin spots flagged."""
    indicators = list(kb.indicators.values())
    cells: Counter[tuple[str, str, str, str]] = Counter()
    per_setting: Counter[str] = Counter()
    only_here: Counter[str] = Counter()  # indicators tagged with this setting and no other
    for i in indicators:
        if len(i.settings) == 1 and i.settings[0] in SETTINGS:
            only_here[i.settings[0]] += 1
        settings = SETTINGS if "any" in i.settings else [s for s in i.settings if s in SETTINGS]
        for setting in settings:
            per_setting[setting] += 1
            for type_ in i.types:
                cells[(setting, type_, i.audience, i.strength)] += 1
    by_strength = Counter(i.strength for i in indicators)
    by_audience = Counter(i.audience for i in indicators)
    by_type = Counter(t for i in indicators for t in i.types)
    setting_type = {
        s: {t: sum(n for (cs, ct, _, _), n in cells.items() if cs == s and ct == t)
            for t in vocab.TYPES}
        for s in SETTINGS
    }
    setting_strength = {
        s: {st: len({i.id for i in indicators if i.strength == st and (
            "any" in i.settings or s in i.settings)}) for st in vocab.STRENGTHS}
        for s in SETTINGS
    }
    sources_per_entry = Counter(
        len(e.sources) for collection in (kb.indicators, kb.risk_factors, kb.referrals,
                                          kb.guidance) for e in collection.values()
    )
    verified = sorted((r.verified_on, r.id) for r in kb.referrals.values())
    thin = []
    for s in CHECKED:
        if per_setting[s] < THIN_SETTING:
            thin.append(f"setting {s}: {per_setting[s]} indicators (want {THIN_SETTING})")
        for t in vocab.TYPES:
            if setting_type[s][t] < THIN_CELL:
                thin.append(f"setting {s} x type {t}: {setting_type[s][t]} indicators "
                            f"(want {THIN_CELL})")
    for strength in vocab.STRENGTHS:
        if by_strength[strength] < THIN_STRENGTH:
            thin.append(f"strength {strength}: {by_strength[strength]} indicators "
                        f"(want {THIN_STRENGTH})")
    for collection, label in ((kb.indicators, "indicator"), (kb.risk_factors, "risk factor"),
                              (kb.guidance, "guidance"), (kb.referrals, "referral")):
        for e in collection.values():
            if not e.sources:  # pragma: no cover - the models require a source
                thin.append(f"{label} {e.id}: no source")
    return {
        "totals": {k: len(v) for k, v in kb.collections().items()},
        "indicators_by_setting": {s: per_setting[s] for s in SETTINGS},
        "indicators_only_in_setting": {s: only_here[s] for s in SETTINGS},
        "indicators_by_strength": {s: by_strength[s] for s in vocab.STRENGTHS},
        "indicators_by_audience": {a: by_audience[a] for a in vocab.AUDIENCES},
        "indicators_by_type": {t: by_type[t] for t in vocab.TYPES},
        "setting_by_type": setting_type,
        "setting_by_strength": setting_strength,
        "cells": [
            {"setting": s, "type": t, "audience": a, "strength": st, "count": cells[(s, t, a, st)]}
            for s in SETTINGS for t in vocab.TYPES for a in vocab.AUDIENCES
            for st in vocab.STRENGTHS
        ],
        "sources_per_entry": {str(k): v for k, v in sorted(sources_per_entry.items())},
        "referrals_by_country": dict(sorted(Counter(r.country for r in kb.referrals.values())
                                            .items())),
        "oldest_verified": {"date": verified[0][0], "referral": verified[0][1]}
        if verified else None,
        "thin": thin,
    }
