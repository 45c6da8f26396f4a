#!/usr/bin/env python
"""Measure the start-up ratios of issue 3 and print them next to their targets.

Each figure is the median wall time of ``trafficking-ref search QUERY`` (a fresh process every
run) divided by the median wall time of ``python -c "import typer, rich.console"``, both measured
in this run, interleaved, with the same environment:

  (a) the built-in knowledge base, warm cache                         target <= 1.3
  (b) plus a generated 10,000-indicator layer (--data-dir), warm      target <= 1.6
  (c) that layer, first run after a change (the layer is edited
      before every run, so every run misses the cache)                target <= 15

Usage::

    python benchmarks/bench_startup.py                 # the built-in data/ layer
    python benchmarks/bench_startup.py --snapshot      # ... copied first (data/ may change)
    python benchmarks/bench_startup.py --builtin-dir tests/fixtures/mini-kb
    python benchmarks/bench_startup.py --runs 21 --cold-runs 7 --json

By default the child processes may write bytecode caches (to a private PYTHONPYCACHEPREFIX in the
temporary directory, never into the source tree), as an installed program does;
``--no-bytecode`` keeps the caller's environment as it is (e.g. PYTHONDONTWRITEBYTECODE=1).
The script needs only the standard library and an installed ``trafficking-ref``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

TARGETS = {"builtin_warm": 1.3, "layer_warm": 1.6, "layer_first_run": 15.0}
LABELS = {
    "builtin_warm": "(a) built-in knowledge base, warm cache",
    "layer_warm": "(b) + 10,000-indicator layer, warm cache",
    "layer_first_run": "(c) + 10,000-indicator layer, first run after a change",
}
BASELINE = [sys.executable, "-c", "import typer, rich.console"]
REPO = Path(__file__).resolve().parent.parent

_WORDS = """
boss passport wages debt rent van hotel motel room cash phone bruise scared afraid tattoo
brand employer recruiter visa contract shift farm factory kitchen salon nail massage truck
driver bus airport school student teacher clinic nurse injury hungry tired sleep locked door
window guard camera escort quota manager uncle cousin boyfriend older online chat photo ad
debt bondage fee loan ticket smuggler border language interpreter story rehearsed coached
lies silence control money bank card wallet documents papers identity permit license shelter
dormitory basement mattress crowded curfew watched followed threatened family village abroad
""".split()
_CATEGORIES = ["control", "behavior", "physical", "documents", "money-debt", "work", "living",
               "travel", "recruitment", "school", "online", "premises"]
_SETTINGS = ["school", "hospitality", "healthcare", "retail", "transportation", "workplace",
             "online", "community", "any"]


def _yaml_str(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid YAML scalar


def generate_layer(directory: Path, count: int, source_id: str, seed: int = 3) -> None:
    """Write ``indicators.yaml`` with ``count`` valid indicators into ``directory``."""
    rng = random.Random(seed)
    lines = ["indicators:"]
    for i in range(count):
        words = rng.sample(_WORDS, 12)
        settings = sorted(rng.sample(_SETTINGS[:-1], rng.randint(1, 3)))
        lines += [
            f"  - id: generated-{i:05d}",
            f"    title: {_yaml_str(' '.join(words[:4]).capitalize() + f' {i}')}",
            f"    description: {_yaml_str(' '.join(words[2:12]).capitalize() + '.')}",
            f"    category: {rng.choice(_CATEGORIES)}",
            f"    types: [{rng.choice(['sex', 'labor', 'sex, labor'])}]",
            f"    settings: [{', '.join(settings)}]",
            f"    audience: {rng.choice(['minor', 'adult', 'any'])}",
            f"    strength: {rng.choice(['strong', 'medium', 'weak'])}",
            f"    sources: [{source_id}]",
            f"    aliases: [{_yaml_str(' '.join(words[5:8]))}, {_yaml_str(' '.join(words[8:10]))}]",
            f"    ask: [{_yaml_str('Do you have your ' + words[0] + '?')}]",
        ]
    (directory / "indicators.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def first_source_id(builtin: Path) -> str:
    text = (builtin / "sources.yaml").read_text(encoding="utf-8")
    match = re.search(r"^\s*-\s+id:\s*['\"]?([a-z0-9-]+)", text, re.MULTILINE)
    if not match:
        raise SystemExit(f"no source id found in {builtin / 'sources.yaml'}")
    return match.group(1)


def command() -> list[str]:
    """The installed console script of this interpreter (not a version manager's shim, such as
    pyenv's, which runs a shell script first and would be timed too)."""
    scripts = Path(sysconfig.get_path("scripts"))
    for candidate in (scripts / "trafficking-ref", Path(sys.executable).parent / "trafficking-ref"):
        if candidate.is_file():
            return [str(candidate)]
    found = shutil.which("trafficking-ref")
    if found and "shims" not in Path(found).parts:
        return [found]
    return [sys.executable, "-m", "trafficking_ref"]


def timed(cmd: list[str], env: dict[str, str], check_output: bool = False) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0 or (check_output and not proc.stdout.strip()):
        sys.stderr.write(proc.stderr.decode(errors="replace"))
        raise SystemExit(f"{' '.join(cmd)} failed (exit {proc.returncode})")
    return elapsed


def cache_files(cache: Path) -> set[str]:
    return {p.name for p in cache.glob("kb-*.sqlite")}


def measure(
    name: str, cmd: list[str], env: dict[str, str], runs: int, cache: Path,
    before_each=None, expect_miss: bool = False,
) -> dict[str, float]:
    base, target = [], []
    for _ in range(runs):
        base.append(timed(BASELINE, env))
        if before_each is not None:
            before_each()
        seen = cache_files(cache)
        target.append(timed(cmd, env, check_output=True))
        missed = bool(cache_files(cache) - seen)
        if expect_miss and not missed:
            raise SystemExit(f"{name}: expected a cache miss, but no new cache file appeared")
        if not expect_miss and missed:
            raise SystemExit(f"{name}: expected a warm cache, but the cache was rebuilt")
    b, t = statistics.median(base), statistics.median(target)
    return {"baseline_ms": round(b * 1000, 1), "command_ms": round(t * 1000, 1),
            "ratio": round(t / b, 2), "target": TARGETS[name], "runs": runs}


def machine() -> dict[str, str]:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"nproc": str(os.cpu_count()), "cpu": cpu, "python": platform.python_version(),
            "platform": platform.platform()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--builtin-dir", type=Path, default=None,
                        help="Use this directory as the built-in layer "
                        "(TRAFFICKING_REF_BUILTIN_DIR); default: the program's own data/.")
    parser.add_argument("--snapshot", action="store_true",
                        help="Copy the built-in layer to the temporary directory first, so that "
                        "edits made meanwhile (e.g. by other people) do not disturb the run.")
    parser.add_argument("--query", default="passport", help="The search words (default: passport).")
    parser.add_argument("--runs", type=int, default=15, help="Runs for the warm figures.")
    parser.add_argument("--cold-runs", type=int, default=7, help="Runs for the first-run figure.")
    parser.add_argument("--count", type=int, default=10_000, help="Indicators in the layer.")
    parser.add_argument("--command", default=None,
                        help="The program to measure instead of trafficking-ref, e.g. "
                        "'python -m trafficking_ref' or a wrapper trying an optimisation "
                        "('python' means this interpreter).")
    parser.add_argument("--no-bytecode", action="store_true",
                        help="Keep the environment's bytecode settings (no PYTHONPYCACHEPREFIX).")
    parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")
    parser.add_argument("--check", action="store_true", help="Exit 1 when a target is missed.")
    args = parser.parse_args()

    builtin = (args.builtin_dir or REPO / "data").resolve()
    with tempfile.TemporaryDirectory(prefix="tref-bench-") as tmp_name:
        tmp = Path(tmp_name)
        cache, layer = tmp / "cache", tmp / "layer"
        layer.mkdir()
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("TRAFFICKING_REF_") and k not in ("FORCE_COLOR",)}
        env.update({"NO_COLOR": "1", "TRAFFICKING_REF_CACHE_DIR": str(cache)})
        if args.snapshot:
            shutil.copytree(builtin, tmp / "builtin")
            env["TRAFFICKING_REF_BUILTIN_DIR"] = str(tmp / "builtin")
        elif args.builtin_dir:
            env["TRAFFICKING_REF_BUILTIN_DIR"] = str(builtin)
        if not args.no_bytecode:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")

        program = shlex.split(args.command) if args.command else command()
        if program[0] in ("python", "python3"):  # this interpreter, not a shim on the PATH
            program[0] = sys.executable
        search = [*program, "search", args.query]
        with_layer = [*program, "--data-dir", str(layer), "search", args.query]
        generate_layer(layer, args.count, first_source_id(builtin))
        indicators = layer / "indicators.yaml"
        original = indicators.read_text(encoding="utf-8")
        edits = iter(range(1, 1_000_000))

        def edit_layer() -> None:
            # A real edit, as a maintainer makes: one description changes.
            n = next(edits)
            indicators.write_text(
                original.replace("    description: \"", f"    description: \"Edit {n}. ", 1),
                encoding="utf-8",
            )

        for cmd in (BASELINE, search, search, with_layer, with_layer):  # warm up caches
            timed(cmd, env)
        results = {"builtin_warm": measure("builtin_warm", search, env, args.runs, cache),
                   "layer_warm": measure("layer_warm", with_layer, env, args.runs, cache),
                   "layer_first_run": measure("layer_first_run", with_layer, env,
                                              args.cold_runs, cache, edit_layer, True)}
        layer_bytes = indicators.stat().st_size

    report = {
        "machine": machine(), "builtin_dir": str(builtin), "snapshot": args.snapshot,
        "query": args.query, "command": " ".join(program),
        "layer_indicators": args.count, "layer_bytes": layer_bytes,
        "bytecode_cache": not args.no_bytecode, "results": results,
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        m = report["machine"]
        print(f"machine: {m['nproc']} CPU(s), {m['cpu']}, Python {m['python']}, {m['platform']}")
        copy = " (a copy)" if args.snapshot else ""
        print(f"built-in layer: {builtin}{copy}; layer: {args.count:,} indicators "
              f"({layer_bytes / 1e6:.1f} MB); query: {args.query!r}; "
              f"bytecode cache: {'yes' if report['bytecode_cache'] else 'as the environment'}")
        print(f"{'':58} {'baseline':>9} {'command':>9} {'ratio':>6} {'target':>7}")
        for key, r in results.items():
            verdict = "ok" if r["ratio"] <= r["target"] else "MISSED"
            label = LABELS[key].replace("10,000", f"{args.count:,}")
            print(f"{label:58} {r['baseline_ms']:7.1f}ms {r['command_ms']:7.1f}ms "
                  f"{r['ratio']:6.2f} {'<= ' + str(r['target']):>7} {verdict}")
    missed = [k for k, r in results.items() if r["ratio"] > r["target"]]
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
