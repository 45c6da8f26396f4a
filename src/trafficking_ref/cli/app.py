"""The ``trafficking-ref`` command: a thin shell that parses arguments, calls the core and renders.

Heavy modules (pydantic, yaml, the exporters) are imported inside the commands that need them.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from trafficking_ref import __version__
from trafficking_ref.cli import output as o
from trafficking_ref.cli.options import Audience, Kind, Setting, Situation, Strength, TType
from trafficking_ref.loading.knowledge import Layer, resolve_layers
from trafficking_ref.loading.problems import KnowledgeError, LayerError

app = typer.Typer(
    name="trafficking-ref",
    help=(
        "Offline field reference for recognising possible human trafficking and getting the "
        "person to the right help. Decision support only: it never decides that someone is a "
        "victim. If anyone is in immediate danger, call your emergency number first."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


class State:
    data_dirs: list[str] = []
    _store: Any = None

    @classmethod
    def layers(cls) -> list[Layer]:
        try:
            return resolve_layers(cls.data_dirs)
        except LayerError as exc:
            o.fail(str(exc), o.EXIT_USAGE,
                   "give an existing directory with --data-dir or TRAFFICKING_REF_DATA_DIR")

    @classmethod
    def store(cls) -> Any:
        if cls._store is None:
            from trafficking_ref.loading.store import open_store

            try:
                cls._store = open_store(cls.layers())
            except KnowledgeError as exc:
                report_problems(exc.problems)
                o.fail(
                    f"the knowledge files have {_count_errors(exc.problems)} error(s); "
                    "fix them (run 'trafficking-ref validate') and try again"
                )
        return cls._store


def _count_errors(problems: list[Any]) -> int:
    return sum(1 for p in problems if p.severity == "error")


def report_problems(problems: list[Any]) -> None:
    from rich.text import Text

    from trafficking_ref.core.text import printable

    for p in problems:
        o.err().print(Text(printable(p.format())), soft_wrap=True)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"trafficking-ref {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    data_dir: Annotated[
        Optional[list[str]],
        typer.Option(
            "--data-dir", metavar="DIR",
            help="A local layer of knowledge files on top of the built-in ones (repeatable; "
            "later wins). Also TRAFFICKING_REF_DATA_DIR, separated by the path separator.",
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True,
                           help="Show the version and exit.")
    ] = False,
) -> None:
    State.data_dirs = list(data_dir or [])
    State._store = None
    o.said_interrupted = False


# --- validate / schema ------------------------------------------------------------------------


@app.command()
def validate(
    json_out: JsonOpt = False,
    stale_after: Annotated[int, typer.Option(
        "--stale-after", min=1, metavar="DAYS",
        help="Warn about referrals last verified more than DAYS ago.")] = 365,
    strict: Annotated[bool, typer.Option("--strict", help="Fail on warnings too.")] = False,
) -> None:
    """Check every knowledge file of every layer; print each problem as file:line:col."""
    from trafficking_ref.loading.knowledge import load_knowledge, read_layer_files
    from trafficking_ref.loading.problems import Problem

    found = read_layer_files(State.layers())
    try:
        kb, problems = load_knowledge(found)
    except KnowledgeError as exc:
        kb, problems = None, exc.problems
    if kb is not None:
        from trafficking_ref.core.routing import countries_without_emergency

        def warning(r: Any, message: str, code: str) -> Problem:
            origin = r.origin
            return Problem(origin.file if origin else "?", origin.line if origin else 1, 1,
                           f"referral '{r.id}'", message, code, "warning")

        cutoff = dt.date.today() - dt.timedelta(days=stale_after)
        problems += [
            warning(r, f"verified on {r.verified_on}, more than {stale_after} days ago — check "
                       "the contacts again and update verified_on", "stale")
            for r in kb.referrals.values() if dt.date.fromisoformat(r.verified_on) < cutoff
        ]
        problems += [
            warning(r, f"no referral for {country} has the situation 'immediate-danger', so "
                       "the checklist cannot name an emergency number there — add one (e.g. "
                       "the police emergency number) with situations: [immediate-danger]",
                    "no-emergency")
            for country, r in countries_without_emergency(kb)
        ]
    errors = _count_errors(problems)
    warnings = len(problems) - errors
    failed = errors > 0 or (strict and warnings > 0)
    if json_out:
        o.print_json({
            "ok": not failed, "errors": errors, "warnings": warnings,
            "problems": [p.to_dict() for p in problems],
            "counts": {k: len(v) for k, v in kb.collections().items()} if kb else None,
        })
    else:
        report_problems(problems)
        if kb is not None and not failed:
            counts = ", ".join(f"{len(v)} {k.replace('_', ' ')}" for k, v in
                               kb.collections().items())
            o.line(f"OK: {counts} in {len(kb.layers)} layer(s)"
                   + (f"; {warnings} warning(s)" if warnings else ""))
        else:
            o.err().print(f"{errors} error(s), {warnings} warning(s)")
    if failed:
        raise typer.Exit(o.EXIT_DATA)


@app.command()
def schema(
    output: Annotated[Optional[Path], typer.Option(
        "--output", "-o", metavar="DIR",
        help="Directory to write the JSON Schemas into (created if missing; default: schemas).",
    )] = None,
) -> None:
    """Write the JSON Schema of each knowledge file (for editor completion and checking)."""
    from trafficking_ref.core.schemas import schema_documents
    from trafficking_ref.io.files import write_text_atomic

    target = output or Path("schemas")
    documents = schema_documents()
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        o.fail(f"cannot create the directory {target}: {exc.strerror or exc}")
    for name, text in documents.items():
        try:
            write_text_atomic(target / name, text, overwrite=True, private=False)
        except OSError as exc:
            o.fail(f"cannot write {target / name}: {exc.strerror or exc}")
    o.line(f"Wrote {len(documents)} schemas to {target}")


# --- look-ups ---------------------------------------------------------------------------------


@app.command()
def show(
    entry_id: Annotated[str, typer.Argument(metavar="ID", help="Any entry's id.")],
    json_out: JsonOpt = False,
) -> None:
    """Show any entry by id, with its sources and the layer it comes from."""
    from trafficking_ref.core.kb import entry_to_dict
    from trafficking_ref.core.search import suggest_ids
    from trafficking_ref.core.text import printable

    kb = State.store().kb
    entry = kb.get(entry_id) or kb.get(entry_id.strip().lower().replace("_", "-"))
    if entry is None:
        close = suggest_ids(kb.all_ids(), entry_id.strip().lower())
        o.fail(f"no entry with id '{printable(entry_id)}'",
               hint=f"did you mean: {', '.join(close)}?" if close else
               "search for it with: trafficking-ref search WORDS")
    if json_out:
        data = entry_to_dict(entry, with_origin=True)
        data["kind"] = entry.kind
        data["source_details"] = [
            entry_to_dict(kb.sources[s]) for s in getattr(entry, "sources", ()) if s in kb.sources
        ]
        o.print_json(data)
        return
    from trafficking_ref.render.terminal import entry_detail

    o.out().print(entry_detail(entry, kb, o.is_plain()), crop=False)


@app.command("risk-factors")
def risk_factors(json_out: JsonOpt = False) -> None:
    """List the risk factors: vulnerabilities, not signs that trafficking is happening."""
    from trafficking_ref.core.kb import entry_to_dict

    kb = State.store().kb
    items = list(kb.risk_factors.values())
    if json_out:
        o.print_json([entry_to_dict(r, with_origin=True) for r in items])
        return
    from trafficking_ref.render.terminal import risk_factors_view

    o.out().print(risk_factors_view(items, o.is_plain(), o.out().width))
    o.line(o.style("Risk factors make a person more vulnerable; none of them is a sign that "
                   "trafficking is happening.", "italic"))


@app.command()
def referrals(
    country: Annotated[Optional[str], typer.Option(
        "--country", "-c", metavar="CC",
        help="Two-letter country code, e.g. US, GB, CA (default: $TRAFFICKING_REF_COUNTRY, "
             "else every country).")] = None,
    region: Annotated[Optional[str], typer.Option(
        "--region", help="A state, province or district (local layers).")] = None,
    situation: Annotated[Optional[Situation], typer.Option(
        "--situation", "-s", help="Only referrals for this situation.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Referral contacts: whom to call, text or report to, and when."""
    from trafficking_ref.core.kb import entry_to_dict
    from trafficking_ref.core.routing import filter_referrals

    kb = State.store().kb
    cc = country_option(country, None)
    items = filter_referrals(kb, cc, region, situation.value if situation else None)
    if json_out:
        o.print_json([entry_to_dict(r, with_origin=True) for r in items])
        return
    if not items:
        from trafficking_ref.core.text import printable

        o.line(f"No referrals match (country {cc or 'any'}, region {printable(region or 'any')}, "
               f"situation {situation.value if situation else 'any'}).")
        return
    from trafficking_ref.render.terminal import referrals_view

    o.out().print(referrals_view(items, o.is_plain(), o.out().width))


