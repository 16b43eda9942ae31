"""The insight step: detectors (unit), then the graph on warehouses the real dbt project built.

The graph tests land hand-written sessions through the ingest service and run the real
`dbt build` over them (tests/dbt_marts.py), so the graph reads exactly the marts
production gives it. A build costs seconds: every scenario is one session of a single
shared build, landed in two rounds (the second one built incrementally), and each
test copies the dbt-built rows of its own sessions into a warehouse of its own.
"""

from __future__ import annotations

import json
import random
import shutil
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from orchestration.graphs import (
    InsightConfig,
    LangChainChatProvider,
    OllamaProvider,
    OpenAICompatibleProvider,
    build_graph,
    make_provider,
    run_insights,
)
from orchestration.graphs.detectors import (
    Correlation,
    SessionCluster,
    SessionSummary,
    TimelineEvent,
    detect_agent_caused_errors,
    detect_all,
    detect_break_fix_cycles,
    detect_crash_loops,
    detect_high_error_density,
    detect_no_progress,
    detect_repeated_errors,
    make_insight_id,
)
from orchestration.graphs.marts import INPUT_TABLES, MissingWarehouseTable
from orchestration.graphs.state import InsightContext
from tests.dbt_marts import DbtMarts

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
CFG = InsightConfig()


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


# ---------------------------------------------------------------- scenarios


def ev(
    session_id: str,
    event_id: str,
    seconds: float,
    event_type: str,
    source_type: str = "agent",
    **fields: Any,
) -> dict[str, Any]:
    """One client event as the API receives it (fields not given are left out)."""
    return {
        "session_id": session_id,
        "event_id": event_id,
        "timestamp": at(seconds).isoformat(),
        "event_type": event_type,
        "source_type": source_type,
        **fields,
    }


def refactor_session(sid: str = "s-refactor") -> list[dict[str, Any]]:
    """The acceptance scenario: agent refactor → failing test → human fix."""
    return [
        ev(sid, "session_start", 0, "session_start", "system", actor="claude-code"),
        ev(
            sid,
            "a1",
            10,
            "agent_action",
            actor="claude-code",
            file_path="src/app.py",
            message="refactor: extract parse_config",
        ),
        ev(sid, "t1", 14, "test_run", "ci", status="failed"),
        ev(
            sid,
            "e1",
            15,
            "error",
            "ci",
            file_path="src/app.py",
            error_type="TypeError",
            message="parse_config() missing 1 required argument at line 42",
        ),
        ev(sid, "h1", 120, "human_action", "human", actor="alice", file_path="src/app.py"),
        ev(sid, "t2", 130, "test_run", "ci", status="passed"),
        ev(sid, "session_end", 140, "session_end", "system", status="success"),
    ]


def noisy_session(sid: str = "s-noisy") -> list[dict[str, Any]]:
    """Errors in a row, a fix, the same error again, a crash loop."""
    rows = [ev(sid, "session_start", 0, "session_start", "system")]
    key_error = {"error_type": "KeyError", "message": "'user_id' at line 7"}
    rows += [ev(sid, f"e{i}", 100 + i * 5, "error", "system", **key_error) for i in range(4)]
    rows.append(ev(sid, "pass1", 200, "test_run", "ci", status="passed"))
    # the same error at another line: one cluster once normalized
    rows.append(
        ev(sid, "e9", 260, "error", "system", **{**key_error, "message": "'user_id' at line 9"})
    )
    for i, status in enumerate(["crashed", "restarted", "crashed", "restarted"]):
        rows.append(
            ev(sid, f"p{i}", 300 + i * 20, "process", "system", actor="worker", status=status)
        )
    return rows


def stalled_session(sid: str = "s-stalled") -> list[dict[str, Any]]:
    """An agent re-running the same command 22 times, changing nothing.

    (Was: editing one file 22 times. Since issue 10 an edit is progress.)"""
    return [
        ev(
            sid,
            f"a{i:02d}",
            i * 30,
            "agent_action",
            actor="codex",
            action_kind="command",
            status="ok",
            message="pytest -q",
        )
        for i in range(22)
    ]


def dense_session(sid: str = "s-dense") -> list[dict[str, Any]]:
    """4 errors in 12 events: 33 per 100, above the density threshold."""
    rows = [
        ev(sid, f"e{i}", i, "error", "system", error_type=f"E{i}", message=f"m{i}")
        for i in range(4)
    ]
    return rows + [ev(sid, f"a{i}", 10 + i, "agent_action", file_path=f"f{i}.py") for i in range(8)]


def revised_session(sid: str, status: str, revision: int) -> list[dict[str, Any]]:
    """10 agent actions and 4 test runs of the given status and revision."""
    rows = [ev(sid, f"a{i}", i * 10, "agent_action", file_path=f"f{i}.py") for i in range(10)]
    return rows + [
        ev(sid, f"t{i}", i * 25 + 5, "test_run", "ci", status=status, revision=revision)
        for i in range(4)
    ]


