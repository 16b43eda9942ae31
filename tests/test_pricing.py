"""The price table (achilles_core/pricing.py) against hand-read list prices and against
genai-prices' own calc_price, call by call."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from genai_prices import Usage, calc_price

from achilles_core.pricing import BASE_TIER, PRICED, UNKNOWN_MODEL, call_cost, price_table

AT = datetime(2026, 1, 10, 12, tzinfo=UTC)


def _base(model: str) -> dict:
    rows = [r for r in price_table([model]) if r["tier_input_above"] == BASE_TIER]
    return next(r for r in rows if r["valid_from"] is None or r["valid_from"] <= AT.date())


@pytest.mark.parametrize(
    ("model", "rates"),
    [
        # USD per million tokens: input, cache read, 5-min write, 1-hour write, output
        ("claude-sonnet-4-5-20250929", ("3", "0.3", "3.75", "6", "15")),
        ("claude-haiku-4-5-20251001", ("1", "0.1", "1.25", "2", "5")),
        # OpenAI has no cache-write price: writes cost input
        ("gpt-5.1-codex", ("1.25", "0.125", "1.25", "1.25", "10")),
        ("gemini-2.5-flash", ("0.3", "0.03", "0.3", "0.3", "2.5")),
    ],
)
def test_list_prices(model: str, rates: tuple[str, ...]) -> None:
    row = _base(model)
    got = tuple(
        row[k]
        for k in (
            "input_usd_mtok",
            "cache_read_usd_mtok",
            "cache_write_usd_mtok",
            "cache_write_1h_usd_mtok",
            "output_usd_mtok",
        )
    )
    assert got == tuple(Decimal(r) for r in rates)
    assert row["price_status"] == PRICED and row["price_data_version"].startswith("genai-prices==")


def test_hand_computed_claude_call_with_1h_writes() -> None:
    rows = price_table(["claude-sonnet-4-5-20250929"])
    # 1000*3 + 10000*0.30 + 1500*3.75 + 500*6 + 400*15 = 20625 per million
    cost = call_cost(
        rows,
        AT,
        input_tokens=1000,
        cache_read_tokens=10000,
        cache_write_tokens=2000,
        cache_write_1h_tokens=500,
        output_tokens=400,
    )
    assert cost == Decimal("0.020625")


def test_unknown_model_has_no_price_and_says_why() -> None:
    (row,) = price_table(["no-such-model-1"])
    assert row["price_status"] == UNKNOWN_MODEL and "no-such-model-1" in row["price_note"]
    assert call_cost([row], AT, input_tokens=10) is None


USAGES = [
    dict(input_tokens=1000, cache_read_tokens=5000, cache_write_tokens=300, output_tokens=70),
    dict(input_tokens=10, cache_read_tokens=0, cache_write_tokens=900, output_tokens=5),
    # over a 200k / 272k long-context threshold
    dict(input_tokens=5000, cache_read_tokens=290000, cache_write_tokens=1000, output_tokens=900),
    dict(input_tokens=0, cache_read_tokens=0, cache_write_tokens=0, output_tokens=0),
]


@pytest.mark.parametrize(
    "model",
    [
        "claude-opus-4-6",
        "claude-sonnet-4-5-20250929",
        "claude-haiku-4-5-20251001",
        "gpt-5.5",
        "gpt-5.1-codex",
        "gemini-2.5-pro",
        "gemini-3-pro-image-preview",
    ],
)
@pytest.mark.parametrize("at", [AT, datetime(2026, 4, 1, tzinfo=UTC)])
def test_table_prices_like_genai_prices(model: str, at: datetime) -> None:
    rows = price_table([model])
    for usage in USAGES:
        for one_hour in (0, usage["cache_write_tokens"] // 3):
            ours = call_cost(rows, at, cache_write_1h_tokens=one_hour, **usage)
            # genai-prices counts cache tokens inside input_tokens
            theirs = calc_price(
                Usage(
                    input_tokens=usage["input_tokens"]
                    + usage["cache_read_tokens"]
                    + usage["cache_write_tokens"],
                    cache_read_tokens=usage["cache_read_tokens"],
                    cache_write_tokens=usage["cache_write_tokens"],
                    cache_write_1h_tokens=one_hour,
                    output_tokens=usage["output_tokens"],
                ),
                model,
                genai_request_timestamp=at,
            ).total_price
            assert ours == theirs, (model, usage, one_hour)
