"""The realistic session generator: deterministic, contract-exact, readable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from achilles.generate import ERROR_KINDS, generate
from achilles_core.contract import (
    CONTENT_FIELDS,
    compute_event_hash,
    derived_event_id,
    validate_event,
)
from achilles_core.landing import SCHEMA
from achilles_core.vocab import PROCESS_STATUSES, RUN_STATUSES, EventType, Severity, SourceType

NOW = datetime(2026, 11, 1, tzinfo=UTC)  # everything generated lies before this


def _read(events_dir: Path) -> pa.Table:
    files = sorted(events_dir.glob("*/*.parquet"))
    assert files, "nothing was written"
    tables = [pq.read_table(f) for f in files]
    for t in tables:
        assert t.schema.equals(SCHEMA), t.schema
    return pa.concat_tables(tables)


def _file_names(events_dir: Path) -> list[str]:
    return sorted(str(f.relative_to(events_dir)) for f in events_dir.glob("*/*.parquet"))


def _rows_sorted(table: pa.Table) -> list[dict]:
    return sorted(table.to_pylist(), key=lambda r: (r["session_id"], r["event_id"]))


@pytest.fixture(scope="module")
def run50(tmp_path_factory) -> tuple[Path, object, list[dict]]:
    d = tmp_path_factory.mktemp("gen50") / "events"
    stats = generate(d, 50, seed=7)
    return d, stats, _read(d).to_pylist()


def test_same_seed_identical_different_seed_differs(tmp_path):
    a = generate(tmp_path / "a", 12, seed=3)
    b = generate(tmp_path / "b", 12, seed=3)
    c = generate(tmp_path / "c", 12, seed=4)
    ta, tb, tc = _read(tmp_path / "a"), _read(tmp_path / "b"), _read(tmp_path / "c")
    assert a.events == b.events == ta.num_rows
    assert _rows_sorted(ta) == _rows_sorted(tb)
    # File names (received_at + batch_id) are deterministic too.
    assert _file_names(tmp_path / "a") == _file_names(tmp_path / "b")
    assert _rows_sorted(ta) != _rows_sorted(tc)
    assert set(ta.column("session_id").to_pylist()).isdisjoint(tc.column("session_id").to_pylist())
    assert c.events > 0


def test_hashes_and_ids_match_the_api_contract(run50):
    _, _, rows = run50
    sample = rows[:: max(1, len(rows) // 3000)]
    # Make sure every event type is in the sample.
    seen = {r["event_type"] for r in sample}
    sample += [
        next(r for r in rows if r["event_type"] == t)
        for t in {r["event_type"] for r in rows} - seen
    ]
    for r in sample:
        raw = {k: r[k] for k in CONTENT_FIELDS if k != "attributes" if r[k] is not None}
        raw["timestamp"] = r["timestamp"].isoformat()
        if r["attributes"] is not None:
            raw["attributes"] = orjson.loads(r["attributes"])
        if r["event_id_source"] == "client":
            raw["event_id"] = r["event_id"]
        event = validate_event(raw, now=NOW)
        h = compute_event_hash(event)
        assert h == r["event_hash"], r
        if r["event_id_source"] == "derived":
            assert derived_event_id(event.session_id, h, event.timestamp) == r["event_id"]
        else:
            assert r["event_id"] == event.event_id
        # The attributes text is what the API lands: sorted, compact JSON.
        if event.attributes is not None:
            assert (
                r["attributes"]
                == orjson.dumps(event.attributes, option=orjson.OPT_SORT_KEYS).decode()
            )


def test_every_row_is_valid_under_the_contract(run50):
    _, stats, rows = run50
    types = {t.value for t in EventType}
    sources = {s.value for s in SourceType}
    severities = {s.value for s in Severity}
    starts = set()
    for r in rows:
        assert r["event_type"] in types
        assert r["source_type"] in sources
        assert r["severity"] is None or r["severity"] in severities
        if r["event_type"] == "test_run":
            assert r["status"] in RUN_STATUSES
        if r["event_type"] == "process":
            assert r["status"] in PROCESS_STATUSES
        assert r["timestamp"] < NOW
        assert r["received_at"] >= r["timestamp"]
        assert r["event_id_source"] in ("client", "derived")
        assert len(r["event_hash"]) == 64
        if r["event_type"] == "session_start":
            assert r["event_id"] == "session_start"
            attrs = orjson.loads(r["attributes"])
            assert {"agent", "repo", "branch"} <= set(attrs)
            starts.add(r["session_id"])
        if r["event_type"] == "session_end":
            assert r["event_id"] == "session_end"
            assert r["status"] in ("completed", "failed", "abandoned")
        if r["event_type"] == "llm_call":
            assert r["model"] and r["input_tokens"] > 0 and r["output_tokens"] > 0
            assert r["cost_usd"] >= 0
    assert len(starts) == stats.sessions == 50
    # No two rows of a session share an id, and no derived row is a dedup duplicate.
    ids = [(r["session_id"], r["event_id"]) for r in rows]
    assert len(ids) == len(set(ids))
    derived = sorted(
        (r["session_id"], r["event_hash"], r["timestamp"])
        for r in rows
        if r["event_id_source"] == "derived"
    )
    for prev, cur in zip(derived, derived[1:], strict=False):
        if prev[:2] == cur[:2]:
            assert cur[2] - prev[2] > timedelta(seconds=2)


def test_mix_of_event_types_agents_and_scenarios(run50):
    _, stats, rows = run50
    types = {r["event_type"] for r in rows}
    assert types >= {
        "agent_action",
        "human_action",
        "test_run",
        "error",
        "llm_call",
        "session_start",
        "session_end",
        "process",
    }
    assert {r["status"] for r in rows if r["event_type"] == "test_run"} >= {"passed", "failed"}
    agents = {r["actor"] for r in rows if r["source_type"] == "agent"}
    assert agents >= {"claude-code", "codex", "copilot", "forge-agent"}
    assert stats.agents.get("human", 0) > 0
    tools = {
        orjson.loads(r["attributes"])["tool"] for r in rows if r["event_type"] == "agent_action"
    }
    assert tools >= {"Edit", "Write", "Bash", "Read"}
    assert stats.break_fix_sessions >= 1 and stats.crash_loop_sessions >= 1
    assert len(ERROR_KINDS) >= 200
    # Files sit on a pool of a few hundred paths, errors come in many kinds.
    assert 100 <= len({r["file_path"] for r in rows if r["file_path"]}) <= 600
    assert len({r["error_type"] for r in rows if r["event_type"] == "error"}) >= 15


def test_break_fix_cycle_and_crash_loop_present(run50):
    _, _, rows = run50
    by_session: dict[str, list[dict]] = {}
    for r in rows:
        by_session.setdefault(r["session_id"], []).append(r)
    break_fix = crash_loop = 0
    for evs in by_session.values():
        evs.sort(key=lambda r: (r["timestamp"], r["event_id"]))
        # Break-fix: an error type+message class fails, a test passes, it fails again.
        seq = [
            (r["event_type"], r["status"], r["error_type"])
            for r in evs
            if r["event_type"] in ("test_run", "error")
        ]
        fails_by_type: dict[str, int] = {}
        passed_between: dict[str, bool] = {}
        for et, status, etype in seq:
            if et == "test_run" and status == "passed":
                for k in fails_by_type:
                    passed_between[k] = True
            elif et == "error" and etype:
                if fails_by_type.get(etype) and passed_between.get(etype):
                    break_fix += 1
                    break
                fails_by_type[etype] = fails_by_type.get(etype, 0) + 1
        crashes = [r for r in evs if r["event_type"] == "process" and r["status"] == "crashed"]
        restarts = [r for r in evs if r["event_type"] == "process" and r["status"] == "restarted"]
        if len(crashes) >= 3 and len(restarts) >= 2:
            crash_loop += 1
    assert break_fix >= 1
    assert crash_loop >= 1


def test_error_timing_after_edits(run50):
    """Some errors within 10 s of an agent edit on the same file; most much later."""
    _, _, rows = run50
    by_session: dict[str, list[dict]] = {}
    for r in rows:
        by_session.setdefault(r["session_id"], []).append(r)
    quick_same_file, gaps = 0, []
    for evs in by_session.values():
        evs.sort(key=lambda r: (r["timestamp"], r["event_id"]))
        last_edit = None
        for r in evs:
            if (
                r["event_type"] == "agent_action"
                and r["file_path"]
                and (orjson.loads(r["attributes"])["tool"] in ("Edit", "Write"))
            ):
                last_edit = r
            elif r["event_type"] == "error" and last_edit is not None:
                gap = (r["timestamp"] - last_edit["timestamp"]).total_seconds()
                gaps.append(gap)
                if gap <= 10 and r["file_path"] == last_edit["file_path"]:
                    quick_same_file += 1
    gaps.sort()
    assert quick_same_file >= 3
    median = gaps[len(gaps) // 2]
    assert 25 <= median <= 120, median
    assert sum(g <= 10 for g in gaps) < len(gaps) / 3


def test_error_messages_vary_in_volatile_parts(run50):
    _, _, rows = run50
    msgs = [r["message"] for r in rows if r["event_type"] == "error"]
    joined = "\n".join(msgs)
    assert "Traceback (most recent call last)" in joined
    assert "0x" in joined and "\\" in joined  # hex addresses, Windows paths
    assert "/tmp/" in joined or "Temp" in joined
    assert len(set(msgs)) > len(msgs) * 0.5


def test_target_events_is_reached(tmp_path):
    stats = generate(tmp_path / "ev", 20, seed=11, target_events=60_000)
    assert 54_000 <= stats.events <= 66_000
    assert _read(tmp_path / "ev").num_rows == stats.events


def test_long_sessions_are_chunked(tmp_path):
    stats = generate(tmp_path / "ev", 2, seed=5, target_events=9_000, chunk_rows=2_000)
    assert stats.files > 2
    per_file = [pq.read_metadata(f).num_rows for f in (tmp_path / "ev").glob("*/*.parquet")]
    assert max(per_file) <= 2_000
    # batch_index restarts per file and batch_id is one per file.
    t = _read(tmp_path / "ev")
    assert len(set(t.column("batch_id").to_pylist())) == stats.files


def test_duckdb_reads_the_landing_zone(run50):
    d, stats, _ = run50
    con = duckdb.connect()
    n, sessions, lo, hi = con.execute(
        "select count(*), count(distinct session_id), min(timestamp), max(timestamp) "
        f"from read_parquet('{d}/*/*.parquet')"
    ).fetchone()
    assert n == stats.events
    assert sessions == 50
    assert lo >= datetime(2026, 1, 5, 9, tzinfo=UTC) and hi < NOW


def test_start_and_zero_sessions(tmp_path):
    stats = generate(tmp_path / "ev", 0)
    assert stats.events == 0 and stats.sessions == 0
    s = datetime(2025, 6, 1, tzinfo=UTC)
    stats = generate(tmp_path / "ev2", 3, seed=1, start=s)
    assert stats.first_timestamp == s
    with pytest.raises(ValueError):
        generate(tmp_path / "ev3", 1, start=datetime(2025, 6, 1))


def test_workers_do_not_change_the_output(tmp_path):
    one = generate(tmp_path / "one", 6, seed=9, target_events=6_000)
    two = generate(tmp_path / "two", 6, seed=9, target_events=6_000, workers=2)
    assert one.events == two.events and one.event_types == two.event_types
    assert _rows_sorted(_read(tmp_path / "one")) == _rows_sorted(_read(tmp_path / "two"))


def test_lognormal_draws_vary():
    import random

    from achilles.generate.sampling import lognormal_us

    rng = random.Random(1)
    draws = {lognormal_us(rng, 30.0, 0.8, 1.0, 600.0) for _ in range(200)}
    assert len(draws) > 150  # a distribution, not one constant
