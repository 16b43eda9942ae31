"""A long session's page stays bounded: the timeline reads only the head of the session
(its first TIMELINE_MAX_EVENTS events) and says it is cut; the failures table lists the
first LINKS_LISTED rows and says how many there are."""

from __future__ import annotations

import duckdb
import pytest

from ingest_api import list_reads
from ingest_api.ui import routes
from ingest_api.warehouse import WarehouseReader

pytestmark = pytest.mark.slow

SESSION = "sample-breakfix"


def _shown_event_ids(built) -> list[str]:
    con = duckdb.connect(str(built.settings.published_db), read_only=True)
    try:
        rows = con.execute(
            "select event_id from events where project_id = 'default' and session_id = ? "
            "and event_type not in ('session_start', 'session_end') order by event_seq",
            [SESSION],
        ).fetchall()
    finally:
        con.close()
    return [r[0] for r in rows]


def test_the_timeline_is_the_head_of_the_session(built, monkeypatch):
    every = _shown_event_ids(built)
    reader = WarehouseReader(built.settings.published_db)
    whole = list_reads.session_timeline(reader, "default", SESSION)
    assert [e["event_id"] for e in whole["events"]] == every and not whole["truncated"]

    monkeypatch.setattr(list_reads, "TIMELINE_MAX_EVENTS", 5)
    monkeypatch.setattr(list_reads, "_TIMELINE_SEQ_BOUND", 8)
    cut = list_reads.session_timeline(reader, "default", SESSION)
    assert [e["event_id"] for e in cut["events"]] == every[:5] and cut["truncated"]


def test_the_failures_table_lists_the_first_rows(built_client, monkeypatch):
    monkeypatch.setattr(routes, "LINKS_LISTED", 1)
    html = built_client.get(f"/ui/sessions/{SESSION}").text
    assert 'id="links-shown"' in html and "The first 1 of " in html
    monkeypatch.setattr(routes, "LINKS_LISTED", 1000)
    assert 'id="links-shown"' not in built_client.get(f"/ui/sessions/{SESSION}").text