# What the shared build lands: round 1 holds every scenario session, round 2 adds events
# to five of them and is built incrementally.
DENSE, LATE, GROWS, REFACTOR_GROWS = "s-dense", "s-noisy-late", "s-noisy-grows", "s-refactor-grows"
# REVISED's runs pass, then are sent again as revision 1, failed: its rows change but
# not its event count nor its last event time.
REVISED = "s-revised"
ROUNDS: list[list[dict[str, Any]]] = [
    refactor_session()
    + noisy_session()
    + stalled_session()
    + dense_session(DENSE)
    + noisy_session(LATE)
    + noisy_session(GROWS)
    + refactor_session(REFACTOR_GROWS)
    + revised_session(REVISED, "passed", 0),
    # DENSE calms down: 4 errors in 32 events, 12.5 per 100
    [ev(DENSE, f"b{i}", 100 + i, "agent_action", file_path=f"g{i}.py") for i in range(20)]
    # LATE gets an event older than its last_event_at: only event_count changes
    + [ev(LATE, "late", 50, "agent_action", file_path="late.py")]
    # GROWS and REFACTOR_GROWS get a harmless event
    + [ev(GROWS, "z", 999, "llm_call")]
    + [ev(REFACTOR_GROWS, "late", 500, "llm_call")]
    + revised_session(REVISED, "failed", 1)[10:],
]


# ---------------------------------------------------------------- warehouses built by dbt


class ScenarioBuilds:
    """ROUNDS landed one round at a time, each followed by `dbt build` (full, then
    incremental); a copy of the build warehouse is kept after each round. Rounds are
    built on first use, so a test that needs only round 1 pays for one build."""

    def __init__(self, root: Path) -> None:
        self.marts = DbtMarts(root / "data")
        self.root = root
        self.copies: list[Path] = []

    def after(self, round_no: int) -> Path:
        """The build warehouse as it was after landing round `round_no` (1-based)."""
        while len(self.copies) < round_no:
            self.marts.land(ROUNDS[len(self.copies)])
            self.marts.build(data_tests=False)  # tests/dbt runs them
            copy = self.root / f"after_round_{len(self.copies) + 1}.duckdb"
            shutil.copyfile(self.marts.build_db, copy)  # dbt has exited: the file is whole
            self.copies.append(copy)
        return self.copies[round_no - 1]


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> ScenarioBuilds:
    return ScenarioBuilds(tmp_path_factory.mktemp("insight_builds"))


def load_marts(
    dest: Path, build: Path, session_ids: Sequence[str], shuffle_seed: int | None = None
) -> Path:
    """Give `dest` the insight step's input tables holding the dbt-built rows of
    `session_ids`, replacing earlier ones; its insights and watermarks stay, as they
    stay in the real build warehouse when dbt rebuilds the marts. Every input table is
    per session, so the rows are what a build of only these sessions would give.
    `shuffle_seed` stores the rows in a scrambled order."""
    order = "" if shuffle_seed is None else f"order by md5('{shuffle_seed}' || t::varchar)"
    with duckdb.connect(str(dest)) as con:
        con.execute(f"attach '{build}' as built (read_only)")
        for table in INPUT_TABLES:
            con.execute(
                f"create or replace table main.{table} as select t.* from built.main.{table} t "
                f"where list_contains($ids, session_id) {order}",
                {"ids": list(session_ids)},
            )
    return dest


def insights_table(path: Path) -> list[tuple]:
    with duckdb.connect(str(path)) as con:
        return con.execute("select * from insights order by insight_id").fetchall()


def run(path: Path, config: InsightConfig = CFG, provider=None, now: datetime = NOW) -> dict:
    with duckdb.connect(str(path)) as con:
        return run_insights(con, config, provider=provider, now=now)


# ---------------------------------------------------------------- detector units


def tl(event_id: str, seconds: float, event_type: str, **fields: Any) -> TimelineEvent:
    source = fields.pop("source_type", "agent" if event_type == "agent_action" else "system")
    return TimelineEvent(event_id, at(seconds), event_type, source, **fields)


def err(event_id: str, seconds: float, cluster: str = "c1") -> TimelineEvent:
    return tl(event_id, seconds, "error", cluster_id=cluster, error_type="ValueError")


def passed(event_id: str, seconds: float) -> TimelineEvent:
    return tl(event_id, seconds, "test_run", status="passed")


def summary(events: int, errors: int, sid: str = "s") -> SessionSummary:
    return SessionSummary(sid, events, errors, errors * 100.0 / events, at(0), at(events))


def test_high_error_density_fires_above_threshold_from_the_crossing_event() -> None:
    timeline = [tl(f"a{i}", i, "agent_action") for i in range(7)]
    timeline += [err(f"e{i}", 10 + i) for i in range(3)]  # 3 of 10 = 30 per 100
    clusters = [SessionCluster("c1", "ValueError", "bad", 3)]
    [f] = detect_high_error_density(summary(10, 3), timeline, clusters, CFG)
    assert f.kind == "high_error_density"
    assert f.severity == "warning"
    assert f.detected_at == at(12)  # the 10th event: first point with >= 10 events
    assert f.evidence["counts"]["errors"] == 3
    assert f.evidence["event_ids"] == ["e0", "e1", "e2"]
    assert f.evidence["cluster_ids"] == ["c1"]


