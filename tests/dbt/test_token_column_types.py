"""Token counts are published as BIGINT everywhere: DuckDB's sum() over BIGINT gives a
128-bit HUGEINT, which clients (and Spark, next) handle badly, so every sum is cast."""

from __future__ import annotations

import duckdb


def test_every_published_token_column_is_bigint(built):
    con = duckdb.connect(str(built.settings.published_db), read_only=True)
    try:
        columns = con.execute(
            "select table_name, column_name, data_type from information_schema.columns "
            "where column_name like '%tokens%' order by all"
        ).fetchall()
    finally:
        con.close()
    tables = {t for t, _, _ in columns}
    assert {"events", "sessions", "llm_usage", "session_usage", "usage_daily"} <= tables
    wrong = [(t, c, ty) for t, c, ty in columns if ty != "BIGINT"]
    assert not wrong, wrong
