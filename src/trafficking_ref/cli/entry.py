"""The console-script entry point, kept apart so that it can start before anything is imported.

Importing typer, rich and the commands creates many long-lived objects; the cyclic garbage
collector would scan them again and again while they load, so it is paused until the command
runs, and at the end everything is frozen so the interpreter's shutdown does not scan it again
(figures in docs/performance.md).
"""

import gc
import sys


def main() -> None:
    gc.disable()
    from trafficking_ref.cli.app import build_only, run

    build_only(sys.argv[1:])
    gc.enable()
    try:
        run()
    finally:
        gc.freeze()