def test_high_error_density_needs_both_density_and_size() -> None:
    # The ratio is counted from the timeline now (steps, not llm_calls), not the
    # `sessions` row, so the cases are built from events.
    def steps(actions: int, errors: int) -> list[TimelineEvent]:
        return [tl(f"a{i}", i, "agent_action") for i in range(actions)] + [
            err(f"e{i}", 100 + i) for i in range(errors)
        ]

    assert detect_high_error_density(summary(10, 2), steps(8, 2), [], CFG) == []  # exactly 20
    assert detect_high_error_density(summary(9, 5), steps(4, 5), [], CFG) == []  # too small
    big = detect_high_error_density(summary(10, 5), steps(5, 5), [], CFG)
    assert big[0].severity == "critical"  # 50 per 100 >= twice the threshold
    llm = [tl(f"l{i}", 50 + i, "llm_call") for i in range(100)]
    # llm_calls are no steps: 100 of them do not dilute 5 failures in 10 steps
    assert detect_high_error_density(summary(110, 5), steps(5, 5) + llm, [], CFG)
    # a failing run counts once however many tests failed; its errors are no steps
    run = [tl("r1", 60, "test_run", status="failed", scope="pytest|")]
    run += [tl(f"x{i}", 61, "error", parent_id="r1", cluster_id="c1") for i in range(30)]
    assert detect_high_error_density(summary(40, 30), steps(9, 0) + run, [], CFG) == []


def corr(action: str, error: str, confidence: float, rank: int, **kw: Any) -> Correlation:
    defaults: dict[str, Any] = dict(
        correlation_id=f"{action}-{error}",
        method="time_window",
        action_event_id=action,
        error_event_id=error,
        agent="claude-code",
        action_file_path="src/app.py",
        error_file_path="src/app.py",
        error_cluster_id="c1",
        action_timestamp=at(0),
        error_timestamp=at(3),
        lag_s=3.0,
        same_file=confidence >= 0.7,
        confidence=confidence,
        attribution_rank=rank,
        error_type="TypeError",
    )
    return Correlation(**{**defaults, **kw})


def test_agent_caused_error_names_agent_action_error_and_file() -> None:
    [f] = detect_agent_caused_errors("s", [corr("a1", "e1", 0.7, 1)], CFG)
    assert f.kind == "agent_caused_error"
    assert "claude-code" in f.title and "src/app.py" in f.title
    assert "a1" in f.detail and "e1" in f.detail
    assert f.evidence["event_ids"] == ["a1", "e1"]
    assert f.evidence["agent"] == "claude-code"
    assert f.evidence["file_path"] == "src/app.py"
    assert f.detected_at == at(3)


def test_agent_caused_error_ignores_weak_or_secondary_correlations() -> None:
    weak = corr("a1", "e1", 0.4, 1, same_file=False)
    secondary = corr("a2", "e1", 0.7, 2)
    assert detect_agent_caused_errors("s", [weak, secondary], CFG) == []


def test_agent_caused_error_one_insight_per_pair_across_methods() -> None:
    a = corr("a1", "e1", 0.7, 1)
    b = corr("a1", "e1", 0.9, 1, method="since_last_pass", correlation_id="x")
    [f] = detect_agent_caused_errors("s", [a, b], CFG)
    assert f.evidence["methods"] == ["since_last_pass", "time_window"]
    assert f.evidence["counts"]["confidence"] == 0.9


def run_(
    event_id: str, seconds: float, status: str, scope: str = "pytest|tests/a.py"
) -> TimelineEvent:
    return tl(event_id, seconds, "test_run", status=status, scope=scope)


def edit(event_id: str, seconds: float, path: str = "src/a.py") -> TimelineEvent:
    return tl(event_id, seconds, "agent_action", action_kind="edit", status="ok", file_path=path)


def test_break_fix_cycle_is_green_red_after_a_change_green_after_more() -> None:
    timeline = [
        run_("p0", 0, "passed"),
        edit("c1", 10),
        run_("f1", 20, "failed"),
        tl("x1", 21, "error", parent_id="f1", cluster_id="c1"),
        edit("c2", 30),
        run_("p1", 40, "passed"),
        edit("c3", 50),
        run_("f2", 60, "failed"),
        edit("c4", 70),
        run_("p2", 80, "passed"),
    ]
    [f] = detect_break_fix_cycles("s", timeline, CFG)
    assert f.key == "scope:pytest|tests/a.py"
    assert f.evidence["counts"]["cycles"] == 2
    assert f.evidence["refail_event_ids"] == ["f1", "f2"]
    assert f.evidence["passing_run_ids"] == ["p1", "p2"]
    assert f.evidence["cluster_ids"] == ["c1"]
    assert f.detected_at == at(40)


