"""Price rows (achilles_core/pricing.py) for every model named on an llm_call.

A Python model because the prices come from the genai-prices package: one row per
(model, price period, long-context tier) with USD rates per million tokens, or one row
with price_status 'unknown_model' and the reason. llm_usage joins calls to it. Rebuilt
on every build (a handful of rows), so the costs always follow the installed price
data, whose version each row records.
"""

import pyarrow as pa

from achilles_core.pricing import price_table

RATE = pa.decimal128(24, 12)
SCHEMA = pa.schema(
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


def model(dbt, session):
    dbt.config(materialized="table")
    models = dbt.ref("int_llm_models").fetchall()
    return pa.Table.from_pylist(price_table(m for (m,) in models), schema=SCHEMA)
