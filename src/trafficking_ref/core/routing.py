"""Referral routing: which contacts apply, in what order, and why. No I/O."""

from __future__ import annotations

from trafficking_ref.core import vocab
from trafficking_ref.core.kb import KnowledgeBase, Referral


def serves_country(referral: Referral, country: str | None) -> bool:
    if country is None:
        return True
    if referral.country == country:
        return True
    return referral.country == "EU" and country in vocab.EU_MEMBERS


def filter_referrals(
    kb: KnowledgeBase, country: str | None, region: str | None = None,
    situation: str | None = None,
) -> list[Referral]:
    """Referrals for a country (EU-wide ones included for member states), local layers first."""
    items = [
        r for r in kb.referrals.values()
        if serves_country(r, country)
        and (region is None or r.region is None or r.region.casefold() == region.casefold())
        and (situation is None or situation in r.situations)
    ]
    return sorted(items, key=lambda r: (
        r.country == "EU", -(r.origin.depth if r.origin else 0),
        min(vocab.SITUATION_ORDER[s] for s in r.situations),
    ))
