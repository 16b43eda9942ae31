"""The API's reader follows each newly published snapshot (issue: it kept serving the first).

DuckDB hands back the database it already holds for a path, so a reader that
reconnects by path while its old connection is open keeps reading the old, unlinked
file. These tests publish with the real `publish()` and read through one long-lived
`WarehouseReader`, as the API does.
"""

from __future__ import annotations

import threading

import duckdb

from achilles_core.settings import Settings
from ingest_api.warehouse import WarehouseReader
from orchestration.publish import publish


def _build(settings: Settings, sessions: list[str]) -> None:
    """A build warehouse holding a `sessions` table: what publish copies."""
    settings.warehouse_dir.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(settings.build_db)) as con:
        con.execute(
            "create or replace table sessions "
            "(project_id varchar, session_id varchar, event_count bigint)"
        )
        con.executemany(
            "insert into sessions values (?, ?, ?)", [["default", s, 3] for s in sessions]
        )


def _sessions(reader: WarehouseReader) -> list[str]:
    rows, _ = reader.query("select session_id from sessions order by session_id")
    return [r["session_id"] for r in rows]


def test_reader_sees_every_new_publish(settings: Settings) -> None:
    reader = WarehouseReader(settings.published_db)
    _build(settings, ["first"])
    publish(settings)
    assert _sessions(reader) == ["first"]

    for n, extra in enumerate(["second", "third"], start=2):
        _build(settings, ["first", extra])
        publish(settings)
        assert _sessions(reader) == ["first", extra], f"publish {n} was not seen"
        assert reader.has_table("sessions")
    reader.close()


def test_a_query_running_on_the_old_snapshot_finishes_on_it(settings: Settings) -> None:
    reader = WarehouseReader(settings.published_db)
    _build(settings, ["old"])
    publish(settings)
    started, swapped = threading.Event(), threading.Event()
    seen: list[list[str]] = []

    def slow_reader() -> None:
        with reader.snapshot() as snap:
            started.set()
            swapped.wait(10)
            # The old file is unlinked by now; this query must still read it.
            snap.cursor.execute("select session_id from sessions")
            seen.append([r[0] for r in snap.cursor.fetchall()])

    t = threading.Thread(target=slow_reader)
    t.start()
    started.wait(10)
    _build(settings, ["new"])
    publish(settings)
    assert _sessions(reader) == ["new"]
    swapped.set()
    t.join(10)
    assert seen == [["old"]]
    # Only the new snapshot is held open now: the old one was closed by its last reader.
    assert _sessions(reader) == ["new"]
    reader.close()
