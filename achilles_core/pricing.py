"""Model prices for the warehouse, from the `genai-prices` package's bundled data.

Pricing each call in Python would cost minutes at 10 M events, so this module turns
genai-prices into a small table instead: one row per (model seen, price period, long-
context tier) with the effective USD rate per million tokens of each token kind. The
dbt model `int_model_prices` writes it; `llm_usage` joins every call to its row and
prices the call by itself (never a sum: tiers apply per request).

The rates are read by asking genai-prices itself for the price of probe usages, not by
re-implementing its rules: a cache kind the model has no price for falls back the way
genai-prices decides (a cache read billed as input, a 1-hour write at the 5-minute
rate, …), and tiers are "cliff" tiers on the request's whole input (uncached + cache
read + cache write), which is genai-prices' `input_tokens`. Within one period and tier
the price is linear in each kind, so probes of one token per kind give exact rates
(Decimal arithmetic, no rounding).

Determinism: only the bundled snapshot is used (never a downloaded update), and every
row carries `price_data_version`, the package version whose data it came from.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from genai_prices import Usage, types
from genai_prices.data_snapshot import DataSnapshot, _bundled_snapshot

from achilles_core.landing import write_durably

# Token kinds of an llm_call, as the contract counts them (input_tokens uncached).
TOKEN_KINDS = ("input", "cache_read", "cache_write", "cache_write_1h", "output")
PRICED, UNKNOWN_MODEL, UNSUPPORTED = "priced", "unknown_model", "unsupported_pricing"
# Tier rows: a call uses the row with the largest `tier_input_above` its whole input
# exceeds; the base row has -1 so that any call (even 0 tokens) matches it.
BASE_TIER = -1


def price_data_version() -> str:
    return f"genai-prices=={importlib.metadata.version('genai-prices')}"


@dataclass(frozen=True, slots=True)
class PriceRow:
    model: str
    price_status: str
    price_note: str | None
    provider_id: str | None = None
    price_model_id: str | None = None
    valid_from: date | None = None  # inclusive, UTC date; None = since always
    valid_to: date | None = None  # exclusive; None = still valid
    tier_input_above: int = BASE_TIER
    input_usd_mtok: Decimal | None = None
    cache_read_usd_mtok: Decimal | None = None
    cache_write_usd_mtok: Decimal | None = None
    cache_write_1h_usd_mtok: Decimal | None = None
    output_usd_mtok: Decimal | None = None
    request_usd: Decimal | None = None
    price_data_version: str = ""


def _snapshot() -> DataSnapshot:
    # The bundled data only: a snapshot set by genai-prices' auto-updater would make
    # the same build give different costs.
    return _bundled_snapshot()


# Rates are stored as decimal(24, 12): exact for every list price (they have at most a
# few decimals), and small enough that tokens (<= 1e12) times a rate never overflows.
RATE_SCALE = Decimal("1e-12")


def _total(model: types.ModelInfo, provider: types.Provider, at: datetime, **usage: int) -> Decimal:
    return model.calc_price(Usage(**usage), provider, genai_request_timestamp=at).total_price


def _rates(
    model: types.ModelInfo, provider: types.Provider, at: datetime, tier_above: int
) -> dict[str, Decimal]:
    """USD per million tokens of each kind, and per request, for calls whose whole input
    is `tier_above + 1` tokens or more (up to the next tier)."""
    # genai-prices' input_tokens includes cache reads and writes (OpenAI convention), so
    # each probe keeps the whole input at n tokens and moves one of them to a cache kind.
    n = tier_above + 1 if tier_above >= 0 else 1
    m = Decimal(1_000_000)
    fixed = _total(model, provider, at, input_tokens=0)  # a per-request fee, if any
    whole = _total(model, provider, at, input_tokens=n)
    per_input = (whole - fixed) / n

    def one_of(**usage: int) -> Decimal:
        return _total(model, provider, at, input_tokens=n, **usage) - fixed - per_input * (n - 1)

    rates = {
        "input_usd_mtok": per_input * m,
        "cache_read_usd_mtok": one_of(cache_read_tokens=1) * m,
        "cache_write_usd_mtok": one_of(cache_write_tokens=1) * m,
        "cache_write_1h_usd_mtok": one_of(cache_write_tokens=1, cache_write_1h_tokens=1) * m,
        "output_usd_mtok": (_total(model, provider, at, input_tokens=n, output_tokens=1) - whole)
        * m,
        "request_usd": fixed,
    }
    return {k: v.quantize(RATE_SCALE) for k, v in rates.items()}


def _tier_starts(prices: types.ModelPrice) -> list[int]:
    starts = {
        tier.start
        for value in vars(prices).values()
        if isinstance(value, types.TieredPrices)
        for tier in value.tiers
    }
    return sorted(starts)


def _periods(model: types.ModelInfo) -> list[tuple[date | None, date | None]]:
    """UTC date ranges over which the model's price list does not change."""
    if isinstance(model.prices, types.ModelPrice):
        return [(None, None)]
    starts = sorted(
        {
            c.constraint.start_date
            for c in model.prices
            if isinstance(c.constraint, types.StartDateConstraint)
        }
    )
    bounds: list[date | None] = [None, *starts, None]
    return [(bounds[i], bounds[i + 1]) for i in range(len(bounds) - 1)]