def test_break_fix_cycle_needs_the_same_scope_and_changes() -> None:
    # a pass of another test file is no fix; a red without a change is flakiness
    other = [run_("p0", 0, "passed"), edit("c1", 10), run_("f1", 20, "failed")]
    other += [edit("c2", 30), run_("q1", 40, "passed", scope="pytest|tests/b.py")]
    assert detect_break_fix_cycles("s", other, CFG) == []
    flaky = [run_("p0", 0, "passed"), run_("f1", 20, "failed"), edit("c2", 30)]
    flaky += [run_("p1", 40, "passed")]
    assert detect_break_fix_cycles("s", flaky, CFG) == []


def test_break_fix_cycle_standalone_errors_keep_the_cluster_rule() -> None:
    # errors that belong to no run (a production feed) have no scope: the cluster rule
    timeline = [err("e1", 0), passed("p1", 30), err("e2", 60), passed("p2", 90), err("e3", 120)]
    [f] = detect_break_fix_cycles("s", timeline, CFG)
    assert f.kind == "break_fix_cycle"
    assert f.key == "c1"
    assert f.evidence["counts"]["cycles"] == 2
    assert f.evidence["event_ids"] == ["e1", "e2", "e3"]
    assert f.evidence["passing_run_ids"] == ["p1", "p2"]
    assert f.detected_at == at(60)


def test_break_fix_cycle_counts_an_error_that_stopped_for_a_while() -> None:
    timeline = [err("e1", 0), tl("a1", 100, "agent_action"), err("e2", 700)]
    [f] = detect_break_fix_cycles("s", timeline, CFG)
    assert f.evidence["counts"] == {
        "cycles": 1,
        "occurrences": 2,
        "fixed_by_passing_run": 0,
        "fixed_by_quiet_period": 1,
    }
    strict = CFG.model_copy(update={"break_fix_quiet_s": None})
    assert detect_break_fix_cycles("s", timeline, strict) == []


def test_break_fix_cycle_needs_a_fix_and_a_refail() -> None:
    assert detect_break_fix_cycles("s", [err("e1", 0), err("e2", 30)], CFG) == []  # never fixed
    assert detect_break_fix_cycles("s", [err("e1", 0), passed("p1", 30)], CFG) == []  # no refail
    # a fix of another cluster's failure in between still counts; other clusters don't refail c1
    other = [err("e1", 0), passed("p1", 30), err("x1", 60, cluster="c2")]
    assert detect_break_fix_cycles("s", other, CFG) == []


def test_repeated_error_trips_after_n_in_a_row() -> None:
    timeline = [err("e1", 0), err("e2", 5), tl("a1", 7, "agent_action"), err("e3", 10)]
    [f] = detect_repeated_errors("s", timeline, CFG)
    assert f.kind == "repeated_error"
    assert f.evidence["event_ids"] == ["e1", "e2", "e3"]
    assert f.evidence["counts"]["longest_streak"] == 3
    assert f.detected_at == at(10)


def test_repeated_error_streak_broken_by_passing_test_not_by_other_clusters() -> None:
    assert (
        detect_repeated_errors(
            "s", [err("e1", 0), err("e2", 5), passed("p", 6), err("e3", 10)], CFG
        )
        == []
    )
    # Changed with issue 10: another failure in between does not end the streak (the
    # agent is still stuck on c1; real pre-commit loops interleave other findings).
    [f] = detect_repeated_errors(
        "s", [err("e1", 0), err("x", 3, cluster="c2"), err("e2", 5), err("e3", 10)], CFG
    )
    assert f.key == "c1"


def test_repeated_error_counts_runs_not_tests_and_clears_by_scope() -> None:
    def failing(run_id: str, seconds: float, tests: int) -> list[TimelineEvent]:
        run = [tl(run_id, seconds, "check_run", status="failed", scope="pre-commit|")]
        return run + [
            tl(f"{run_id}:{i}", seconds + 1, "error", parent_id=run_id, cluster_id="k")
            for i in range(tests)
        ]

    # one run failing 5 tests the same way is not a repeat
    assert detect_repeated_errors("s", failing("r1", 0, 5), CFG) == []
    # three pre-commit runs failing the same way, an unrelated pass in between: a loop
    loop = failing("r1", 0, 2) + failing("r2", 60, 1)
    loop += [tl("t1", 90, "test_run", status="passed", scope="pytest|")]
    loop += failing("r3", 120, 1)
    [f] = detect_repeated_errors("s", loop, CFG)
    assert f.evidence["run_ids"] == ["r1", "r2", "r3"]
    assert f.evidence["counts"]["longest_streak"] == 3
    # a pass of the same scope clears it
    cleared = failing("r1", 0, 1) + failing("r2", 60, 1)
    cleared += [tl("ok", 90, "check_run", status="passed", scope="pre-commit|")]
    cleared += failing("r3", 120, 1)
    assert detect_repeated_errors("s", cleared, CFG) == []


def crash(event_id: str, seconds: float, status: str = "crashed") -> TimelineEvent:
    return tl(event_id, seconds, "process", status=status, actor="worker")


