"""`trafficking-ref checklist`: the guided observation walk and its summary.

Works at a real terminal and with piped stdin (one answer per line). Nothing is written to disk
unless the user asks (--save, or naming a draft file when quitting).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from trafficking_ref.cli import output as o
from trafficking_ref.cli.options import ENV_COUNTRY, Setting, TType
from trafficking_ref.core import vocab
from trafficking_ref.core.text import printable

if TYPE_CHECKING:  # imported where used: building the command must stay light
    from trafficking_ref.core import checklist as ck

ANSWER_KEYS = ("setting", "country", "minor", "immediate_danger", "observed", "unsure",
               "not_observed", "skipped")


class _EndOfInput(Exception):
    """Standard input ended before the walk was complete."""


class _Interrupted(Exception):
    """The walk stopped early (Ctrl-C or end of input); carries the answers given so far."""

    def __init__(self, walk: ck.Walk, cause: BaseException):
        super().__init__(str(cause))
        self.walk = walk
        self.cause = cause


_WORDS = {"yes": "y", "no": "n", "unsure": "u", "not sure": "u", "skip": "s", "back": "b",
          "help": "?", "quit": "q"}  # whole words for the one-letter answers


def _ask(prompt: str, choices: dict[str, str]) -> str:
    """Ask until one of ``choices`` is given; a typo asks again instead of guessing."""
    keys = "/".join(choices)
    while True:
        o.out().print(o.style(f"{prompt} [{keys}]: ", "bold"), end="")
        o.out().file.flush()
        raw = sys.stdin.readline()
        if raw == "":
            o.line("")
            raise _EndOfInput
        answer = raw.strip().lower()
        answer = _WORDS.get(answer, answer)
        if answer in choices:
            return answer
        o.line("  Please answer one of: " + ", ".join(f"{k} = {v}" for k, v in choices.items()))


def _draft(observation: dict[str, Any], walk: ck.Walk | None) -> dict[str, Any]:
    from trafficking_ref.core import checklist as ck

    data = dict(observation)
    if walk is not None:
        data["observed"] = walk.ids_with(ck.OBSERVED)
        data["unsure"] = walk.ids_with(ck.UNSURE)
        data["not_observed"] = walk.ids_with(ck.NOT_OBSERVED)
        data["skipped"] = walk.ids_with(ck.SKIPPED)
    return data


def _offer_draft(observation: dict[str, Any], walk: ck.Walk | None) -> None:
    """Never discard or write silently: offer a 0600 draft file, else print a resume line."""
    from trafficking_ref.io.files import OutputExists, write_text_atomic

    draft = _draft(observation, walk)
    if sys.stdin.isatty():
        try:
            o.out().print(o.style(
                "Save your answers to a draft file to resume later? Type a file name, or press "
                "Enter to skip: ", "bold"), end="")
            name = sys.stdin.readline().strip()
        except (KeyboardInterrupt, EOFError):
            name = ""
            o.line("")
        if name:
            path = Path(name).expanduser()
            try:
                write_text_atomic(path, json.dumps(draft, indent=2) + "\n", private=True)
                o.line(f"Draft saved to {printable(str(path))} (readable only by you). Resume "
                       f"with: trafficking-ref checklist --resume {printable(str(path))}",
                       whole=True)
                return
            except (OutputExists, OSError) as exc:
                o.warn(f"could not save the draft to {printable(str(path))}: "
                       f"{'file exists' if isinstance(exc, OutputExists) else exc}")
    o.line("Your answers were not saved. To resume later, keep this line in a file and run "
           "'trafficking-ref checklist --resume FILE':")
    o.line(json.dumps(draft, separators=(",", ":")), whole=True)


def _load_answers(path: Path, what: str = "answers file") -> dict[str, Any]:
    """Read an answers file (YAML or JSON); unknown keys or ids are errors naming them."""
    from trafficking_ref.loading.yamlread import read_yaml

    try:
        data = path.read_bytes()
    except OSError as exc:
        o.fail(f"cannot read the {what} {printable(str(path))}: {exc.strerror or exc}")
    result = read_yaml(data)
    if result.problems:
        p = result.problems[0]
        o.fail(f"{printable(str(path))}:{p.line}:{p.col}: {p.message} [{p.code}]")
    answers = result.value
    if answers is None:
        answers = {}
    if not isinstance(answers, dict):
        o.fail(f"{printable(str(path))}: the answers must be a mapping with the keys "
               + ", ".join(ANSWER_KEYS))
    unknown = [k for k in answers if k not in ANSWER_KEYS]
    if unknown:
        o.fail(f"{printable(str(path))}: unknown key(s) " + ", ".join(
            repr(printable(str(k))) for k in unknown) + "; allowed: " + ", ".join(ANSWER_KEYS))
    for key in ("minor", "immediate_danger"):
        if answers.get(key) is not None and not isinstance(answers[key], bool):
            o.fail(f"{printable(str(path))}: '{key}' must be true, false or null")
    for key in ("observed", "unsure", "not_observed", "skipped"):
        value = answers.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            o.fail(f"{printable(str(path))}: '{key}' must be a list of indicator ids")
        answers[key] = value
    for key in ("setting", "country"):
        if answers.get(key) is not None and not isinstance(answers[key], str):
            o.fail(f"{printable(str(path))}: '{key}' must be text")
    if answers.get("setting") is not None and answers["setting"] not in vocab.SETTINGS:
        o.fail(f"{printable(str(path))}: unknown setting '{printable(answers['setting'])}'; "
               f"use one of {', '.join(vocab.SETTINGS)}")
    return answers


def _check_ids(kb: Any, answers: dict[str, Any], source: str) -> None:
    from trafficking_ref.core.search import suggest_ids

    unknown = [i for key in ("observed", "unsure", "not_observed", "skipped")
               for i in answers[key] if i not in kb.indicators]
    if unknown:
        hints = []
        for i in unknown[:3]:
            close = suggest_ids(list(kb.indicators), i, 1)
            if close:
                hints.append(f"'{printable(i)}' → '{close[0]}'?")
        o.fail(f"{source}: unknown indicator id(s): "
               + ", ".join(repr(printable(i)) for i in unknown),
               hint=("did you mean " + ", ".join(hints)) if hints else
               "list the ids with: trafficking-ref export indicators --format csv")
    both = set(answers["observed"]) & set(answers["unsure"])
    if both:
        o.fail(f"{source}: id(s) both observed and unsure: {', '.join(sorted(both))}")


def _person(minor: bool | None) -> str:
    return {True: "minor", False: "adult", None: "unknown"}[minor]


def _save(path: Path, text: str, force: bool) -> None:
    from trafficking_ref.io.files import OutputExists, write_text_atomic

    try:
        write_text_atomic(path, text, overwrite=force, private=True)
    except OutputExists:
        o.fail(f"{printable(str(path))} already exists; choose another name or add --force")
    except OSError as exc:
        o.fail(f"cannot write {printable(str(path))}: {exc.strerror or exc}")
    o.err().print(f"Summary saved to {printable(str(path))} (readable only by you).",
                  soft_wrap=True)


def _show_help(indicator: Any) -> None:
    o.indented(2, o.style("What to look for: ", "bold"), indicator.description)
    for caution in indicator.cautions:
        o.indented(2, o.style("Keep in mind: ", "bold"), caution)
    for question in indicator.ask[:1]:
        o.indented(2, o.style("You could ask (privately, gently): ", "bold"), question)


def _walk(walk: ck.Walk) -> ck.Walk:
    from trafficking_ref.core import checklist as ck

    choices = {"y": "observed", "n": "not observed", "u": "unsure", "s": "skip", "b": "back",
               "?": "what to look for", "q": "quit"}
    last_category = None
    while not walk.finished:
        indicator = walk.current
        assert indicator is not None
        if indicator.category != last_category:
            o.line(o.style(f"\n{vocab.CATEGORIES[indicator.category]}", "bold underline"))
            last_category = indicator.category
        n, total = walk.progress
        previous = walk.answers.get(indicator.id)
        o.line(o.style(f"{n}/{total} ", "dim"), o.style(f"[{indicator.strength}] ", "dim"),
               o.style(indicator.title, "bold"),
               o.style(f"  (was: {ck.ANSWERS[previous]})", "dim") if previous else "")
        try:
            answer = _ask("  Did you observe this?", choices)
        except (KeyboardInterrupt, _EndOfInput) as exc:
            raise _Interrupted(walk, exc) from None
        if answer == ck.HELP:
            _show_help(indicator)
            continue
        if answer == ck.BACK and walk.position == 0:
            o.line(o.style("  (This is the first sign.)", "dim"))
            continue
        walk = walk.answer(answer)
        if answer == ck.BACK:
            last_category = None
    return walk


def checklist(
    setting: Annotated[Optional[Setting], typer.Option(
        "--setting", help="Where you are: school, hospitality, healthcare, ...")] = None,
    country: Annotated[Optional[str], typer.Option(
        "--country", "-c", metavar="CC",
        help=f"Country for referrals (default: ${ENV_COUNTRY}, else US).")] = None,
    minor: Annotated[Optional[bool], typer.Option(
        "--minor/--adult", help="The person is under 18 / 18 or older (asked when omitted).",
        show_default=False)] = None,
    type_: Annotated[Optional[TType], typer.Option(
        "--type", help="Only sex or labor trafficking indicators.")] = None,
    length: Annotated[int, typer.Option(
        "--length", min=0, help="How many indicators to walk (0 = all that apply).")] =
        vocab.CHECKLIST_LENGTH,
    answers: Annotated[Optional[Path], typer.Option(
        "--answers", metavar="FILE", help="Run without prompts from a YAML or JSON answers file.",
        dir_okay=False)] = None,
    resume: Annotated[Optional[Path], typer.Option(
        "--resume", metavar="FILE", help="Continue an interrupted walk from a draft file.",
        dir_okay=False)] = None,
    save: Annotated[Optional[Path], typer.Option(
        "--save", metavar="FILE", help="Also write the summary (.md or .json), owner-only.",
        dir_okay=False)] = None,
    force: Annotated[bool, typer.Option("--force", help="Let --save replace a file.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Walk a short observation checklist for your setting; get what to do and whom to call."""
    from trafficking_ref.cli.app import State, country_option
    from trafficking_ref.core import checklist as ck
    from trafficking_ref.core.assessment import (
        DISCLAIMER,
        Observation,
        emergency_contact,
        summarize,
    )
    from trafficking_ref.render import summary as render

    if save is not None and save.suffix.lower() not in (".md", ".json"):
        o.fail("--save needs a file ending in .md or .json", o.EXIT_USAGE)
    if answers is not None and resume is not None:
        o.fail("use --answers or --resume, not both", o.EXIT_USAGE)
    kb = State.store().kb
    given: dict[str, Any] = {}
    if answers is not None or resume is not None:
        path = answers or resume
        assert path is not None
        given = _load_answers(path, "answers file" if answers is not None else "draft file")
        _check_ids(kb, given, printable(str(path)))
    cc = country_option(country if country is not None else given.get("country"), "US") or "US"
    setting_name = setting.value if setting else given.get("setting")
    person_known = minor is not None or (answers is not None) or "minor" in given
    person = _person(minor if minor is not None else given.get("minor"))
    # What a draft records. Danger stays None, and "minor" absent, until answered, so a draft
    # saved before an answer asks that question again on resume ("minor": null is "not sure").
    observation: dict[str, Any] = {"setting": setting_name, "country": cc,
                                   "immediate_danger": given.get("immediate_danger")}
    if person_known:
        observation["minor"] = {"minor": True, "adult": False}.get(person)
    walk: ck.Walk | None = None

    if answers is None:
        if json_out:
            o.fail("--json needs --answers (the walk itself asks questions)", o.EXIT_USAGE)
        emergency = emergency_contact(kb, cc)
        o.line(o.style(DISCLAIMER, "italic"))
        try:
            if observation["immediate_danger"] is None:
                danger = _ask("Is anyone in immediate danger right now?",
                              {"y": "yes", "n": "no"})
                observation["immediate_danger"] = danger == "y"
            if observation["immediate_danger"]:
                _show_emergency(emergency, cc)
            if not person_known:
                age = _ask("Is the person under 18?",
                           {"y": "under 18", "n": "18 or older", "u": "not sure"})
                person = {"y": "minor", "n": "adult", "u": "unknown"}[age]
                observation["minor"] = {"minor": True, "adult": False}.get(person)
            questions = ck.select_indicators(
                kb, setting_name, person, type_.value if type_ else None, length or None)
            walk = ck.Walk.resume(questions, given.get("observed", []), given.get("unsure", []))
            walk = _prefill(walk, given)
            o.line(f"\n{len(questions)} signs for {vocab.SETTINGS[setting_name or 'any']}, "
                   f"{vocab.PERSONS[person]}. Answer y, n, u (unsure), s (skip), b (back), "
                   "? (what to look for) or q (quit).")
            walk = _walk(walk)
        except (KeyboardInterrupt, _EndOfInput, _Interrupted) as exc:
            o.line("")
            cause: BaseException = exc
            if isinstance(exc, _Interrupted):
                walk, cause = exc.walk, exc.cause
            _offer_draft(observation, walk)
            if isinstance(cause, KeyboardInterrupt):
                o.interrupted()
                raise typer.Exit(o.EXIT_INTERRUPTED) from None
            o.fail("the input ended before the checklist was finished")
        if walk.quit:
            o.line("")
            _offer_draft(observation, walk)
            raise typer.Exit(0)
        observed, unsure = walk.ids_with(ck.OBSERVED), walk.ids_with(ck.UNSURE)
        # Answers given in a draft for indicators outside this walk are kept.
        observed += [i for i in given.get("observed", []) if i not in observed]
        unsure += [i for i in given.get("unsure", []) if i not in unsure]
    else:
        observed, unsure = list(given["observed"]), list(given["unsure"])

    if emergency_contact(kb, cc) is None:
        o.warn(f"no emergency number is listed for {cc}: call your local emergency number if "
               "anyone is in danger")
    result = summarize(kb, Observation(
        setting=setting_name, country=cc, person=person,
        immediate_danger=bool(observation["immediate_danger"]),
        observed=tuple(observed), unsure=tuple(unsure),
    ))
    data = render.to_dict(result, kb.version)
    if save is not None:
        text = (json.dumps(data, indent=2, ensure_ascii=False) + "\n"
                if save.suffix.lower() == ".json"
                else render.to_markdown(result, kb.version, dt.date.today().isoformat()))
        _save(save, text, force)
    if json_out:
        o.print_json(data)
        return
    o.line("")
    o.out().print(render.to_renderable(result, kb.version, o.is_plain()))


