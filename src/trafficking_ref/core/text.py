"""Text safety: what may appear in data and in what we print."""

from __future__ import annotations

import re
import unicodedata

# C0 controls except TAB and LF, DEL, C1 controls, and the bidirectional overrides and
# isolates that can make text read differently from what it is ("trojan source").
_FORBIDDEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ufeff]"
)


def find_forbidden_character(value: str) -> tuple[int, str] | None:
    """Return the position and character of the first forbidden character, if any."""
    match = _FORBIDDEN.search(value)
    if match is None:
        return None
    return match.start(), match.group()


def printable(value: str) -> str:
    """Make arbitrary user text safe to echo to a terminal: control characters become U+XXXX."""
    return _FORBIDDEN.sub(lambda m: f"<U+{ord(m.group()):04X}>", value).replace("\t", " ")


def fold(value: str) -> str:
    """Lowercase and strip accents, for matching words regardless of case and diacritics."""
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))