def _country(value: str, source: str = "") -> str:
    from trafficking_ref.core.text import printable

    cc = value.strip().upper()
    if cc == "UK":
        cc = "GB"
    if len(cc) != 2 or not cc.isascii() or not cc.isalpha():
        o.fail(f"{source}'{printable(value)}' is not a two-letter country code (e.g. US, GB, CA, "
               "AU, MX)", o.EXIT_USAGE)
    return cc


def country_option(value: str | None, fallback: str | None) -> str | None:
    """The country of a --country option: as given (an empty one is an error), else
    $TRAFFICKING_REF_COUNTRY when it is set and not empty, else ``fallback``."""
    from trafficking_ref.cli.options import ENV_COUNTRY, default_country

    if value is not None:
        return _country(value)
    from_env = default_country(None)
    if from_env is not None:
        return _country(from_env, f"${ENV_COUNTRY}: ")
    return fallback


# --- search -----------------------------------------------------------------------------------


@app.command()
def search(
    query: Annotated[
        list[str], typer.Argument(metavar="QUERY...", help="Words, as you'd say them.")
    ],
    kind: Annotated[Optional[Kind], typer.Option("--kind", help="Only this kind of entry.")] = None,
    setting: Annotated[Optional[Setting], typer.Option("--setting")] = None,
    type_: Annotated[Optional[TType], typer.Option("--type")] = None,
    audience: Annotated[Optional[Audience], typer.Option("--audience")] = None,
    strength: Annotated[Optional[Strength], typer.Option("--strength")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=500)] = 10,
    json_out: JsonOpt = False,
) -> None:
    """Search indicators, risk factors, guidance and referrals in your own words."""
    from trafficking_ref.core.search import Filters
    from trafficking_ref.core.search import search as run_search

    text = " ".join(query)
    filters = Filters(
        kind=kind.value if kind else None, setting=setting.value if setting else None,
        type=type_.value if type_ else None, audience=audience.value if audience else None,
        strength=strength.value if strength else None,
    )
    result = run_search(State.store().conn, text, filters, limit)
    if json_out:
        o.print_json([
            {**hit.entry, "id": hit.id, "kind": hit.kind, "title": hit.title, "score": hit.score}
            for hit in result.hits
        ])
        return
    from trafficking_ref.core.text import printable

    if result.corrected and result.hits:
        o.line(o.style(f"Spelling corrected: showing results for '{result.corrected}' "
                       f"(you typed '{printable(text)}').", "italic"))
    if not result.hits:
        message = f"No matches for '{printable(text)}'"
        active = filters.active()
        if active:
            message += " with " + ", ".join(f"--{k} {v}" for k, v in active.items())
        o.line(message + ".")
        if result.suggestions:
            o.line(f"Did you mean: {', '.join(result.suggestions)}?")
        if active:
            o.line("Try again without the filters, or with fewer words.")
        else:
            o.line("Try fewer or other words, e.g. 'passport', 'scared', 'older boyfriend'.")
        return
    from trafficking_ref.render.terminal import search_results

    o.out().print(search_results(result.hits, o.is_plain(), o.out().width))


