"""`trafficking-ref`, with ``gc.freeze()`` before the interpreter shuts down.

A trial of a change suggested for ``cli/app.py`` ``run()`` (see docs/performance.md). Measure
it with::

    python benchmarks/bench_startup.py --snapshot \
        --command "python benchmarks/run_with_gc_freeze.py"
"""

import gc
import sys

from trafficking_ref.cli.app import run

sys.argv[0] = "trafficking-ref"
try:
    run()
finally:
    gc.freeze()  # shutdown's collections then skip every object that exists now
