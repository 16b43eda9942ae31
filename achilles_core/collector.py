"""Python's cycle collector, run less often around work that allocates heavily."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def fewer_collections(young: int) -> Iterator[None]:
    """Freeze what is alive now and collect young objects every `young` allocations.

    What lives before an import or a server's requests (modules, the app, settings) is
    never garbage, and parsing and requests make many short-lived objects and no cycles
    worth chasing; at the default threshold (700) the collector re-walks the long-lived
    objects again and again. Both are restored afterwards, also after an error.
    """
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(young, *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


@contextmanager
def manual_collections() -> Iterator[None]:
    """Freeze what is alive now and turn automatic collections off.

    For batch work whose objects form no cycles: the caller collects where its garbage
    is (between batches), and each pass walks only what was made since the freeze,
    not every module and object alive before (0.16 s a pass in the insight step).
    Both are restored afterwards, also after an error.
    """
    enabled = gc.isenabled()
    gc.disable()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
        if enabled:
            gc.enable()
