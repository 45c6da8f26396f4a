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


# A plain listing knows nothing about the person, so the country's trafficking hotline comes right
# after the emergency number and the agency's own protocol, before the lines for children.
_LISTING_FIRST = ("immediate-danger", "local-protocol", "hotline")
LISTING_ORDER: dict[str, int] = {
    s: n for n, s in enumerate([*_LISTING_FIRST,
                                *(s for s in vocab.SITUATIONS if s not in _LISTING_FIRST)])
}


def filter_referrals(
    kb: KnowledgeBase, country: str | None, region: str | None = None,
    situation: str | None = None,
) -> list[Referral]:
    """Referrals for a country (EU-wide ones included for member states).

    Ordered by the most urgent situation each serves: the emergency number, the agency's own
    protocol, the trafficking hotline, then the rest (:data:`LISTING_ORDER`); for the same
    situation local layers come before national contacts, and national before EU-wide ones.
    """
    items = [
        r for r in kb.referrals.values()
        if serves_country(r, country)
        and (region is None or r.region is None or r.region.casefold() == region.casefold())
        and (situation is None or situation in r.situations)
    ]
    return sorted(items, key=lambda r: (
        min(LISTING_ORDER[s] for s in r.situations),
        -(r.origin.depth if r.origin else 0),
        r.country == "EU",
    ))


def countries_without_emergency(kb: KnowledgeBase) -> list[tuple[str, Referral]]:
    """Countries with referrals but no emergency number, each with its first referral.

    A layer can replace the emergency entry of a country or add a country without one; then the
    checklist could not tell anyone whom to call in danger.
    """
    first: dict[str, Referral] = {}
    covered: set[str] = set()
    for r in kb.referrals.values():
        first.setdefault(r.country, r)
        if "immediate-danger" in r.situations:
            covered.add(r.country)
    return [
        (country, r) for country, r in first.items()
        if country not in covered and not (country in vocab.EU_MEMBERS and "EU" in covered)
    ]
