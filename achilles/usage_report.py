"""`achilles usage`: the published llm_usage mart as a terminal table or JSON."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table

from ingest_api.usage_reads import GROUP_KEYS, UsageBy

COLUMNS = (
    ("Input", "input_tokens"),
    ("Output", "output_tokens"),
    ("Cache read", "cache_read_tokens"),
    ("Cache write", "cache_write_tokens"),
    ("Reasoning", "reasoning_tokens"),
    ("Total tokens", "total_tokens"),
)


def _n(v: int | None) -> str:
    return "-" if v is None else f"{v:,}"


def _usd(row: dict[str, Any]) -> str:
    cost, unpriced = row["cost_usd"], row["unpriced_calls"]
    text = "n/a" if cost is None else f"${cost:,.4f}"
    return f"{text} (+{unpriced} unpriced)" if unpriced and cost is not None else text


def to_json(rows: list[dict[str, Any]]) -> bytes:
    def default(v: object) -> str:
        if isinstance(v, datetime | date):
            return v.isoformat()
        raise TypeError

    return orjson.dumps(rows, default=default, option=orjson.OPT_INDENT_2)


def print_table(rows: list[dict[str, Any]], by: UsageBy, console: Console | None = None) -> None:
    key = GROUP_KEYS[by][0]
    table = Table(key.replace("_", " ").title(), "Models", *(c for c, _ in COLUMNS), "Cost (USD)")
    for r in rows:
        table.add_row(
            str(r[key] if r[key] is not None else "(none)"),
            ", ".join(r["models"] or []),
            *(_n(r[f]) for _, f in COLUMNS),
            _usd(r),
        )
    if rows:
        priced = [r["cost_usd"] for r in rows if r["cost_usd"] is not None]
        table.add_section()
        table.add_row(
            "Total",
            "",
            *(_n(sum(r[f] or 0 for r in rows)) for _, f in COLUMNS),
            f"${sum(priced):,.4f}" if priced else "n/a",
        )
    (console or Console()).print(table)
