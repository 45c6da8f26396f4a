"""Terminal output: data printed literally, plain when piped, NO_COLOR respected."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.text import Text

from trafficking_ref.core.text import printable

EXIT_DATA = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

_out: Console | None = None
_err: Console | None = None


def out() -> Console:
    global _out
    if _out is None:
        # No markup, no emoji codes and no highlighting: data text is printed exactly as written.
        _out = Console(highlight=False, markup=False, emoji=False, soft_wrap=False)
    return _out


def err() -> Console:
    global _err
    if _err is None:
        _err = Console(stderr=True, highlight=False, markup=False, emoji=False)
    return _err


def is_plain() -> bool:
    return not out().is_terminal


def style(text: str, style_name: str) -> Text:
    """A piece of text with a style that is dropped when the output is plain."""
    return Text(text, style="" if is_plain() else style_name)


def _joined(parts: tuple[str | Text, ...]) -> Text:
    text = Text()
    for part in parts:
        text.append(part if isinstance(part, Text) else Text(part))
    return text


def line(*parts: str | Text, whole: bool = False) -> None:
    """One line of text: wrapped at words on a terminal, left whole when piped (for logs).

    ``whole``: never wrapped, also on a terminal: a path or a line to copy (the terminal may
    fold it on screen, but copying it gives it back intact).
    """
    out().print(_joined(parts), soft_wrap=whole or is_plain())


def indented(indent: int, *parts: str | Text) -> None:
    """Like :func:`line`, every wrapped line indented by ``indent`` on a terminal."""
    if is_plain():
        line(" " * indent, *parts)
        return
    from trafficking_ref.render.blocks import Wrapped

    out().print(Wrapped(_joined(parts), indent))


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    sys.stdout.flush()


def fail(message: str, code: int = EXIT_DATA, hint: str | None = None) -> NoReturn:
    """One clear line on stderr (and an optional hint), then exit with ``code``."""
    err().print(Text(f"trafficking-ref: error: {printable(message)}"), soft_wrap=True)
    if hint:
        err().print(Text(f"  {printable(hint)}"), soft_wrap=True)
    raise typer.Exit(code)


said_interrupted = False  # "interrupted" was printed (reset for each invocation)


def interrupted() -> None:
    """The one line Ctrl-C ends with (printed once, however many layers catch it)."""
    global said_interrupted
    if not said_interrupted:
        said_interrupted = True
        with contextlib.suppress(OSError, ValueError):  # stderr closed: the exit code says it
            err().print("trafficking-ref: interrupted")


def quiet_stdout() -> None:
    """Point standard output at /dev/null, so the interpreter's last flush cannot fail again
    (with a traceback) after writing to it failed (a full disk, a closed pipe)."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def os_error(exc: OSError) -> None:
    """One line for an operating-system error that reached the top: writing the output when it
    names no file, else what went wrong with which file."""
    if exc.filename is None:
        quiet_stdout()
        message = f"cannot write the output: {exc.strerror or exc}"
    else:
        message = f"{exc.strerror or exc}: {exc.filename}"
    with contextlib.suppress(OSError, ValueError):
        err().print(Text(f"trafficking-ref: error: {printable(message)}"), soft_wrap=True)


def warn(message: str) -> None:
    err().print(Text(f"trafficking-ref: warning: {printable(message)}"), soft_wrap=True)
