"""Keyset pagination: a page starts after the last row of the previous one.

An `offset` makes the database sort and skip every earlier row again for each page
(reading a 793,000-event session page by page took 98 s). A cursor names the sort
key of the last row served; the next page is the rows after it, so each page costs
about the same. Cursors are opaque to clients: URL-safe base64 of JSON
`[kind, key values]`, times as RFC 3339 text.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

MAX_CURSOR_CHARS = 2048


class BadCursor(ValueError):
    pass


@dataclass(frozen=True)
class Keyset:
    """A total order: `(expression, kind)` per key, kind "time", "int", "float" or "text".

    `descending` keys are negated numbers, so the whole order is ascending."""

    kind: str
    keys: tuple[tuple[str, str], ...]

    def where(self) -> str:
        """`(k1, k2, ...) > (?, ?, ...)`, led by `k1 >= ?` so the scan can skip row groups."""
        exprs = [e for e, _ in self.keys]
        marks = ", ".join("?" for _ in exprs)
        return f"({exprs[0]} >= ? and ({', '.join(exprs)}) > ({marks}))"

    def params(self, values: list[Any]) -> list[Any]:
        return [values[0], *values]

    def encode(self, row: dict[str, Any], names: tuple[str, ...]) -> str:
        values = []
        for name, (expr, kind) in zip(names, self.keys, strict=True):
            value = -row[name] if expr.startswith("-") else row[name]
            values.append(value.isoformat() if kind == "time" else value)
        raw = orjson.dumps([self.kind, values])
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def decode(self, cursor: str) -> list[Any]:
        """The key values a cursor holds; BadCursor for anything this keyset did not make."""
        try:
            if len(cursor) > MAX_CURSOR_CHARS:
                raise ValueError
            padded = cursor + "=" * (-len(cursor) % 4)
            kind, values = orjson.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
            if kind != self.kind or len(values) != len(self.keys):
                raise ValueError
            return [_typed(v, k) for v, (_, k) in zip(values, self.keys, strict=True)]
        except (ValueError, TypeError, binascii.Error, orjson.JSONDecodeError, UnicodeError):
            raise BadCursor("is not a cursor this endpoint gave out") from None


def _typed(value: Any, kind: str) -> Any:
    if kind == "time":
        if not isinstance(value, str):
            raise ValueError
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError
        return parsed
    if kind == "int":
        if not isinstance(value, int) or isinstance(value, bool) or abs(value) >= 2**63:
            raise ValueError
        return value
    if kind == "float":
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise ValueError
        return float(value)
    if not isinstance(value, str):
        raise ValueError
    return value


# The sort orders of the paged endpoints (the same as their ORDER BY).
EVENTS = Keyset("events", (("timestamp", "time"), ("event_id", "text")))
CORRELATIONS = Keyset(
    "correlations",
    (
        ("error_timestamp", "time"),
        ("error_event_id", "text"),
        ("attribution_rank", "int"),
        ("correlation_id", "text"),
    ),
)
ERRORS = Keyset(
    "errors",
    (("-s.occurrences", "int"), ("s.first_seen_at", "time"), ("s.cluster_id", "text")),
)
