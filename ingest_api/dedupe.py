"""Deduplication on arrival, per session: what the ingestor does not land.

The check, against the rows the session has landed:
- an event whose client `event_id` was seen before in the session is a duplicate;
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

    __slots__ = ("files", "event_ids", "derived_by_hash")

    def __init__(self) -> None:
        self.files: set[str] = set()
        self.event_ids: set[str] = set()
        self.derived_by_hash: dict[str, list[int]] = {}

    def add(self, event_id: str, source: str, event_hash: str, micros: int) -> None:
        self.event_ids.add(event_id)
        if source == "derived":
            insort(self.derived_by_hash.setdefault(event_hash, []), micros)

    def add_rows(self, rows: Iterable[tuple[str, str, str, int]]) -> None:
        for event_id, source, event_hash, micros in rows:
            self.add(event_id, source, event_hash, micros)

    def is_duplicate(
        self, event_id: str, source: str, event_hash: str, micros: int, window_us: int
    ) -> bool:
        if event_id in self.event_ids:
            return True
        if source != "derived":
            return False
        stamps = self.derived_by_hash.get(event_hash)
        if not stamps:
            return False
        i = bisect_left(stamps, micros - window_us)
        return i < len(stamps) and stamps[i] <= micros + window_us
