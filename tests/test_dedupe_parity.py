"""One dedupe rule, four implementations, one table of edge cases.

The rule (docs/warehouse-contract.md) is written four times, each for a reason:
  warehouse   dbt's int_events_deduplicated, what `events` publishes;
  scan        ingest_api.service.deduplicated_events_sql, the session read over
              landing files before a build has seen them;
  hand        benchmarks/hand_sql.sql, the hand-written limit the bench compares with;
  arrival     ingest_api.dedupe.SessionDedupeState, the check before landing.
Every case below is landed one row per file, in the listed (arrival) order, into
one landing zone; the three SQL copies run on it and must keep exactly `kept`.

The arrival check sees one row at a time and never lands a duplicate, so it cannot
chain through a dropped retry, nor take back a row it landed when an earlier-stamped
copy arrives later. Where that keeps other rows than the rule, the case says so in
`arrival_kept`, so the difference is written down and tested, not hidden.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from achilles_core.contract import compute_event_hash, derived_event_id, to_micros, validate_event
from achilles_core.landing import LandedEvent, LandingZone, to_table
from benchmarks.hand_sql import run_hand_sql
from ingest_api.dedupe import SessionDedupeState
from ingest_api.session_reads import deduplicated_events_sql

pytestmark = pytest.mark.slow  # runs the real dbt once

REPO_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT = REPO_ROOT / "dbt_project"
DBT_BIN = Path(os.environ.get("ACHILLES_DBT_BIN", REPO_ROOT / ".venv" / "bin" / "dbt"))
WINDOW_S = 2
WINDOW_US = WINDOW_S * 1_000_000
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Row:
    """One sent event: a label, its content, its client id (None: derived), its time."""

    label: str
    content: str
    at_s: float
    client_id: str | None = None
    revision: int | None = None


@dataclass(frozen=True)
class Case:
    name: str
    rows: tuple[Row, ...]  # in arrival order
    kept: frozenset[str]
    arrival_kept: frozenset[str] | None = field(default=None)  # None: same as kept


def case(name: str, rows: list[Row], kept: set[str], arrival_kept: set[str] | None = None) -> Case:
    arrival = frozenset(arrival_kept) if arrival_kept is not None else None
    return Case(name, tuple(rows), frozenset(kept), arrival)


CASES = [
    case(
        "window_edge_is_inclusive",
        [Row("a", "boom", 0), Row("b", "boom", 2.0)],
        {"a"},
    ),
    case(
        "one_microsecond_past_the_window_is_new",
        [Row("a", "boom", 0), Row("b", "boom", 2.000001)],
        {"a", "b"},
    ),
    case(
        "identical_error_minutes_later_is_new",
        [Row("a", "boom", 0), Row("b", "boom", 180)],
        {"a", "b"},
    ),
    case(
        "other_content_at_the_same_time_is_new",
        [Row("a", "boom", 5), Row("b", "bang", 5)],
        {"a", "b"},
    ),
    case(
        "restamped_retry_after_the_original",
        [Row("a", "boom", 10), Row("b", "boom", 11.5)],
        {"a"},
    ),
    case(
        # The rule compares each row with the immediately previous one: c is 1.5 s
        # after b, so all three are one event. The arrival check never landed b, so
        # it compares c with a (3 s) and lands c.
        "retries_chain_through_the_window",
        [Row("a", "boom", 0), Row("b", "boom", 1.5), Row("c", "boom", 3.0)],
        {"a"},
        arrival_kept={"a", "c"},
    ),
    case(
        # The earlier-stamped copy arrives last: the rule keeps the earliest stamp,
        # the arrival check keeps what it landed first.
        "late_original_stamped_before_its_retry",
        [Row("retry", "boom", 18.0), Row("original", "boom", 17.5)],
        {"original"},
        arrival_kept={"retry"},
    ),
    case(
        "client_id_repeated_is_one_event",
        [Row("first", "edit", 3, "c-1"), Row("resent", "edit", 30, "c-1")],
        {"first"},
    ),
    case(
        "client_id_repeated_with_other_content_keeps_the_earliest",
        [Row("first", "edit", 3, "c-1"), Row("changed", "edit v2", 4, "c-1")],
        {"first"},
    ),
    # Revisions: a fuller version of one event id (a tool call with its result) wins
    # whatever the arrival order. The arrival check lands every version that might
    # win; the readers keep one.
    case(
        "higher_revision_arriving_first_wins",
        [Row("done", "call ok", 5, "t-1", 1), Row("started", "call", 3, "t-1", 0)],
        {"done"},
    ),
    case(
        "higher_revision_arriving_later_replaces",
        [Row("started", "call", 3, "t-2", 0), Row("done", "call ok", 5, "t-2", 1)],
        {"done"},
        arrival_kept={"started", "done"},
    ),
    case(
        # A hook's copy and a transcript's copy of one finished call.
        "same_revision_other_content_keeps_the_earliest",
        [Row("hook", "call ok", 6, "t-3", 1), Row("transcript", "call ok v2", 5, "t-3", 1)],
        {"transcript"},
        arrival_kept={"hook", "transcript"},
    ),
    case(
        "same_revision_same_content_is_a_duplicate",
        [Row("first", "call ok", 6, "t-4", 1), Row("again", "call ok", 9, "t-4", 1)],
        {"first"},
    ),
    case(
        "client_ids_with_the_same_content_are_never_merged",
        [Row("m1", "ok", 40, "m-1"), Row("m2", "ok", 41, "m-2")],
        {"m1", "m2"},
    ),
    case(
        "client_and_derived_ids_are_not_merged_by_content",
        [Row("client", "boom", 0, "e-1"), Row("derived", "boom", 1)],
        {"client", "derived"},
    ),
]


def landed(session_id: str, row: Row) -> LandedEvent:
    """The row validated, hashed and given its id the way the ingestor does."""
    ts = T0 + timedelta(microseconds=round(row.at_s * 1_000_000))
    raw = {
        "session_id": session_id,
        "event_type": "error",
        "source_type": "ci",
        "timestamp": ts.isoformat().replace("+00:00", "Z"),
        "message": row.content,
    }
    if row.client_id is not None:
        raw["event_id"] = row.client_id
    if row.revision is not None:
        raw["revision"] = row.revision
    event = validate_event(raw, now=datetime(2030, 1, 1, tzinfo=UTC))
    event_hash = compute_event_hash(event)
    micros = to_micros(event.timestamp)
    if event.event_id is not None:
        return LandedEvent(event, event.event_id, "client", event_hash, micros)
    event_id = derived_event_id(session_id, event_hash, event.timestamp)
    return LandedEvent(event, event_id, "derived", event_hash, micros)


def session_of(c: Case) -> str:
    return "p-" + c.name.replace("_", "-")


def labels(c: Case, kept_keys: set[tuple[str, int]]) -> frozenset[str]:
    """Map kept (event_id, timestamp in µs) back to the case's row labels."""
    by_key = {(e.event_id, e.micros): r.label for r in c.rows for e in [landed(session_of(c), r)]}
    return frozenset(by_key[k] for k in kept_keys)