def test_crash_loop_k_crashes_within_window() -> None:
    timeline = [crash("p1", 0), crash("p2", 60, "restarted"), crash("p3", 120), crash("p4", 900)]
    [f] = detect_crash_loops("s", timeline, CFG)
    assert f.kind == "crash_loop" and f.severity == "critical"
    assert f.key == "p1"
    assert f.evidence["event_ids"] == ["p1", "p2", "p3"]
    assert f.detected_at == at(120)


def test_crash_loop_not_when_spread_out_or_clean_exits() -> None:
    spread = [crash("p1", 0), crash("p2", 200), crash("p3", 400)]  # any 3 span 400 s
    assert detect_crash_loops("s", spread, CFG) == []
    exits = [crash("p1", 0, "exited"), crash("p2", 10, "spawned"), crash("p3", 20)]
    assert detect_crash_loops("s", exits, CFG) == []


def action(event_id: str, seconds: float, kind: str = "command") -> TimelineEvent:
    return tl(event_id, seconds, "agent_action", action_kind=kind, status="ok", actor="codex")


def test_no_progress_after_k_actions_without_change() -> None:
    # Changed with issue 10: an edit is progress now (it used to be "a new file"), so
    # the stall is 25 commands that change nothing, after a first read.
    timeline = [action("r0", 0, "read")] + [action(f"a{i:02d}", i) for i in range(1, 26)]
    [f] = detect_no_progress("s", timeline, CFG)
    assert f.key == "a01"  # reading something new is exploration
    assert f.evidence["counts"]["actions"] == 25
    assert f.detected_at == at(20)


def test_no_progress_reset_by_edit_new_pass_or_prompt() -> None:
    commands = [action(f"a{i:02d}", i) for i in range(25)]
    assert detect_no_progress("s", commands + [passed("p", 12.5)], CFG) == []
    assert detect_no_progress("s", commands + [edit("c", 12.5)], CFG) == []
    prompt = tl("u", 12.5, "human_action", source_type="human", action_kind="prompt")
    assert detect_no_progress("s", commands + [prompt], CFG) == []
    human_only = [tl(f"h{i}", i, "human_action", source_type="human") for i in range(30)]
    assert detect_no_progress("s", human_only, CFG) == []
    # the same scope passing again is no new pass
    again = [passed("p0", 0.5)] + commands + [passed("p1", 12.5)]
    assert detect_no_progress("s", again, CFG)


def test_no_progress_exploration_is_no_stall_rereading_is() -> None:
    prompt = tl("u", 0, "human_action", source_type="human", action_kind="prompt")

    def look(event_id: str, seconds: float, target: str) -> TimelineEvent:
        return tl(event_id, seconds, "agent_action", action_kind="read", target=target)

    reads = [look(f"r{i:02d}", 1 + i, f"src/f{i}.py") for i in range(40)]
    assert detect_no_progress("s", [prompt, *reads], CFG) == []
    # the same two files read over and over is circling, not exploring
    circling = [look(f"r{i:02d}", 1 + i, f"src/f{i % 2}.py") for i in range(40)]
    [f] = detect_no_progress("s", [prompt, *circling], CFG)
    assert f.evidence["counts"]["actions"] == 38


def test_detectors_ignore_input_order() -> None:
    timeline = (
        [err("e1", 0), passed("p1", 30), err("e2", 60), err("e3", 61), err("e4", 62)]
        + [crash(f"c{i}", 100 + i) for i in range(3)]
        + [action(f"a{i:02d}", 200 + i) for i in range(22)]
    )
    s = summary(len(timeline), 4)
    corrs = [corr("a1", "e1", 0.7, 1), corr("a2", "e2", 0.7, 1)]
    expected = detect_all(s, timeline, [], corrs, CFG)
    assert {f.kind for f in expected} >= {"break_fix_cycle", "repeated_error", "crash_loop"}
    rng = random.Random(7)
    for _ in range(5):
        shuffled = rng.sample(timeline, len(timeline))
        assert detect_all(s, shuffled, [], rng.sample(corrs, 2), CFG) == expected


def test_insight_id_is_a_stable_hash_of_session_kind_key() -> None:
    assert make_insight_id("s", "crash_loop", "p1") == make_insight_id("s", "crash_loop", "p1")
    assert make_insight_id("s", "crash_loop", "p1") != make_insight_id("s", "crash_loop", "p2")
    assert make_insight_id("s", "a|b", "c") != make_insight_id("s", "a", "b|c")


# ---------------------------------------------------------------- the graph on DuckDB

slow = pytest.mark.slow  # the first test to need a landing round waits for its dbt build


@pytest.fixture
def wh(tmp_path: Path) -> Path:
    return tmp_path / "build.duckdb"


@slow
def test_acceptance_scenario_writes_agent_caused_error(builds: ScenarioBuilds, wh: Path) -> None:
    load_marts(wh, builds.after(1), ["s-refactor"])
    counts = run(wh)
    assert counts["sessions_evaluated"] == 1
    assert counts["by_kind"]["agent_caused_error"] == 1
    with duckdb.connect(str(wh)) as con:
        kind, status, title, evidence, detected_at, first_at, resolved_at = con.execute(
            "select kind, status, title, evidence, detected_at, first_computed_at, resolved_at "
            "from insights where kind = 'agent_caused_error'"
        ).fetchone()
    assert status == "open" and resolved_at is None
    assert "claude-code" in title and "src/app.py" in title
    assert json.loads(evidence)["event_ids"] == ["a1", "e1"]
    assert detected_at == at(15)  # data time, not wall clock
    assert first_at == NOW


