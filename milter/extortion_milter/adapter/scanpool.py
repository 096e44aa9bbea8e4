"""Native decoders run on threads Python created, never on libmilter's own threads.

pymilter gives each libmilter connection thread a Python thread state that the GILState
API does not know about, so `PyGILState_Check()` is false there. C extensions built with
nanobind check exactly that on every call into Python and abort the whole process
(zxing-cpp, which decodes QR codes in images, did: every later message then met
milter_default_action). Handing those calls to a small pool of ordinary Python threads
keeps such extensions in the world they expect. Only they hop: the hop costs about
0.3 ms of CPU (measured through Postfix), a third of a whole scan of a 4 KiB message.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

# Decoding holds the GIL, so more workers than a few buys nothing but queueing.
WORKERS = 4

_pool: ThreadPoolExecutor | None = None
_lock = threading.Lock()


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="scan")
        return _pool


def run(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """`fn(*args, **kwargs)` on a pool thread; its result, or its exception re-raised."""
    return _executor().submit(fn, *args, **kwargs).result()
