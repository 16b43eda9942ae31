"""How `achilles sql` prints a result: a table that fits the terminal, or CSV, JSON, Markdown.

A table wider than the terminal is printed one record per block, column names
down the left (psql's expanded display, `\\x`), instead of squeezing every column
into ellipses.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum
from typing import Any

import orjson
from tabulate import tabulate  # type: ignore[import-untyped]  # no stubs installed

NULL = "NULL"


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    markdown = "markdown"


def _text(value: Any) -> str:
    if value is None:
        return NULL
    if isinstance(value, datetime | date | time):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    return str(value)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _aligns(names: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    """Numbers right-aligned, the rest left: decided by the values' types, not by how
    their text looks (an id like "007" stays text, a float keeps every digit)."""
    numeric = [
        bool(rows)
        and all(isinstance(row[i], int | float | Decimal) for row in rows if row[i] is not None)
        and not all(isinstance(row[i], bool) or row[i] is None for row in rows)
        for i in range(len(names))
    ]
    return ["right" if n else "left" for n in numeric]


def horizontal(
    names: Sequence[str], rows: Sequence[Sequence[Any]], tablefmt: str = "simple"
) -> str:
    if tablefmt == "github":  # Markdown: a pipe or a newline in a cell would break the table
        cells = [[_text(v).replace("|", "\\|").replace("\n", "<br>") for v in r] for r in rows]
    else:
        cells = [[_text(v) for v in row] for row in rows]
    return tabulate(
        cells,
        headers=list(names),
        tablefmt=tablefmt,
        disable_numparse=True,
        colalign=_aligns(names, rows) if names else None,
    )


def vertical(names: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """One block per row: `-[ RECORD n ]-` then `name | value` lines (as psql's `\\x`)."""
    pad = max((len(n) for n in names), default=0)
    out: list[str] = []
    for i, row in enumerate(rows, 1):
        out.append(f"-[ RECORD {i} ]" + "-" * max(pad - 8, 4))
        for name, value in zip(names, row, strict=True):
            lines = _text(value).split("\n")
            out.append(f"{name.ljust(pad)} | {lines[0]}")
            out += [f"{'':{pad}} | {line}" for line in lines[1:]]
    return "\n".join(out)


def table(
    names: Sequence[str], rows: Sequence[Sequence[Any]], width: int, force_vertical: bool | None
) -> str:
    """A horizontal table when every line fits in `width`, else vertical; `force_vertical`
    True or False overrides the choice."""
    if force_vertical:
        return vertical(names, rows)
    text = horizontal(names, rows)
    fits = max((len(line) for line in text.split("\n")), default=0) <= width
    if force_vertical is None and not fits and rows:
        return vertical(names, rows)
    return text


def render(
    names: Sequence[str],
    rows: Sequence[Sequence[Any]],
    fmt: Format,
    width: int = 80,
    force_vertical: bool | None = None,
) -> str:
    """The result as text in `fmt`, ending without a newline."""
    if fmt is Format.table:
        return table(names, rows, width, force_vertical)
    if fmt is Format.csv:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(names)
        # NULL is an empty field, as DuckDB's and PostgreSQL's CSV writers do.
        writer.writerows([["" if v is None else _text(v) for v in row] for row in rows])
        return buf.getvalue().rstrip("\n")
    if fmt is Format.json:
        records = [dict(zip(names, row, strict=True)) for row in rows]
        return orjson.dumps(
            records,
            default=_json_default,
            option=orjson.OPT_INDENT_2,
        ).decode()
    return horizontal(names, rows, tablefmt="github")