def _has_time_of_day_prices(model: types.ModelInfo) -> bool:
    if isinstance(model.prices, types.ModelPrice):
        return False
    return any(isinstance(c.constraint, types.TimeOfDateConstraint) for c in model.prices)


def price_rows(model_ref: str) -> list[PriceRow]:
    """The price rows of one model name as it appears on llm_call events."""
    version = price_data_version()
    try:
        provider, model = _snapshot().find_provider_model(model_ref, None, None, None)
    except LookupError as exc:
        return [
            PriceRow(model_ref, UNKNOWN_MODEL, f"genai-prices: {exc}", price_data_version=version)
        ]
    found = {"provider_id": provider.id, "price_model_id": model.id, "price_data_version": version}
    if _has_time_of_day_prices(model):
        # Off-peak hours (e.g. DeepSeek) would need a time-of-day join; none of the
        # coding agents' models has them, so say so rather than guess.
        note = "time-of-day prices are not supported"
        return [PriceRow(model_ref, UNSUPPORTED, note, **found)]  # type: ignore[arg-type]
    rows = []
    for valid_from, valid_to in _periods(model):
        at = datetime.combine(valid_from or date(2000, 1, 1), time(12), tzinfo=UTC)
        for tier in [BASE_TIER, *_tier_starts(model.get_prices(at))]:
            rates = _rates(model, provider, at, tier)
            rows.append(
                PriceRow(
                    model_ref,
                    PRICED,
                    None,
                    valid_from=valid_from,
                    valid_to=valid_to,
                    tier_input_above=tier,
                    **found,  # type: ignore[arg-type]
                    **rates,  # type: ignore[arg-type]
                )
            )
    return rows


RATE = pa.decimal128(24, 12)
# int_model_prices' columns (its Python model on DuckDB, its file on Spark).
PRICE_SCHEMA = pa.schema(
    [
        ("model", pa.string()),
        ("price_status", pa.string()),
        ("price_note", pa.string()),
        ("provider_id", pa.string()),
        ("price_model_id", pa.string()),
        ("valid_from", pa.date32()),
        ("valid_to", pa.date32()),
        ("tier_input_above", pa.int64()),
        ("input_usd_mtok", RATE),
        ("cache_read_usd_mtok", RATE),
        ("cache_write_usd_mtok", RATE),
        ("cache_write_1h_usd_mtok", RATE),
        ("output_usd_mtok", RATE),
        ("request_usd", RATE),
        ("price_data_version", pa.string()),
    ]
)


def price_table(models: Iterable[str | None]) -> list[dict[str, Any]]:
    """Price rows for the distinct non-null model names, in a fixed order."""
    names = sorted({m for m in models if m})
    return [asdict(row) for name in names for row in price_rows(name)]


def call_cost(rows: list[dict[str, Any]], at: datetime, **tokens: int) -> Decimal | None:
    """The cost of one call from a model's price rows: the rule llm_usage.sql applies,
    in Python, for tests and for checking the SQL (tokens as the contract counts them:
    input uncached, cache_write including the 1-hour part, output including reasoning)."""
    t = {k: tokens.get(f"{k}_tokens", 0) for k in TOKEN_KINDS}
    whole_input = t["input"] + t["cache_read"] + t["cache_write"]
    day = at.astimezone(UTC).date()
    fitting = [
        r
        for r in rows
        if r["price_status"] == PRICED
        and (r["valid_from"] is None or r["valid_from"] <= day)
        and (r["valid_to"] is None or day < r["valid_to"])
        and whole_input > r["tier_input_above"]
    ]
    if not fitting:
        return None
    r = max(fitting, key=lambda row: row["tier_input_above"])
    per_million = (
        t["input"] * r["input_usd_mtok"]
        + t["cache_read"] * r["cache_read_usd_mtok"]
        + (t["cache_write"] - t["cache_write_1h"]) * r["cache_write_usd_mtok"]
        + t["cache_write_1h"] * r["cache_write_1h_usd_mtok"]
        + t["output"] * r["output_usd_mtok"]
    )
    return per_million / Decimal(1_000_000) + r["request_usd"]


def write_price_file(event_files: list[str], path: Path) -> Path:
    """The price rows of every model named on an llm_call of `event_files` (landing
    Parquet), as a Parquet file: int_model_prices on an engine that runs no Python model
    (Spark). A model only on a retried or superseded copy of a call is priced too: a row
    no call joins to."""
    models: list[tuple[str]] = []
    if event_files:
        with duckdb.connect() as con:
            models = con.execute(
                "select distinct model from read_parquet($files) "
                "where event_type = 'llm_call' and model is not null",
                {"files": event_files},
            ).fetchall()
    table = pa.Table.from_pylist(price_table(m for (m,) in models), schema=PRICE_SCHEMA)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_durably(table, path)
    return path
