"""Python's cycle collector, paused while the audience is built.

CPython walks every tracked object each time enough new containers were made since the last
walk. Reading and accounting 200,000 customers makes millions of them (a list per row, dicts,
tuples) and no cyclic garbage, so the walks cost a tenth of a `validate` and grow with the
heap: measured with bench/audience_bench.py, 5.8 s → 5.1 s at 200,000 rows. Reference counting
still frees everything at once; the collector runs again as soon as the work is done.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:  # nested: the outermost resumes it
            gc.enable()