@slow
def test_rerun_changes_nothing_and_keeps_first_computed_at(
    builds: ScenarioBuilds, wh: Path
) -> None:
    load_marts(wh, builds.after(1), ["s-refactor", "s-noisy"])
    first = run(wh)
    assert first["new"] == first["detected"] >= 5
    before = insights_table(wh)

    again = run(wh, now=NOW + timedelta(hours=1))  # no new data: nothing re-evaluated
    assert again["sessions_evaluated"] == 0 and again["new"] == 0
    assert insights_table(wh) == before

    # A changed detector knob re-evaluates every session; here it changes no finding
    forced = run(wh, CFG.model_copy(update={"max_evidence_ids": 49}), now=NOW + timedelta(days=1))
    assert forced["sessions_evaluated"] == 2
    assert forced["new"] == forced["changed"] == forced["resolved"] == 0
    assert forced["unchanged"] == first["detected"]
    assert insights_table(wh) == before


@slow
def test_noisy_session_kinds_and_evidence(builds: ScenarioBuilds, wh: Path) -> None:
    load_marts(wh, builds.after(1), ["s-noisy"])
    counts = run(wh)
    assert {k for k, n in counts["by_kind"].items() if n} == {
        "high_error_density",
        "repeated_error",
        "break_fix_cycle",
        "crash_loop",
    }
    with duckdb.connect(str(wh)) as con:
        evidence = con.execute(
            "select evidence from insights where kind = 'break_fix_cycle'"
        ).fetchone()[0]
    assert json.loads(evidence)["passing_run_ids"] == ["pass1"]
    # "at line 7" and "at line 9" normalize to one cluster, so e9 is the refail
    assert json.loads(evidence)["event_ids"] == ["e0", "e1", "e2", "e3", "e9"]


@slow
def test_row_order_in_the_warehouse_does_not_matter(builds: ScenarioBuilds, tmp_path: Path) -> None:
    results, stored_orders = [], set()
    for seed in range(3):
        path = load_marts(
            tmp_path / f"w{seed}.duckdb",
            builds.after(1),
            ["s-refactor", "s-noisy", "s-stalled"],
            shuffle_seed=seed,
        )
        with duckdb.connect(str(path)) as con:  # no order by: the order rows are stored in
            stored_orders.add(
                tuple(con.execute("select session_id, event_id from events").fetchall())
            )
        counts = run(path)
        assert all(counts["by_kind"].values())  # every kind is exercised
        results.append(insights_table(path))
    assert len(stored_orders) == 3  # the seeds really stored the rows differently
    assert results[0] == results[1] == results[2]


@slow
def test_condition_gone_marks_resolved_not_deleted(builds: ScenarioBuilds, wh: Path) -> None:
    load_marts(wh, builds.after(1), [DENSE])
    assert run(wh)["by_kind"]["high_error_density"] == 1

    load_marts(wh, builds.after(2), [DENSE])  # 4 errors in 32 events: 12.5 per 100
    counts = run(wh, now=NOW + timedelta(hours=1))
    assert counts["resolved"] == 1 and counts["sessions_evaluated"] == 1
    rows = insights_table(wh)
    assert len(rows) == 1
    with duckdb.connect(str(wh)) as con:
        status, resolved_at, first_at = con.execute(
            "select status, resolved_at, first_computed_at from insights"
        ).fetchone()
    assert status == "resolved"
    assert resolved_at == at(119)  # the session's last_event_at when it was re-evaluated
    assert first_at == NOW

    assert run(wh, now=NOW + timedelta(hours=2))["sessions_evaluated"] == 0
    assert insights_table(wh) == rows

    # The condition holds again (a stricter threshold: 12.5 >= 10, and no third build):
    # the same row reopens, first_computed_at still the first run's
    stricter = CFG.model_copy(update={"error_density_threshold": 10.0})
    counts = run(wh, stricter, now=NOW + timedelta(hours=3))
    assert counts["reopened"] == 1 and counts["new"] == 0
    with duckdb.connect(str(wh)) as con:
        assert con.execute(
            "select count(*), min(status), min(first_computed_at), min(resolved_at) from insights"
        ).fetchone() == (1, "open", NOW, None)


def evaluated_at(path: Path) -> dict[str, datetime]:
    with duckdb.connect(str(path)) as con:
        rows = con.execute("select session_id, evaluated_at from insight_watermarks").fetchall()
    return dict(rows)


@slow
def test_only_sessions_with_new_data_are_evaluated(builds: ScenarioBuilds, wh: Path) -> None:
    load_marts(wh, builds.after(1), ["s-refactor", LATE])
    run(wh)
    # LATE got an event older than its last_event_at: only its event_count changed
    load_marts(wh, builds.after(2), ["s-refactor", LATE])
    later = NOW + timedelta(hours=1)
    counts = run(wh, now=later)
    assert counts["sessions_evaluated"] == 1
    assert evaluated_at(wh) == {"s-refactor": NOW, LATE: later}


