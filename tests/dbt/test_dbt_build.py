"""The dbt project end to end: land realistic sessions, run the real `dbt build`,
and check what a user relies on (clusters, correlations, success rates) plus the
determinism promises: rebuilds, shuffled arrival and incremental runs all give the
same marts, row for row.

dbt invocations cost seconds each, so the builds are session-scoped fixtures:
  built      all batches landed in order, built once   (most assertions)
  rebuilt    the same dir built a second time           (a: rebuild is identical)
  shuffled   the same files landed in reverse order     (b: order-independent)
  stepwise   empty build -> part 1 -> part 2 (incremental) -> --full-refresh   (c)
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from achilles_core.contract import (
    compute_event_hash,
    derived_event_id,
    to_micros,
    validate_event,
)
from achilles_core.landing import LandedEvent, LandingZone, to_table

# Every test here runs the real dbt (seconds per build).
pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT = REPO_ROOT / "dbt_project"
DBT_BIN = Path(os.environ.get("ACHILLES_DBT_BIN", REPO_ROOT / ".venv" / "bin" / "dbt"))

MARTS = (
    "events",
    "sessions",
    "error_occurrences",
    "error_clusters",
    "session_error_clusters",
    "event_correlations",
    "agent_performance",
)
# The marts rebuilt session by session on an incremental run.
SESSION_MARTS = (
    "events",
    "sessions",
    "session_error_clusters",
    "error_occurrences",
    "event_correlations",
)


def landed(raw: dict) -> LandedEvent:
    """Validate and hash one client event the way the ingestor does."""
    event = validate_event(raw, now=datetime(2030, 1, 1, tzinfo=UTC))
    event_hash = compute_event_hash(event)
    micros = to_micros(event.timestamp)
    if event.event_id is not None:
        return LandedEvent(event, event.event_id, "client", event_hash, micros)
    event_id = derived_event_id(event.session_id, event_hash, event.timestamp)
    return LandedEvent(event, event_id, "derived", event_hash, micros)


@dataclass(frozen=True)
class Batch:
    """One landed file: a session's rows plus the server's received_at and batch id."""

    session_id: str
    table: pa.Table
    received_at: datetime


def make_batch(raws: Sequence[dict], received_at: datetime, batch_id: str) -> Batch:
    items = [landed(r) for r in raws]
    (session_id,) = {i.event.session_id for i in items}
    return Batch(session_id, to_table(items, received_at, batch_id), received_at)


def land(data_dir: Path, batches: Sequence[Batch]) -> None:
    zone = LandingZone(data_dir / "landing" / "events")
    for b in batches:
        zone.write_table(b.session_id, b.table, b.received_at)


def dbt_build(data_dir: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """Run the real `dbt build` against `data_dir`; fail the test with dbt's output."""
    (data_dir / "warehouse").mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "ACHILLES_DATA_DIR": str(data_dir.resolve()),
        "DBT_PROFILES_DIR": str(DBT_PROJECT),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        # Keep dbt's artifacts with the data dir, not in the source tree.
        "DBT_TARGET_PATH": str(data_dir / "dbt_target"),
        "DBT_LOG_PATH": str(data_dir / "dbt_logs"),
    }
    proc = subprocess.run(
        [
            str(DBT_BIN),
            "build",
            "--project-dir",
            str(DBT_PROJECT),
            "--profiles-dir",
            str(DBT_PROJECT),
            *extra,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if proc.returncode != 0:
        raise AssertionError(f"dbt build failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def snapshot(data_dir: Path) -> dict[str, list[tuple]]:
    """Every mart's rows, in a total order, for row-for-row comparison."""
    con = duckdb.connect(str(data_dir / "warehouse" / "build.duckdb"), read_only=True)
    try:
        return {m: con.execute(f"select * from main.{m} order by all").fetchall() for m in MARTS}
    finally:
        con.close()


def query(data_dir: Path, sql: str, params: Sequence | None = None) -> list[tuple]:
    con = duckdb.connect(str(data_dir / "warehouse" / "build.duckdb"), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


# --------------------------------------------------------------------------- scenario

T0 = datetime(2026, 1, 15, 10, 0, 0, tzinfo=UTC)
ALPHA, BETA, GAMMA = "s-alpha", "s-beta", "s-gamma"
ASSERTION_NORMALIZED = "AssertionError: expected 3 got 4 (<path>:<n>)"


def at(seconds: float, day: int = 0) -> str:
    """RFC 3339 timestamp `seconds` after T0 (plus whole days), microsecond precision."""
    ts = T0 + timedelta(days=day, microseconds=round(seconds * 1_000_000))
    return ts.isoformat().replace("+00:00", "Z")


def ev(session_id: str, event_type: str, source_type: str, ts: str, **fields) -> dict:
    return {
        "session_id": session_id,
        "event_type": event_type,
        "source_type": source_type,
        "timestamp": ts,
        **fields,
    }


def alpha_events() -> tuple[list[dict], list[dict]]:
    """claude-code edits src/cart.py, a test fails, the error names the same file,
    a human fixes it, the tests pass. Part 2 holds a late, earlier-stamped retry of
    the error, which must replace the row built from part 1."""
    s = ALPHA
    start = ev(
        s,
        "session_start",
        "system",
        at(0),
        event_id="session_start",
        actor="alice",
        attributes={"agent": "claude-code", "repo": "acme/shop", "branch": "main", "metadata": {}},
    )
    llm = ev(
        s,
        "llm_call",
        "agent",
        at(5),
        actor="claude-code",
        model="claude-sonnet",
        input_tokens=1200,
        output_tokens=300,
        cost_usd=0.0123,
    )
    edit = ev(
        s,
        "agent_action",
        "agent",
        at(10),
        actor="claude-code",
        file_path="src/cart.py",
        message="edit: refactor total()",
    )
    failed = ev(s, "test_run", "ci", at(17), status="failed", message="pytest tests/test_cart.py")
    failed_retry = {**failed, "timestamp": at(18.5)}  # client retry, re-stamped 1.5 s later
    error = ev(
        s,
        "error",
        "ci",
        at(18),
        error_type="AssertionError",
        severity="error",
        file_path="/home/alice/shop/src/cart.py",
        message="AssertionError: expected 3 got 4 (/home/alice/shop/src/cart.py:42)",
    )
    late_original = {**error, "timestamp": at(17.5)}
    readme = ev(
        s,
        "agent_action",
        "agent",
        at(20),
        actor="claude-code",
        file_path="README.md",
        message="edit: docs",
    )
    type_error = ev(
        s,
        "error",
        "ci",
        at(45),
        error_type="TypeError",
        message="TypeError: unsupported operand at 0x7f3a2b1c in   total()",
    )
    fix = ev(
        s,
        "human_action",
        "human",
        at(60),
        actor="alice",
        file_path="src/cart.py",
        message="fix rounding",
    )
    passed = ev(s, "test_run", "ci", at(90), status="passed", message="pytest")
    end = ev(s, "session_end", "system", at(100), event_id="session_end", status="success")
    part1 = [start, llm, edit, failed, error, failed_retry, readme, type_error]
    part2 = [late_original, fix, passed, end]
    return part1, part2


def beta_events() -> tuple[list[dict], list[dict]]:
    """codex on another day and checkout: the same assertion (Windows path, other
    line) 10 s after an edit of another file (0.4), an error 10.001 s after an
    edit (out), an edit after an error (out). Client ids, one resent."""
    s = BETA
    start = ev(
        s,
        "session_start",
        "system",
        at(0, 1),
        event_id="session_start",
        actor="bob",
        attributes={"agent": "codex", "repo": "acme/shop", "branch": "fix-cart", "metadata": {}},
    )
    a1 = ev(
        s,
        "agent_action",
        "agent",
        at(0, 1),
        event_id="a-1",
        actor="codex",
        file_path="lib/pricing.py",
        message="edit",
    )
    err_edge = ev(
        s,
        "error",
        "ci",
        at(10, 1),
        event_id="e-1",
        error_type="AssertionError",
        file_path="C:\\Users\\bob\\shop\\src\\cart.py",
        message="AssertionError: expected 3 got 4 (C:\\Users\\bob\\shop\\src\\cart.py:97)",
    )
    a2 = ev(
        s,
        "agent_action",
        "agent",
        at(20, 1),
        event_id="a-2",
        actor="codex",
        file_path="lib/pricing.py",
        message="edit again",
    )
    err_late = ev(
        s,
        "error",
        "ci",
        at(30.001, 1),
        event_id="e-2",
        error_type="KeyError",
        message="KeyError: 'price'",
    )
    a3 = ev(
        s,
        "agent_action",
        "agent",
        at(35, 1),
        event_id="a-3",
        actor="codex",
        file_path="lib/pricing.py",
        message="edit after the error",
    )
    m1 = ev(s, "human_action", "human", at(40, 1), event_id="m-1", actor="bob", message="ok")
    m2 = ev(s, "human_action", "human", at(41, 1), event_id="m-2", actor="bob", message="ok")
    end = ev(s, "session_end", "system", at(50, 1), event_id="session_end", status="failure")
    part1 = [start, a1, err_edge, a2]
    part2 = [a1, err_late, a3, m1, m2, end]  # a1 resent: same client id, same content
    return part1, part2


def gamma_events() -> list[dict]:
    """One claude-code edit blamed for three errors (the stack names the file): the
    success rate clamps at 0. The errors differ only by a UUID: one cluster."""
    s = GAMMA
    uuids = (
        "123e4567-e89b-12d3-a456-426614174000",
        "9f8e7d6c-5b4a-4321-8fed-cba987654321",
        "00000000-0000-4000-8000-000000000001",
    )
    edit = ev(
        s,
        "agent_action",
        "agent",
        at(0, 2),
        actor="claude-code",
        file_path="app/main.py",
        message="edit",
    )
    errors = [
        ev(
            s,
            "error",
            "system",
            at(i + 1, 2),
            error_type="ValueError",
            message=f"ValueError: unknown order {u}",
            attributes={
                "stack": f'Traceback:\n  File "/srv/app/main.py", line {10 + i}\n  app/main.py'
            },
        )
        for i, u in enumerate(uuids)
    ]
    return [edit, *errors]


def scenario() -> tuple[list[Batch], list[Batch]]:
    """(part 1, part 2) batches; part 2 is received two days after part 1."""
    r1 = datetime(2026, 1, 17, 9, 0, tzinfo=UTC)
    r2 = datetime(2026, 1, 19, 9, 0, tzinfo=UTC)
    a1, a2 = alpha_events()
    b1, b2 = beta_events()
    g = gamma_events()

    def batches(groups: list[list[dict]], received: datetime, tag: str) -> list[Batch]:
        return [
            make_batch(rows, received.replace(minute=i), f"{tag}{i:02d}")
            for i, rows in enumerate(groups)
        ]

    part1 = batches([a1[:4], a1[4:], b1, g[:2], g[2:]], r1, "p1-")
    part2 = batches([a2[:1], b2[:3], a2[1:], b2[3:]], r2, "p2-")
    return part1, part2


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def batches() -> tuple[list[Batch], list[Batch]]:
    return scenario()


@pytest.fixture(scope="session")
def built(tmp_path_factory, batches) -> Path:
    """All batches landed in arrival order, one build."""
    data_dir = tmp_path_factory.mktemp("built")
    part1, part2 = batches
    land(data_dir, part1 + part2)
    dbt_build(data_dir)
    return data_dir


@pytest.fixture(scope="session")
def built_snapshot(built) -> dict[str, list[tuple]]:
    return snapshot(built)


@pytest.fixture(scope="session")
def shuffled_snapshot(tmp_path_factory, batches) -> dict[str, list[tuple]]:
    """The same files, landed in reverse order (and compacted), one build."""
    data_dir = tmp_path_factory.mktemp("shuffled")
    part1, part2 = batches
    land(data_dir, list(reversed(part1 + part2)))
    LandingZone(data_dir / "landing" / "events").compact_session(ALPHA)
    dbt_build(data_dir)
    return snapshot(data_dir)


@pytest.fixture(scope="session")
def stepwise(tmp_path_factory, batches) -> dict[str, dict[str, list[tuple]]]:
    """Empty build, part 1, part 2 as an incremental run, then --full-refresh."""
    data_dir = tmp_path_factory.mktemp("stepwise")
    part1, part2 = batches
    out = {}
    dbt_build(data_dir)
    out["empty"] = snapshot(data_dir)
    land(data_dir, part1)
    dbt_build(data_dir)
    out["part1"] = snapshot(data_dir)
    land(data_dir, part2)
    dbt_build(data_dir)
    out["incremental"] = snapshot(data_dir)
    dbt_build(data_dir, "--full-refresh")
    out["full_refresh"] = snapshot(data_dir)
    return out


# --------------------------------------------------------------------------- rules


def test_cluster_spans_sessions_despite_paths_and_lines(built):
    rows = query(
        built,
        "select error_type, occurrences, sessions_affected, sample_message "
        "from error_clusters where normalized_message = ?",
        [ASSERTION_NORMALIZED],
    )
    assert rows == [
        (
            "AssertionError",
            2,
            2,
            "AssertionError: expected 3 got 4 (/home/alice/shop/src/cart.py:42)",
        )
    ]


def test_uuid_variants_form_one_cluster(built):
    rows = query(
        built,
        "select normalized_message, occurrences, sessions_affected from error_clusters "
        "where error_type = 'ValueError'",
    )
    assert rows == [("ValueError: unknown order <uuid>", 3, 1)]


def test_same_file_edit_is_blamed_with_high_confidence(built):
    rows = query(
        built,
        "select c.action_file_path, c.same_file, c.confidence, c.lag_s, c.attribution_rank, "
        "  c.error_cluster_id = k.cluster_id "
        "from event_correlations c join error_clusters k on k.normalized_message = ? "
        "where c.session_id = ?",
        [ASSERTION_NORMALIZED, ALPHA],
    )
    # The late-landed original (17.5 s) replaced the retry (18 s): lag 7.5 s, not 8 s.
    assert rows == [("src/cart.py", True, 0.7, 7.5, 1, True)]


def test_window_edges_in_another_session(built):
    rows = query(
        built,
        "select action_event_id, error_event_id, lag_s, confidence from event_correlations "
        "where session_id = ? order by all",
        [BETA],
    )
    # a-1 -> e-1 at exactly 10 s is in (other file: 0.4); e-2 is 10.001 s after a-2
    # and a-3 comes after it: neither correlates.
    assert rows == [("a-1", "e-1", 10.0, 0.4)]


def test_agent_success_rates(built):
    rows = query(
        built,
        "select scope, agent, session_id, sessions_count, total_actions, "
        "induced_error_count, round(success_rate, 6) from agent_performance order by all",
    )
    assert rows == [
        ("overall", "claude-code", None, 2, 3, 4, 0.0),  # (3 - 4) / 3 clamped at 0
        ("overall", "codex", None, 1, 3, 1, round(2 / 3, 6)),
        ("session", "claude-code", ALPHA, 1, 2, 1, 0.5),
        ("session", "claude-code", GAMMA, 1, 1, 3, 0.0),
        ("session", "codex", BETA, 1, 3, 1, round(2 / 3, 6)),
    ]


def test_session_summary(built):
    rows = query(
        built,
        "select session_id, actor, agent, repo, branch, outcome, event_count, agent_event_count,"
        " error_count, error_density, test_runs_passed, test_runs_failed, llm_calls,"
        " input_tokens, output_tokens, cost_usd, distinct_files from sessions order by all",
    )
    assert rows == [
        # the failed test run's retry and the error's retry are deduplicated
        (
            ALPHA,
            "alice",
            "claude-code",
            "acme/shop",
            "main",
            "success",
            8,
            3,
            2,
            25.0,
            1,
            1,
            1,
            1200,
            300,
            0.0123,
            3,
        ),
        # a-1 resent with its client id: one row; m-1/m-2 same content, both kept
        (
            BETA,
            "bob",
            "codex",
            "acme/shop",
            "fix-cart",
            "failure",
            7,
            3,
            2,
            200 / 7,
            0,
            0,
            0,
            0,
            0,
            0.0,
            2,
        ),
        (GAMMA, None, None, None, None, None, 4, 1, 3, 75.0, 0, 0, 0, 0, 0, 0.0, 1),
    ]


def test_events_are_deduplicated_and_sequenced(built):
    rows = query(
        built,
        "select event_type, status, strftime(timestamp, '%S.%f'), event_seq from events "
        "where session_id = ? and event_type in ('test_run', 'error') order by event_seq",
        [ALPHA],
    )
    assert rows == [
        ("test_run", "failed", "17.000000", 4),
        ("error", None, "17.500000", 5),
        ("error", None, "45.000000", 7),
        ("test_run", "passed", "30.000000", 9),
    ]


# --------------------------------------------------------------------------- determinism


def test_rebuild_is_identical(built, built_snapshot):
    dbt_build(built)
    assert snapshot(built) == built_snapshot


def test_arrival_order_does_not_matter(built_snapshot, shuffled_snapshot):
    assert shuffled_snapshot == built_snapshot


def test_empty_landing_zone_builds_empty_marts(stepwise):
    assert all(rows == [] for rows in stepwise["empty"].values())


def test_incremental_run_equals_full_build(stepwise, built_snapshot):
    assert stepwise["part1"]["events"] != built_snapshot["events"]
    assert stepwise["incremental"] == built_snapshot


def test_full_refresh_after_incremental_is_identical(stepwise, built_snapshot):
    assert stepwise["full_refresh"] == built_snapshot


def test_incremental_run_reads_only_sessions_with_new_files(tmp_path, batches):
    """Part 2 (two days later) has new files for alpha and beta only. With gamma's
    landing folder moved away, the incremental run still holds gamma's rows exactly
    as built: gamma was neither read again nor rewritten, while alpha took part 2.
    The run's data tests, those on the views over session-scoped tables included,
    read only the sessions it re-derived."""
    part1, part2 = batches
    # a session that stays in place and gets no new files: the run's scope is partial
    still = make_batch([ev("s-still", "agent_action", "agent", at(5), file_path="a.py")], T0, "s")
    # a fixed failure (int_fixed_failures), moved away like gamma
    fixed = make_batch(
        [
            ev("s-fixed", "test_run", "ci", at(10), status="failed"),
            ev("s-fixed", "test_run", "ci", at(20), status="passed"),
        ],
        T0,
        "f",
    )
    land(tmp_path, [*part1, still, fixed])
    dbt_build(tmp_path, "--exclude-resource-type", "unit_test")
    every_mart = "select * from {} where session_id = ? order by all"
    gamma_before = {m: query(tmp_path, every_mart.format(m), [GAMMA]) for m in SESSION_MARTS}
    fixed_before = query(tmp_path, every_mart.format("int_fixed_failures"), ["s-fixed"])
    alpha_before = query(tmp_path, every_mart.format("events"), [ALPHA])
    assert gamma_before["events"] and gamma_before["event_correlations"] and fixed_before

    events_dir = tmp_path / "landing" / "events"
    (events_dir / GAMMA).rename(tmp_path / "gamma-elsewhere")
    (events_dir / "s-fixed").rename(tmp_path / "fixed-elsewhere")
    land(tmp_path, part2)
    dbt_build(tmp_path, "--exclude-resource-type", "unit_test")

    gamma_after = {m: query(tmp_path, every_mart.format(m), [GAMMA]) for m in SESSION_MARTS}
    assert gamma_after == gamma_before
    assert query(tmp_path, every_mart.format("int_fixed_failures"), ["s-fixed"]) == fixed_before
    # int_fixed_failures, once rebuilt whole, re-derives only those sessions too
    rederived = "select session_id from int_fixed_failures__build_scope where rederived order by 1"
    assert query(tmp_path, rederived) == [(ALPHA,), (BETA,)]
    alpha_after = query(tmp_path, every_mart.format("events"), [ALPHA])
    assert alpha_after != alpha_before

    # The SQL dbt ran: on the first incremental build after a full one, the tests of
    # `events` and `event_correlations` (views) used to read every session.
    ran = tmp_path / "dbt_target" / "run" / "achilles"
    for test in ("assert_events_have_no_retry_duplicates", "assert_correlations_within_window"):
        sql = (ran / "tests" / f"{test}.sql").read_text()
        assert "__build_scope" in sql, test
    on_events = [f for f in ran.glob("models/marts/*/*.sql") if '"events"' in f.read_text()]
    assert len(on_events) >= 5  # the generic tests of `events`
    assert all('"events__build_scope"' in f.read_text() for f in on_events)


def test_a_cost_no_mart_can_hold_is_flagged_not_fatal(tmp_path):
    """A landed cost past decimal(38, 12) (landed before the API bounded costs) is left
    out of the sums and reported by a warning; the build and its marts succeed."""
    data_dir = tmp_path / "data"
    raws = [
        ev("huge", "llm_call", "agent", at(0), event_id="c1", model="m", cost_usd=0.5),
        ev("huge", "llm_call", "agent", at(5), event_id="c2", model="m", cost_usd=0.25),
    ]
    batch = make_batch(raws, datetime(2026, 3, 2, tzinfo=UTC), "b1")
    # Write the value past the contract's bound straight into the landing file.
    costs = batch.table.column("cost_usd").to_pylist()
    table = batch.table.set_column(
        batch.table.schema.get_field_index("cost_usd"),
        "cost_usd",
        pa.array([1e26, costs[1]], pa.float64()),
    )
    land(data_dir, [Batch(batch.session_id, table, batch.received_at)])
    proc = dbt_build(data_dir)
    assert "WARN 1 assert_costs_fit_the_warehouse" in proc.stdout
    assert query(data_dir, "select cost_usd from sessions where session_id = 'huge'") == [(0.25,)]


def test_a_build_stopped_midway_is_finished_by_the_next(tmp_path, batches, built_snapshot):
    """A build that failed after its first models took part 2 (here: only those models
    built) leaves nothing the next build trips over: that build gives the full build's
    marts, because each model keeps its own record of what it has derived."""
    part1, part2 = batches
    land(tmp_path, part1)
    dbt_build(tmp_path, "--exclude-resource-type", "unit_test")
    land(tmp_path, part2)
    upstream = ("stg_events", "int_events_deduplicated", "int_errors_normalized")
    dbt_build(tmp_path, "--select", *upstream, "--exclude-resource-type", "unit_test")
    assert snapshot(tmp_path)["events"] != built_snapshot["events"]  # marts not reached
    dbt_build(tmp_path, "--exclude-resource-type", "unit_test")
    assert snapshot(tmp_path) == built_snapshot
