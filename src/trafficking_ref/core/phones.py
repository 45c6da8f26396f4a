"""Contact checks: phone numbers against the country's numbering plan, web and email forms.

``phonenumbers`` is imported only here, and only while validating (never on a cached run).
"""

from __future__ import annotations

import re
from typing import Any

_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)
_SHORT = re.compile(r"^[0-9][0-9 ]{1,7}$")
_PHONE_CHARS = re.compile(r"^\+?[0-9A-Z][0-9A-Z ().\-]{2,30}$")


def check_contact(contact: dict[str, Any], country: str) -> str | None:
    """Why the contact's value is wrong for its kind, or None when it is fine."""
    kind, value = contact["kind"], contact["value"]
    short = contact.get("short_code", False)
    if kind in ("web", "chat"):
        if not _URL.fullmatch(value):
            return f"'{value}' is not a web address — write it as https://..."
        return None
    if kind == "email":
        return None if _EMAIL.fullmatch(value) else f"'{value}' is not an email address"
    if short:
        if not _SHORT.fullmatch(value):
            return f"'{value}' is marked short_code but is not a short number (2 to 8 digits)"
        return None
    if not _PHONE_CHARS.fullmatch(value):
        return f"'{value}' is not a phone number — use digits, spaces, hyphens and a leading +"
    import phonenumbers

    region = None if country == "EU" else country
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return f"'{value}' cannot be read as a phone number for {country} — check the digits"
    if not phonenumbers.is_valid_number(number):
        return (
            f"'{value}' is not a valid phone number for {country} — check the digits, or mark a "
            "short number such as 911 or 233733 with 'short_code: true'"
        )
    return None
