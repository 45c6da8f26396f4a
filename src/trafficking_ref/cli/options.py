"""Choices shared by the commands' options, made from the controlled vocabularies."""

from __future__ import annotations

import os
from enum import Enum

from trafficking_ref.core import vocab

Setting = Enum("Setting", {k: k for k in vocab.SETTINGS}, type=str)  # type: ignore[misc]
TType = Enum("TType", {k: k for k in vocab.TYPES}, type=str)  # type: ignore[misc]
Audience = Enum("Audience", {k: k for k in vocab.AUDIENCES}, type=str)  # type: ignore[misc]
Strength = Enum("Strength", {k: k for k in vocab.STRENGTHS}, type=str)  # type: ignore[misc]
_KINDS = {k: k for k in ("indicator", "risk-factor", "guidance", "referral")}
Kind = Enum("Kind", _KINDS, type=str)  # type: ignore[misc]
ENV_COUNTRY = "TRAFFICKING_REF_COUNTRY"


def default_country(fallback: str | None = "US") -> str | None:
    """The country when none is given: $TRAFFICKING_REF_COUNTRY (if not empty), else fallback."""
    return os.environ.get(ENV_COUNTRY, "").strip() or fallback


Situation = Enum("Situation", {k: k for k in vocab.SITUATIONS}, type=str)  # type: ignore[misc]
