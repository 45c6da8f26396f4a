"""`trafficking-ref export ...`: printed checklists, pocket cards and data exports.

The renderers are pure (model in, text or bytes out); this module only parses options, builds
the sheet from the store and writes the result to stdout or, atomically, to a file.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from trafficking_ref.cli import output as o
from trafficking_ref.cli.options import ENV_COUNTRY, Setting, TType
from trafficking_ref.core import vocab
from trafficking_ref.core.text import printable

export_app = typer.Typer(
    help="Printed checklists, pocket cards and data exports for trainers.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

ENV_TODAY = "TRAFFICKING_REF_TODAY"
BINARY_FORMATS = frozenset({"pdf"})
SUFFIXES = {".md": "md", ".markdown": "md", ".html": "html", ".htm": "html", ".pdf": "pdf",
            ".txt": "txt", ".csv": "csv", ".json": "json"}

Audience = Enum("Audience", {k: k for k in ("minor", "adult")}, type=str)  # type: ignore[misc]


class ChecklistFormat(str, Enum):
    md = "md"
    html = "html"
    pdf = "pdf"
    txt = "txt"


class CardFormat(str, Enum):
    pdf = "pdf"
    html = "html"


class DataFormat(str, Enum):
    csv = "csv"
    json = "json"
    md = "md"


class Paper(str, Enum):
    letter = "letter"
    a4 = "a4"


SettingOpt = Annotated[Setting, typer.Option(
    "--setting", "-s", help="Where the sheet is used (any = every setting).")]
AudienceOpt = Annotated[Optional[Audience], typer.Option(
    "--audience", "-a", help="Only indicators for minors or for adults (default: both).")]
CountryOpt = Annotated[Optional[str], typer.Option(
    "--country", "-c", metavar="CC",
    help=f"Two-letter country code for the contacts (default: ${ENV_COUNTRY}, else US).")]
TypeOpt = Annotated[Optional[TType], typer.Option("--type", help="Only sex or labor trafficking.")]
TitleOpt = Annotated[Optional[str], typer.Option("--title", help="Title printed at the top.")]
AgencyOpt = Annotated[Optional[str], typer.Option(
    "--agency", help="Your agency or organization, stamped in the header.")]
OutputOpt = Annotated[Optional[Path], typer.Option(
    "--output", "-o", metavar="FILE",
    help="Write to FILE (atomically) instead of standard output; required for PDF.")]
ForceOpt = Annotated[bool, typer.Option("--force", "-f", help="Overwrite FILE if it exists.")]
DateOpt = Annotated[Optional[str], typer.Option(
    "--date", metavar="YYYY-MM-DD",
    help=f"Date printed in the footer (default: today, or {ENV_TODAY}).")]
PaperOpt = Annotated[Optional[Paper], typer.Option(
    "--paper", help="Page size. PDF default: Letter for the US, Canada, Mexico and other "
    "Letter countries, else A4; HTML default: the printer's (the layout fits both).")]


# --- shared helpers ---------------------------------------------------------------------------


def _today(value: str | None) -> dt.date:
    raw = value if value is not None else os.environ.get(ENV_TODAY, "").strip() or None
    if raw is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        where = "--date" if value is not None else ENV_TODAY
        o.fail(f"{where}: '{raw}' is not a date; write it as YYYY-MM-DD", o.EXIT_USAGE)


def _country_option(value: str | None, fallback: str | None) -> Any:
    from trafficking_ref.cli.app import country_option

    return country_option(value, fallback)


def _kb() -> Any:
    from trafficking_ref.cli.app import State

    return State.store().kb


def _format(given: Enum | None, output: Path | None, allowed: type[Enum], default: str) -> str:
    """The format given, else the one the output file's suffix names, else the default.

    A suffix that names no format this export can write is refused rather than ignored: a file
    called ``card.md`` that holds HTML would mislead whoever opens it.
    """
    if output is not None and output.is_dir():
        o.fail(f"{printable(str(output))} is a directory; give a file name")
    if given is not None:
        return str(given.value)
    if output is not None and output.suffix and str(output) != "-":
        names = [f.value for f in allowed]
        guessed = SUFFIXES.get(output.suffix.lower())
        if guessed not in names:
            o.fail(f"cannot write this export as '{printable(output.suffix)}'; it can be "
                   + ", ".join(names), o.EXIT_USAGE,
                   f"name the file with one of those endings, or add --format {names[0]}")
        return str(guessed)
    return default


def _check_output(fmt: str, output: Path | None, force: bool, name: str = "checklist") -> None:
    """Refuse early (before any work) what cannot be written."""
    if output is None or str(output) == "-":
        if fmt in BINARY_FORMATS:
            o.fail(f"{fmt.upper()} is a binary format: give a file to write with -o FILE",
                   o.EXIT_USAGE, f"e.g. -o {name}.{fmt}")
        return
    if output.exists() and not force:  # a directory was refused by _format already
        o.fail(f"{printable(str(output))} already exists; add --force to overwrite it")
    parent = output.parent if str(output.parent) else Path(".")
    if not parent.is_dir():
        o.fail(f"the directory '{printable(str(parent))}' does not exist; create it first or "
               "choose another place")


def _render(make: Callable[[], str | bytes], fmt: str) -> str | bytes:
    """Run a renderer; any failure becomes one clear line (never a traceback)."""
    try:
        return make()
    except ImportError as exc:  # pragma: no cover - fpdf2 is a dependency
        if fmt == "pdf":
            o.fail(f"PDF export needs fpdf2, which is not installed ({exc})",
                   hint="install it with: pip install 'fpdf2>=2.7.9'")
        raise
    except Exception as exc:  # a bug or a library error: one line, never a traceback
        o.fail(f"could not make the {fmt.upper()} output: {type(exc).__name__}: {exc}")


def _emit(data: str | bytes, output: Path | None, force: bool, what: str) -> None:
    from trafficking_ref.io.files import OutputExists, write_bytes_atomic

    if output is None or str(output) == "-":
        if isinstance(data, bytes):  # pragma: no cover - refused by _check_output
            o.fail("binary output needs -o FILE", o.EXIT_USAGE)
        try:
            sys.stdout.write(data)
            sys.stdout.flush()
        except BrokenPipeError:  # e.g. piped into head: stop quietly, like other tools
            o.quiet_stdout()
            raise typer.Exit(1) from None
        return
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        write_bytes_atomic(output, payload, overwrite=force, private=False)
    except (OutputExists, FileExistsError):
        o.fail(f"{output} already exists; add --force to overwrite it")
    except OSError as exc:
        o.fail(f"cannot write {output}: {exc.strerror or exc}")
    from rich.text import Text

    from trafficking_ref.core.text import printable

    o.err().print(Text(printable(f"Wrote {what} to {output}")), soft_wrap=True)


def _length(value: int) -> int | None:
    return None if value == 0 else value


# --- commands ---------------------------------------------------------------------------------


@export_app.command()
def checklist(
    setting: SettingOpt,
    audience: AudienceOpt = None,
    country: CountryOpt = None,
    type_: TypeOpt = None,
    length: Annotated[int, typer.Option(
        "--length", "-n", min=0, max=500,
        help="How many indicators (as many as the field checklist by default; 0 = all).")] =
        vocab.CHECKLIST_LENGTH,
    fmt: Annotated[Optional[ChecklistFormat], typer.Option(
        "--format", "-F", help="Output format (default: from -o's suffix, else md).")] = None,
    output: OutputOpt = None,
    force: ForceOpt = False,
    title: TitleOpt = None,
    agency: AgencyOpt = None,
    date: DateOpt = None,
    paper: PaperOpt = None,
) -> None:
    """A blank observation checklist: tick boxes by category, contacts, how to approach."""
    chosen = _format(fmt, output, ChecklistFormat, "md")
    _check_output(chosen, output, force)
    today = _today(date)
    cc = _country_option(country, "US")
    kb = _kb()

    from trafficking_ref.render.sheet import build_sheet

    sheet = build_sheet(
        kb, setting=setting.value, audience=audience.value if audience else None, country=cc,
        type_=type_.value if type_ else None, length=_length(length), title=title,
        agency=agency, date=today, paper=paper.value if paper else None,
    )
    if not sheet.items:
        o.warn(f"no indicators match setting '{setting.value}'"
               + (f" and audience '{audience.value}'" if audience else ""))
    if sheet.emergency is None:
        o.warn(f"the knowledge base has no emergency number for {cc}")

    def make() -> str | bytes:
        if chosen == "md":
            from trafficking_ref.render.markdown import checklist_markdown

            return checklist_markdown(sheet)
        if chosen == "html":
            from trafficking_ref.render.html import checklist_html

            return checklist_html(sheet)
        if chosen == "txt":
            from trafficking_ref.render.text import checklist_text

            return checklist_text(sheet)
        from trafficking_ref.render.pdf import checklist_pdf

        return checklist_pdf(sheet)

    _emit(_render(make, chosen), output, force, f"the {setting.value} checklist")


@export_app.command()
def card(
    setting: SettingOpt,
    audience: AudienceOpt = None,
    country: CountryOpt = None,
    type_: TypeOpt = None,
    fmt: Annotated[Optional[CardFormat], typer.Option(
        "--format", "-F", help="Output format (default: from -o's suffix, else html).")] = None,
    output: OutputOpt = None,
    force: ForceOpt = False,
    title: TitleOpt = None,
    agency: AgencyOpt = None,
    date: DateOpt = None,
    paper: PaperOpt = None,
    copies: Annotated[int, typer.Option(
        "--copies", min=1, max=100, help="How many cards (four fit on a page).")] = 4,
) -> None:
    """Wallet-size pocket cards (85 x 55 mm): key signs on the front, whom to call on the back.

    Each card is printed as a strip with its front and back side by side: cut along the corner
    marks and fold on the dashed line. Four fit on a Letter or A4 page.
    """
    chosen = _format(fmt, output, CardFormat, "html")
    _check_output(chosen, output, force, "card")
    today = _today(date)
    cc = _country_option(country, "US")
    kb = _kb()

    from trafficking_ref.render.sheet import build_card

    made = build_card(
        kb, setting=setting.value, audience=audience.value if audience else None, country=cc,
        type_=type_.value if type_ else None, title=title, agency=agency, date=today,
        paper=paper.value if paper else None, copies=copies,
    )
    if not made.items:
        o.warn(f"no indicators match setting '{setting.value}'")
    if made.emergency is None:
        o.warn(f"the knowledge base has no emergency number for {cc}")

    def make() -> str | bytes:
        if chosen == "html":
            from trafficking_ref.render.html import card_html

            return card_html(made)
        from trafficking_ref.render.pdf import card_pdf

        return card_pdf(made)

    _emit(_render(make, chosen), output, force, f"the {setting.value} pocket cards")


def _data(kind: str, entries: list[Any], chosen: str, output: Path | None,
          force: bool, date: str | None) -> None:
    from trafficking_ref.render.data_export import export_data

    today = _today(date)
    kb_version = _kb().version
    text = _render(lambda: export_data(kind, chosen, entries, kb_version, today.isoformat()),
                   chosen)
    _emit(text, output, force, kind)


DataFormatOpt = Annotated[Optional[DataFormat], typer.Option(
    "--format", "-F", help="Output format (default: from -o's suffix, else csv).")]


@export_app.command()
def indicators(
    setting: Annotated[Optional[Setting], typer.Option(
        "--setting", "-s", help="Only indicators for this setting.")] = None,
    audience: AudienceOpt = None,
    type_: TypeOpt = None,
    fmt: DataFormatOpt = None,
    output: OutputOpt = None,
    force: ForceOpt = False,
    date: DateOpt = None,
) -> None:
    """The indicators as CSV, JSON or a Markdown table."""
    chosen = _format(fmt, output, DataFormat, "csv")
    _check_output(chosen, output, force)
    kb = _kb()
    items = [
        i for i in kb.indicators.values()
        if i.applies_to(setting.value if setting else None, audience.value if audience else None)
        and (type_ is None or type_.value in i.types)
    ]
    _data("indicators", items, chosen, output, force, date)


@export_app.command("risk-factors")
def risk_factors(
    fmt: DataFormatOpt = None,
    output: OutputOpt = None,
    force: ForceOpt = False,
    date: DateOpt = None,
) -> None:
    """The risk factors (vulnerabilities, not signs of trafficking) as CSV, JSON or Markdown."""
    chosen = _format(fmt, output, DataFormat, "csv")
    _check_output(chosen, output, force)
    _data("risk-factors", list(_kb().risk_factors.values()), chosen, output, force, date)


@export_app.command()
def referrals(
    country: Annotated[Optional[str], typer.Option(
        "--country", "-c", metavar="CC",
        help=f"Only referrals for this country (default: ${ENV_COUNTRY}, else all).")] = None,
    fmt: DataFormatOpt = None,
    output: OutputOpt = None,
    force: ForceOpt = False,
    date: DateOpt = None,
) -> None:
    """The referral contacts as CSV, JSON or Markdown."""
    from trafficking_ref.core.routing import filter_referrals

    chosen = _format(fmt, output, DataFormat, "csv")
    _check_output(chosen, output, force)
    cc = _country_option(country, None)
    kb = _kb()
    items = filter_referrals(kb, cc) if cc else list(kb.referrals.values())
    _data("referrals", items, chosen, output, force, date)
