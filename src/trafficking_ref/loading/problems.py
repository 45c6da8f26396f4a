"""Problems found in the knowledge files, located to file:line:col."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    col: int
    where: str
    message: str
    code: str
    severity: str = "error"  # or "warning"

    def format(self) -> str:
        label = "" if self.severity == "error" else "warning: "
        text = (f"{self.file}:{self.line}:{self.col}: {self.where}: {label}{self.message} "
                f"[{self.code}]")
        return text.replace("\r", "\\r").replace("\n", "\\n")  # one problem, one line

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class KnowledgeError(Exception):
    """The knowledge base could not be loaded: one or more errors, each located."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        errors = [p for p in problems if p.severity == "error"]
        super().__init__(f"{len(errors)} error(s) in the knowledge files")


class LayerError(Exception):
    """A layer directory given by the user is missing or is not a directory."""
