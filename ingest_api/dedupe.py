"""Deduplication on arrival, per session: what the ingestor does not land.

The check, against the rows the session has landed:
- an event whose client `event_id` was seen before in the session is a duplicate,
  unless it carries a `revision` and is a fuller version of it: a higher revision
  (a tool call whose result came, a response whose usage grew), or the same revision
  with other content (a hook's and a transcript's copy of one call). Those land too,
  and every reader keeps the highest revision, then the earliest, so the kept
  version does not depend on arrival order. Without a revision the first wins (a
  second `session_end` does not change the outcome);
- an event without a client id is a duplicate when an event of the same session
  with the same content hash (also without a client id) lies within the window
  of its timestamp, inclusive. A repeat outside the window is a new event:
  repeats are the signal for break-fix cycles.

The warehouse applies the contract's rule again over every landed row, order-free
(dbt `int_events_deduplicated`, docs/warehouse-contract.md). This check sees one
event at a time and keeps no dropped row, so it does not chain through a dropped
retry and keeps the first-landed of two copies; tests/test_dedupe_parity.py runs it
beside the SQL copies on the same edge cases and records those differences.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable


class SessionDedupeState:
    """What one session has landed, reduced to what the rule needs."""

    __slots__ = ("files", "versions", "derived_by_hash")

    def __init__(self) -> None:
        self.files: set[str] = set()
        # event_id -> (highest revision landed, content hashes landed at that revision)
        self.versions: dict[str, tuple[int, set[str]]] = {}
        self.derived_by_hash: dict[str, list[int]] = {}

    def add(
        self, event_id: str, source: str, event_hash: str, micros: int, revision: int = 0
    ) -> None:
        seen = self.versions.get(event_id)
        if seen is None or revision > seen[0]:
            self.versions[event_id] = (revision, {event_hash})
        elif revision == seen[0]:
            seen[1].add(event_hash)
        if source == "derived":
            insort(self.derived_by_hash.setdefault(event_hash, []), micros)

    def add_rows(self, rows: Iterable[tuple[str, str, str, int, int | None]]) -> None:
        for event_id, source, event_hash, micros, revision in rows:
            self.add(event_id, source, event_hash, micros, revision or 0)

    def is_duplicate(
        self,
        event_id: str,
        source: str,
        event_hash: str,
        micros: int,
        window_us: int,
        revision: int | None = None,
    ) -> bool:
        seen = self.versions.get(event_id)
        if seen is not None:
            if revision is None:
                return True
            return revision < seen[0] or (revision == seen[0] and event_hash in seen[1])
        if source != "derived":
            return False
        stamps = self.derived_by_hash.get(event_hash)
        if not stamps:
            return False
        i = bisect_left(stamps, micros - window_us)
        return i < len(stamps) and stamps[i] <= micros + window_us
