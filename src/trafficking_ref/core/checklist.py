"""The guided observation checklist as a pure state machine. No I/O.

A :class:`Walk` is immutable: every answer returns a new walk, so "back" and resuming from saved
answers are trivial and the terminal shell only has to ask and print.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from itertools import groupby

from trafficking_ref.core import vocab
from trafficking_ref.core.kb import Indicator, KnowledgeBase

OBSERVED = "y"
NOT_OBSERVED = "n"
UNSURE = "u"
SKIPPED = "s"
BACK = "b"
HELP = "?"
QUIT = "q"
ANSWERS = {OBSERVED: "observed", NOT_OBSERVED: "not observed", UNSURE: "unsure",
           SKIPPED: "skipped"}
CHOICES = (OBSERVED, NOT_OBSERVED, UNSURE, SKIPPED, BACK, HELP, QUIT)
DEFAULT_LENGTH = vocab.CHECKLIST_LENGTH


def audience_for(person: str) -> str | None:
    """The indicator audience that fits the person: unknown age sees every indicator."""
    return {"minor": "minor", "adult": "adult"}.get(person)


def select_indicators(
    kb: KnowledgeBase, setting: str | None, person: str = "unknown", type_: str | None = None,
    length: int | None = DEFAULT_LENGTH,
) -> list[Indicator]:
    """The indicators to walk for a setting and person, grouped by category, strongest first.

    Indicators named for the setting come before general ones, strongest first and, for the same
    strength, the more particular to the setting (fewer settings) first, so that a short list or
    a pocket card shows what belongs to the place. Where ``length`` cuts through a strength, the
    signs taken from that strength are spread over categories. Within the chosen set, categories
    keep a fixed order and each category lists its strongest indicators first.
    """
    audience = audience_for(person)
    candidates = [
        i for i in kb.indicators.values()
        if i.applies_to(setting, audience) and (type_ is None or type_ in i.types)
    ]
    concrete = setting not in (None, "any")

    def tier(i: Indicator) -> tuple[int, int]:
        return (0 if concrete and setting in i.settings else 1, vocab.STRENGTH_ORDER[i.strength])

    def specificity(i: Indicator) -> int:
        if not concrete or setting not in i.settings:
            return 0
        return 99 if "any" in i.settings else len(i.settings)

    ranked = [i for _, i in sorted(enumerate(candidates),
                                   key=lambda p: (*tier(p[1]), specificity(p[1]), p[0]))]
    chosen: list[Indicator] = []
    wanted = length if length else len(ranked)
    for _, group in groupby(ranked, key=tier):  # ranked is ordered by tier first
        room = wanted - len(chosen)
        if room <= 0:
            break
        same = list(group)
        chosen += same if len(same) <= room else _spread(same, room)
    category_order = list(vocab.CATEGORIES)
    position = {i.id: n for n, i in enumerate(candidates)}
    return sorted(
        chosen,
        key=lambda i: (category_order.index(i.category), vocab.STRENGTH_ORDER[i.strength],
                       position[i.id]),
    )


def _spread(ranked: list[Indicator], length: int) -> list[Indicator]:
    """``length`` of ``ranked`` (one strength), at most a quarter of them from any one category,
    then topped up in rank order, so a short list is not six ways of saying one thing."""
    cap = max(1, -(-length // 4))
    per_category: dict[str, int] = {}
    chosen: list[Indicator] = []
    for indicator in ranked:
        if len(chosen) == length:
            break
        if per_category.get(indicator.category, 0) < cap:
            per_category[indicator.category] = per_category.get(indicator.category, 0) + 1
            chosen.append(indicator)
    picked = {i.id for i in chosen}
    chosen += [i for i in ranked if i.id not in picked][: length - len(chosen)]
    return chosen


@dataclass(frozen=True)
class Walk:
    """Where the officer is in the checklist and what they answered so far."""

    questions: tuple[Indicator, ...]
    answers: dict[str, str] = field(default_factory=dict)
    position: int = 0
    quit: bool = False

    @property
    def finished(self) -> bool:
        return self.quit or self.position >= len(self.questions)

    @property
    def current(self) -> Indicator | None:
        return None if self.finished else self.questions[self.position]

    @property
    def progress(self) -> tuple[int, int]:
        """(number of the current question, total)."""
        return min(self.position + 1, len(self.questions)), len(self.questions)

    def answer(self, choice: str) -> Walk:
        """Apply one choice. Unknown choices raise ValueError; "?" leaves the walk unchanged."""
        choice = choice.strip().lower()
        if choice not in CHOICES:
            raise ValueError(f"unknown choice {choice!r}")
        if choice == HELP or (self.finished and choice != BACK):
            return self
        if choice == QUIT:
            return replace(self, quit=True)
        if choice == BACK:
            return replace(self, position=max(0, self.position - 1), quit=False)
        current = self.questions[self.position]
        answers = dict(self.answers)
        answers[current.id] = choice
        return replace(self, answers=answers, position=self.position + 1)

    def ids_with(self, choice: str) -> list[str]:
        """Ids answered with ``choice``, in checklist order."""
        return [q.id for q in self.questions if self.answers.get(q.id) == choice]

    @classmethod
    def resume(cls, questions: list[Indicator], observed: list[str],
               unsure: list[str]) -> Walk:
        """A walk with earlier answers filled in, positioned at the first unanswered question."""
        answers = {i: OBSERVED for i in observed}
        answers.update({i: UNSURE for i in unsure})
        walk = cls(tuple(questions), answers)
        position = next(
            (n for n, q in enumerate(questions) if q.id not in answers), len(questions)
        )
        return replace(walk, position=position)