@slow
def test_unevaluated_sessions_keep_their_insights(builds: ScenarioBuilds, wh: Path) -> None:
    load_marts(wh, builds.after(1), [GROWS, "s-noisy"])
    run(wh)
    # GROWS gets a new harmless event; s-noisy is untouched and must not be resolved
    load_marts(wh, builds.after(2), [GROWS, "s-noisy"])
    counts = run(wh, now=NOW + timedelta(hours=1))
    assert counts["sessions_evaluated"] == 1 and counts["resolved"] == 0
    with duckdb.connect(str(wh)) as con:
        assert con.execute(
            "select session_id, count(*) from insights where status = 'open' "
            "group by all order by all"
        ).fetchall() == [("s-noisy", 4), (GROWS, 4)]
        assert con.execute("select count(distinct status) from insights").fetchone() == (1,)


@slow
def test_changed_rows_are_re_evaluated_unchanged_sessions_keep_open_insights(
    builds: ScenarioBuilds, wh: Path
) -> None:
    load_marts(wh, builds.after(1), [REVISED, "s-noisy"])
    first = run(wh)
    assert first["sessions_evaluated"] == 2
    with duckdb.connect(str(wh)) as con:
        before = con.execute(
            "select insight_id from insights where session_id = 's-noisy' and status = 'open'"
        ).fetchall()
        assert len(before) == 4
        # every run passed: nothing is dense with failures yet
        assert con.execute(
            "select count(*) from insights where session_id = $s and kind = 'high_error_density'",
            {"s": REVISED},
        ).fetchone() == (0,)
        summary_before = con.execute(
            "select event_count, last_event_at from sessions where session_id = $s",
            {"s": REVISED},
        ).fetchone()

    # Round 2 revises REVISED's four runs to failed; s-noisy's rows are the same
    load_marts(wh, builds.after(2), [REVISED, "s-noisy"])
    with duckdb.connect(str(wh)) as con:
        assert (
            con.execute(
                "select event_count, last_event_at from sessions where session_id = $s",
                {"s": REVISED},
            ).fetchone()
            == summary_before
        )
    later = NOW + timedelta(hours=1)
    counts = run(wh, now=later)
    assert counts["sessions_evaluated"] == 1
    assert evaluated_at(wh) == {"s-noisy": NOW, REVISED: later}
    # 4 failing runs in 14 steps: the revised session is dense with failures now
    assert counts["new"] >= 1 and counts["by_kind"]["high_error_density"] == 1
    assert counts["resolved"] == 0
    with duckdb.connect(str(wh)) as con:
        after = con.execute(
            "select insight_id from insights where session_id = 's-noisy' and status = 'open'"
        ).fetchall()
    assert after == before  # not re-evaluated, not resolved
    assert run(wh, now=later + timedelta(hours=1))["sessions_evaluated"] == 0


@slow
def test_batches_give_the_same_result(builds: ScenarioBuilds, tmp_path: Path) -> None:
    sessions = ["s-refactor", "s-noisy", LATE]
    one = load_marts(tmp_path / "one.duckdb", builds.after(1), sessions)
    many = load_marts(tmp_path / "many.duckdb", builds.after(1), sessions)
    run(one)
    counts = run(many, CFG.model_copy(update={"session_batch_size": 1}))
    assert counts["sessions_evaluated"] == 3
    assert insights_table(one) == insights_table(many)


def test_missing_input_tables_are_named(wh: Path) -> None:
    with duckdb.connect(str(wh)) as con:
        con.execute("create table events (event_id varchar)")
        with pytest.raises(MissingWarehouseTable, match="sessions"):
            run_insights(con, CFG, now=NOW)


# ---------------------------------------------------------------- narration


class CountingProvider:
    """A fake ChatProvider that records the prompts it receives."""

    model_name = "fake"

    def __init__(self, reply: str = "The agent broke it; look at src/app.py.") -> None:
        self.reply = reply
        self.calls: list[Sequence[BaseMessage]] = []

    def complete(self, messages: Sequence[BaseMessage]) -> str:
        self.calls.append(messages)
        return self.reply


@slow
def test_narrative_from_fake_chat_model_leaves_insight_unchanged(
    builds: ScenarioBuilds, tmp_path: Path
) -> None:
    plain = load_marts(tmp_path / "plain.duckdb", builds.after(1), ["s-refactor"])
    narrated = load_marts(tmp_path / "narrated.duckdb", builds.after(1), ["s-refactor"])
    run(plain)
    fake = FakeListChatModel(responses=["  The refactor of parse_config broke\n the tests.  "])
    counts = run(narrated, provider=LangChainChatProvider(fake))
    assert counts["narrated"] == counts["new"] >= 1

    with duckdb.connect(str(narrated)) as con:
        narratives = con.execute("select distinct narrative from insights").fetchall()
        core = con.execute("select * exclude (narrative) from insights order by 1").fetchall()
    assert narratives == [("The refactor of parse_config broke the tests.",)]
    with duckdb.connect(str(plain)) as con:
        assert con.execute("select * exclude (narrative) from insights order by 1").fetchall() == (
            core
        )