from trafficking_ref.cli.checklist import checklist  # noqa: E402
from trafficking_ref.cli.export import export_app  # noqa: E402

app.command()(checklist)
app.add_typer(export_app, name="export")


@app.command()
def stats(json_out: JsonOpt = False) -> None:
    """Coverage report: counts by setting, type, audience and strength; thin spots flagged."""
    from trafficking_ref.core.stats import SETTINGS, coverage
    from trafficking_ref.render.terminal import table

    report = coverage(State.store().kb)
    if json_out:
        o.print_json(report)
        return
    plain = o.is_plain()
    totals = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in report["totals"].items())
    o.line(o.style("Knowledge base: ", "bold"), totals)
    grid = table(["Setting", "All", "Only here", "Sex", "Labor", "Strong", "Medium", "Weak"],
                 plain, title="Indicators by setting")
    for s in SETTINGS:
        by_type, by_strength = report["setting_by_type"][s], report["setting_by_strength"][s]
        grid.add_row(s, str(report["indicators_by_setting"][s]),
                     str(report["indicators_only_in_setting"][s]), str(by_type["sex"]),
                     str(by_type["labor"]), str(by_strength["strong"]),
                     str(by_strength["medium"]), str(by_strength["weak"]))
    o.out().print(grid)
    o.line("By strength: " + ", ".join(f"{k} {v}" for k, v in
                                       report["indicators_by_strength"].items()))
    o.line("By audience: " + ", ".join(f"{k} {v}" for k, v in
                                       report["indicators_by_audience"].items()))
    o.line("Sources per entry: " + ", ".join(f"{k}: {v}" for k, v in
                                             report["sources_per_entry"].items()))
    o.line("Referrals by country: " + ", ".join(f"{k} {v}" for k, v in
                                                report["referrals_by_country"].items()))
    oldest = report["oldest_verified"]
    if oldest:
        o.line(f"Oldest verified contact: {oldest['date']} ({oldest['referral']})")
    if report["thin"]:
        o.line(o.style("Thin spots:", "bold yellow"))
        for item in report["thin"]:
            o.line(f"  - {item}")
    else:
        o.line("No thin spots.")


