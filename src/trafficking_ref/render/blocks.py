"""Text blocks for the terminal: wrapped to the width, with a hanging indent, no trailing spaces.

Rich keeps the space before a line break inside each wrapped line; piped output and copied text
should not carry it, so every line is stripped at its end. A ``Text`` marked ``no_wrap`` (a path,
say) is printed whole.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.console import Group, RenderableType
from rich.text import Text


class Wrapped:
    """``text`` wrapped to the width, every line indented by ``indent`` spaces."""

    def __init__(self, text: Text, indent: int = 0):
        self.text, self.indent = text, indent

    def __rich_console__(self, console: Any, options: Any) -> Any:
        pad = Text(" " * self.indent)
        if self.text.no_wrap:
            whole = pad + self.text
            whole.no_wrap, whole.overflow = True, "ignore"
            yield whole
            return
        width = max(options.max_width - self.indent, 20)
        for line in self.text.wrap(console, width, justify="default"):
            line.rstrip()
            yield pad + line


def block(parts: Iterable[RenderableType]) -> Group:
    """A group in which every plain ``Text`` is wrapped without trailing spaces."""
    return Group(*(Wrapped(p) if isinstance(p, Text) else p for p in parts))
