"""Price rows (achilles_core/pricing.py) for every model named on an llm_call.

A Python model because the prices come from the genai-prices package: one row per
(model, price period, long-context tier) with USD rates per million tokens, or one row
with price_status 'unknown_model' and the reason. llm_usage joins calls to it. Rebuilt
on every build (a handful of rows), so the costs always follow the installed price
data, whose version each row records. On Spark, which runs no Python model, the
SQL model of the same name in spark/ reads the same rows from a file (pricing.py).
"""

import pyarrow as pa

from achilles_core.pricing import PRICE_SCHEMA, price_table


def model(dbt, session):
    dbt.config(materialized="table")
    models = dbt.ref("int_llm_models").fetchall()
    return pa.Table.from_pylist(price_table(m for (m,) in models), schema=PRICE_SCHEMA)