def _command_named(argv: list[str]) -> str | None:
    """The command a command line asks for, skipping the global options before it."""
    i = 0
    while i < len(argv) and argv[i].startswith("-"):
        i += 2 if argv[i] == "--data-dir" else 1
    return argv[i] if i < len(argv) else None


def build_only(argv: list[str]) -> None:
    """Register only the command that ``argv`` asks for, when it names one.

    Typer inspects the signature of every registered command at each start (about 3 ms a
    command); a field tool should answer at once. Help, unknown commands and errors see every
    command, as before. This changes the app for the rest of the process: only the console entry
    point (:mod:`trafficking_ref.cli.entry`) calls it, just before it runs the one command.
    """
    wanted = _command_named(argv)
    commands = {(c.name or c.callback.__name__).replace("_", "-"): c  # type: ignore[union-attr]
                for c in app.registered_commands}
    groups = {g.name: g for g in app.registered_groups}
    if wanted in commands:
        app.registered_commands = [commands[wanted]]
        app.registered_groups = []
    elif wanted in groups:
        app.registered_commands = []
        app.registered_groups = [groups[wanted]]


def run() -> None:
    """Console-script entry point: Ctrl-C exits 130 with one line, never a traceback.

    An operating-system error that no command handled (writing standard output to a full disk,
    a path the system refuses) is one line and exit 1.
    """
    try:
        app()
    except KeyboardInterrupt:
        o.interrupted()
        raise SystemExit(o.EXIT_INTERRUPTED) from None
    except OSError as exc:
        o.os_error(exc)
        raise SystemExit(o.EXIT_DATA) from None
    except SystemExit as exc:
        # Typer turns Ctrl-C into a silent exit 130: say why, unless a command already did.
        if exc.code == o.EXIT_INTERRUPTED:
            o.interrupted()
        raise
