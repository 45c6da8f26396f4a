"""Controlled vocabularies shared by the models, the core and the renderers.

Plain Python only (no pydantic): the fast path imports this module.
"""

from __future__ import annotations

BUILT_IN = "built-in"  # the name of the layer shipped with the program
CHECKLIST_LENGTH = 24  # signs in a field checklist (and its printed form) unless asked otherwise

SETTINGS: dict[str, str] = {
    "school": "School",
    "hospitality": "Hotels and hospitality",
    "healthcare": "Hospitals and healthcare",
    "retail": "Retail and convenience stores",
    "transportation": "Transportation (airports, bus, rail, trucking)",
    "workplace": "Workplaces, farms and job sites",
    "online": "Online and phone",
    "community": "Community and public places",
    "any": "Any setting",
}

TYPES: dict[str, str] = {"sex": "Sex trafficking", "labor": "Labor trafficking"}

AUDIENCES: dict[str, str] = {"minor": "Minors (under 18)", "adult": "Adults", "any": "Anyone"}

STRENGTHS: dict[str, str] = {"strong": "Strong", "medium": "Medium", "weak": "Weak"}
STRENGTH_ORDER: dict[str, int] = {"strong": 0, "medium": 1, "weak": 2}

CATEGORIES: dict[str, str] = {
    "control": "Control by another person",
    "behavior": "Behavior and demeanor",
    "physical": "Physical health and appearance",
    "documents": "Identity documents",
    "money-debt": "Money and debt",
    "work": "Work conditions",
    "living": "Living conditions",
    "travel": "Travel and movement",
    "recruitment": "Recruitment and deception",
    "commercial-sex": "Commercial sex",
    "school": "School attendance and performance",
    "online": "Online and phone activity",
    "premises": "Premises, rooms and vehicles",
}

CONTACT_KINDS: dict[str, str] = {
    "phone": "Call",
    "sms": "Text",
    "tty": "TTY",
    "web": "Web",
    "email": "Email",
    "chat": "Chat",
}

# Situations a referral serves, in the order the checklist lists them.
SITUATIONS: dict[str, str] = {
    "immediate-danger": "someone is in immediate danger",
    "local-protocol": "your agency's own protocol comes first",
    "child-protection": "a report to child protective services may be required",
    "minor": "the person may be under 18",
    "hotline": "national trafficking hotline: advice, tips and referrals",
    "sex-trafficking": "signs of sex trafficking",
    "labor-trafficking": "signs of labor trafficking",
    "online-exploitation": "signs of online exploitation or sextortion",
    "missing-child": "a child may be missing",
    "tip": "report to law enforcement",
    "victim-services": "services and support for the person",
    "mandated-reporter-advice": "advice for mandated reporters",
    "labor-rights": "wage and labor-rights violations",
    "non-emergency-police": "police, when it is not an emergency",
}
SITUATION_ORDER: dict[str, int] = {name: i for i, name in enumerate(SITUATIONS)}

GUIDANCE_TOPICS: dict[str, str] = {
    "safety": "Safety first",
    "talking-adult": "Talking with a possible adult victim",
    "talking-minor": "Talking with a possible minor victim",
    "approach": "Approaching someone who may not want to be identified",
    "school-duties": "What school staff must do",
    "reporting": "Reporting",
    "services": "Connecting the person to services",
    "prevention": "Life skills and prevention",
    "staff-protocol": "Staff protocols and training",
}

# Assessment levels, most urgent first.
LEVELS: dict[str, str] = {
    "emergency": "Emergency: call the emergency number now",
    "report": "Report now, following your protocol",
    "consult": "Consult: talk to the hotline or your designated reporter",
    "monitor": "Nothing observed yet: stay alert",
}
LEVEL_ORDER: dict[str, int] = {name: i for i, name in enumerate(LEVELS)}

PERSONS: dict[str, str] = {"minor": "under 18", "adult": "18 or older", "unknown": "age not known"}

# EU member states (ISO 3166-1 alpha-2), for referrals whose country is "EU".
EU_MEMBERS: frozenset[str] = frozenset(
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE".split()
)

# Knowledge files, by the top-level key each one holds.
FILES: dict[str, str] = {
    "sources": "sources.yaml",
    "indicators": "indicators.yaml",
    "risk_factors": "risk_factors.yaml",
    "referrals": "referrals.yaml",
    "guidance": "guidance.yaml",
    "synonyms": "synonyms.yaml",
    "assessment_rules": "assessment.yaml",
}
KIND_OF_KEY: dict[str, str] = {
    "sources": "source",
    "indicators": "indicator",
    "risk_factors": "risk-factor",
    "referrals": "referral",
    "guidance": "guidance",
    "synonyms": "synonym",
    "assessment_rules": "assessment-rule",
}