@slow
def test_narration_only_for_new_insights_and_prompt_carries_evidence(
    builds: ScenarioBuilds, wh: Path
) -> None:
    load_marts(wh, builds.after(1), ["s-refactor"])
    provider = CountingProvider()
    run(wh, provider=provider)
    assert len(provider.calls) == 1
    system, human = provider.calls[0]
    assert isinstance(system, SystemMessage) and isinstance(human, HumanMessage)
    prompt = json.loads(human.text)
    assert prompt["insight"]["kind"] == "agent_caused_error"
    assert prompt["insight"]["evidence"]["event_ids"] == ["a1", "e1"]
    assert [e["event_id"] for e in prompt["recent_events"]][-1] == "session_end"

    forced = CFG.model_copy(update={"repeated_error_threshold": 4})  # re-evaluates, same insights
    assert run(wh, forced, provider=provider)["sessions_evaluated"] == 1
    assert len(provider.calls) == 1  # nothing new: not narrated again


@slow
def test_narration_failure_does_not_fail_the_run(builds: ScenarioBuilds, wh: Path) -> None:
    class Broken(CountingProvider):
        def complete(self, messages: Sequence[BaseMessage]) -> str:
            raise httpx.ConnectError("no route")

    load_marts(wh, builds.after(1), ["s-refactor"])
    counts = run(wh, provider=Broken())
    assert counts["new"] >= 1 and counts["narration_failed"] == counts["new"]
    with duckdb.connect(str(wh)) as con:
        assert (
            con.execute("select count(*) from insights where narrative is null").fetchone()[0]
            == (counts["new"])
        )


@slow
def test_without_provider_narration_is_skipped(builds: ScenarioBuilds, wh: Path) -> None:
    assert make_provider(InsightConfig()) is None
    load_marts(wh, builds.after(1), [REFACTOR_GROWS])
    counts = run(wh)
    assert counts["narrated"] == 0 and counts["narration_failed"] == 0
    with duckdb.connect(str(wh)) as con:
        assert (
            con.execute("select count(*) from insights where narrative is not null").fetchone()[0]
            == 0
        )

    # the graph invoked directly: no provider, the run ends after write_insights
    load_marts(wh, builds.after(2), [REFACTOR_GROWS])  # one llm_call more
    with duckdb.connect(str(wh)) as con:
        out = build_graph().invoke({}, context=InsightContext(con=con, now=NOW))
    assert out["counts"]["sessions_evaluated"] == 1
    assert "narrated" not in out


def test_openai_compatible_provider_request_and_reply() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"choices": [{"message": {"content": "Summary."}}]})

    provider = OpenAICompatibleProvider(
        "http://llm.test/v1/",
        "gpt-x",
        api_key="k",
        client=httpx.Client(transport=httpx.MockTransport(handler)),
    )
    reply = provider.complete([SystemMessage("sys"), HumanMessage("hi")])
    assert reply == "Summary."
    body = json.loads(seen[0].content)
    assert str(seen[0].url) == "http://llm.test/v1/chat/completions"
    assert seen[0].headers["authorization"] == "Bearer k"
    assert body["model"] == "gpt-x" and body["temperature"] == 0
    assert body["messages"] == [
        {"role": "system", "content": "sys"},
        {"role": "user", "content": "hi"},
    ]


def test_ollama_provider_request_and_reply() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"message": {"role": "assistant", "content": "Ok."}})

    client = httpx.Client(transport=httpx.MockTransport(handler))
    provider = OllamaProvider("llama3", base_url="http://ollama.test:11434", client=client)
    assert provider.complete([HumanMessage("hi")]) == "Ok."
    assert str(seen[0].url) == "http://ollama.test:11434/api/chat"
    assert json.loads(seen[0].content)["stream"] is False


def test_make_provider_from_config() -> None:
    ollama = make_provider(InsightConfig(llm_provider="ollama", llm_model="llama3"))
    assert isinstance(ollama, OllamaProvider) and ollama.base_url == "http://localhost:11434"
    openai = make_provider(
        InsightConfig(llm_provider="openai", llm_model="m", llm_base_url="http://x/v1")
    )
    assert isinstance(openai, OpenAICompatibleProvider) and openai.base_url == "http://x/v1"
    with pytest.raises(ValueError, match="llm_model"):
        make_provider(InsightConfig(llm_provider="openai"))


def test_rules_fingerprint_ignores_narration_knobs() -> None:
    base = InsightConfig()
    assert base.rules_fingerprint() == replace_cfg(base, llm_model="m").rules_fingerprint()
    assert base.rules_fingerprint() != replace_cfg(base, crash_loop_window_s=60).rules_fingerprint()


def replace_cfg(config: InsightConfig, **changes: Any) -> InsightConfig:
    return config.model_copy(update=changes)