def _prefill(walk: ck.Walk, given: dict[str, Any]) -> ck.Walk:
    """Carry "not observed" and "skipped" answers of a draft into the walk."""
    from dataclasses import replace

    from trafficking_ref.core import checklist as ck

    answers = dict(walk.answers)
    for key, code in (("not_observed", ck.NOT_OBSERVED), ("skipped", ck.SKIPPED)):
        for i in given.get(key, []):
            answers.setdefault(i, code)
    position = next((n for n, q in enumerate(walk.questions) if q.id not in answers),
                    len(walk.questions))
    return replace(walk, answers=answers, position=position)


def _show_emergency(emergency: Any, country: str) -> None:
    from rich.panel import Panel
    from rich.text import Text

    if emergency is None:
        o.line(o.style(f"Call your local emergency number now (none is listed for {country}).",
                       "bold red"))
        return
    body = Text()
    body.append(o.style(f"CALL {emergency.name.upper()} NOW\n", "bold"))
    body.append(Text("  ·  ").join(
        o.style(f"{vocab.CONTACT_KINDS[c.kind]} {c.value}", "bold") for c in emergency.contacts))
    body.append("\nStay safe. Do not confront or alert anyone you suspect. Continue the "
                "checklist only when it is safe.")
    o.out().print(Panel(body, title="Immediate danger",
                        border_style="" if o.is_plain() else "bold red"))