@pytest.fixture(scope="module")
def events_dir(tmp_path_factory) -> Path:
    """Every case landed, one file per row, received one second apart in row order."""
    data_dir = tmp_path_factory.mktemp("dedupe-parity")
    zone = LandingZone(data_dir / "landing" / "events")
    received = datetime(2026, 3, 2, tzinfo=UTC)
    for c in CASES:
        for i, row in enumerate(c.rows):
            at = received + timedelta(seconds=i)
            zone.write_table(session_of(c), to_table([landed(session_of(c), row)], at, f"b{i}"), at)
    return data_dir / "landing" / "events"


def kept_keys(rows: list[tuple[str, str, datetime]]) -> dict[str, set[tuple[str, int]]]:
    out: dict[str, set[tuple[str, int]]] = {session_of(c): set() for c in CASES}
    for session_id, event_id, ts in rows:
        out[session_id].add((event_id, to_micros(ts)))
    return out


@pytest.fixture(scope="module")
def warehouse(events_dir: Path) -> dict[str, set[tuple[str, int]]]:
    """The real dbt model, run on the cases."""
    data_dir = events_dir.parent.parent
    (data_dir / "warehouse").mkdir(exist_ok=True)
    env = {
        **os.environ,
        "ACHILLES_DATA_DIR": str(data_dir.resolve()),
        "DBT_PROFILES_DIR": str(DBT_PROJECT),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_TARGET_PATH": str(data_dir / "dbt_target"),
        "DBT_LOG_PATH": str(data_dir / "dbt_logs"),
    }
    args = ["run", "--project-dir", str(DBT_PROJECT), "--profiles-dir", str(DBT_PROJECT)]
    args += ["--select", "+int_events_deduplicated", "--vars", f"{{dedupe_window_s: {WINDOW_S}}}"]
    proc = subprocess.run([str(DBT_BIN), *args], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    con = duckdb.connect(str(data_dir / "warehouse" / "build.duckdb"), read_only=True)
    try:
        rows = con.execute(
            'select session_id, event_id, "timestamp" from int_events_deduplicated'
        ).fetchall()
    finally:
        con.close()
    return kept_keys(rows)


@pytest.fixture(scope="module")
def scan(events_dir: Path) -> dict[str, set[tuple[str, int]]]:
    """The API's landing scan, per session over its files."""
    zone = LandingZone(events_dir)
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    rows = []
    for c in CASES:
        sql = deduplicated_events_sql(zone.session_files(session_of(c)), WINDOW_US)
        rows += con.execute(f'select session_id, event_id, "timestamp" from ({sql})').fetchall()
    return kept_keys(rows)


@pytest.fixture(scope="module")
def hand(events_dir: Path, tmp_path_factory) -> dict[str, set[tuple[str, int]]]:
    """benchmarks/hand_sql.sql, run by DuckDB alone."""
    out = tmp_path_factory.mktemp("hand") / "hand.duckdb"
    run_hand_sql(events_dir, out, dedupe_window_s=WINDOW_S)
    con = duckdb.connect(str(out), read_only=True)
    try:
        rows = con.execute('select session_id, event_id, "timestamp" from events').fetchall()
    finally:
        con.close()
    return kept_keys(rows)


def arrival(c: Case) -> frozenset[str]:
    """The ingestor's check, row by row in arrival order, as IngestService applies it."""
    state = SessionDedupeState()
    kept = set()
    for row in c.rows:
        e = landed(session_of(c), row)
        revision = e.event.revision
        if not state.is_duplicate(
            e.event_id, e.event_id_source, e.event_hash, e.micros, WINDOW_US, revision
        ):
            state.add(e.event_id, e.event_id_source, e.event_hash, e.micros, revision or 0)
            kept.add(row.label)
    return frozenset(kept)


IDS = [c.name for c in CASES]


@pytest.mark.parametrize("c", CASES, ids=IDS)
def test_warehouse_model_keeps_the_rule(c: Case, warehouse) -> None:
    assert labels(c, warehouse[session_of(c)]) == c.kept


@pytest.mark.parametrize("c", CASES, ids=IDS)
def test_landing_scan_keeps_the_rule(c: Case, scan) -> None:
    assert labels(c, scan[session_of(c)]) == c.kept


@pytest.mark.parametrize("c", CASES, ids=IDS)
def test_hand_sql_keeps_the_rule(c: Case, hand) -> None:
    assert labels(c, hand[session_of(c)]) == c.kept


@pytest.mark.parametrize("c", CASES, ids=IDS)
def test_arrival_check_keeps_the_rule_or_the_written_down_difference(c: Case) -> None:
    assert arrival(c) == (c.arrival_kept if c.arrival_kept is not None else c.kept)
