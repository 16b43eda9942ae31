"""Attribution, clusters and insights on the real sessions in tests/fixtures (issue 10).

The recorded Claude Code, Codex and Gemini sessions are parsed by the shipped parsers,
landed through the ingest service, built by the real `dbt build` and evaluated by the
insight step, once per test session (one build, ~10 s). A copy of the Claude Code
session with the failing runs is landed a day later under another session id, so the
"same failure in two sessions" property is checked on real messages.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from achilles.importer import AGENTS
from ingest_api.sources.base import with_session_starts
from orchestration.graphs import InsightConfig, run_insights
from tests.dbt_marts import DbtMarts

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
AGENT_DIRS = {"claude-code": "claude-code", "codex": "codex", "gemini": "gemini"}
FAILING_SESSION = "258c7280-ae70-4798-800f-63464d01a85d"
COPY = "copy-of-258c7280"
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def real_events() -> Iterator[dict[str, Any]]:
    for agent, folder in AGENT_DIRS.items():
        fmt = AGENTS[agent]
        for path in sorted((FIXTURES / folder).iterdir()):
            if path.name.endswith(".md"):
                continue
            data = path.read_bytes()
            if path.name.endswith(".gz"):
                data = gzip.decompress(data)
                path = path.with_suffix("")
            yield from with_session_starts(fmt.parse(path, data, False))


def shifted_copy(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The failing session again, a day later under another id (other run times too)."""
    out = []
    for e in events:
        if e["session_id"] != FAILING_SESSION:
            continue
        ts = datetime.fromisoformat(e["timestamp"]) + timedelta(days=1)
        out.append({**e, "session_id": COPY, "timestamp": ts.isoformat()})
    return out


@pytest.fixture(scope="session")
def real_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    marts = DbtMarts(tmp_path_factory.mktemp("real_sessions") / "data")
    events = list(real_events())
    marts.land(events)
    marts.land(shifted_copy(events))
    marts.build(data_tests=True)
    with duckdb.connect(str(marts.build_db)) as con:
        run_insights(con, InsightConfig(), now=NOW)
    return marts.build_db


def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_failing_runs_after_an_edit_go_to_the_last_edit_of_the_named_file(
    real_warehouse: Path,
) -> None:
    # For every failing test run with an edit before it: the files it names (its
    # errors' file_path and its targets), the last edit of each before the run; the
    # rank-1 change_set row must be one of those edits.
    found = rows(
        real_warehouse,
        """
        with failing as (
            select session_id, event_id as run_id, "timestamp" as run_at, attributes
            from events
            where event_type = 'test_run' and status in ('failed', 'error')
              and exists (
                  select 1 from events e
                  where e.session_id = events.session_id and e.action_kind = 'edit'
                    and e."timestamp" < events."timestamp"
              )
        ),
        named as (
            select f.session_id, f.run_id, e.file_path as path
            from failing f join events e on e.session_id = f.session_id and e.parent_id = f.run_id
            where e.file_path is not null
            union
            select session_id, run_id,
                   unnest(cast(json_extract(attributes, '$.targets') as varchar[]))
            from failing
        ),
        last_edits as (
            select n.session_id, n.run_id, n.path,
                   arg_max(e.event_id, e."timestamp") as edit_id
            from named n
            join failing f on f.session_id = n.session_id and f.run_id = n.run_id
            join events e on e.session_id = n.session_id and e.action_kind = 'edit'
                 and e.status = 'ok' and e."timestamp" < f.run_at
                 and (e.file_path = n.path or ends_with(e.file_path, '/' || n.path))
            group by all
        )
        select f.session_id, f.run_id,
               (select list(edit_id) from last_edits l
                 where l.session_id = f.session_id and l.run_id = f.run_id) as expected,
               (select action_event_id from event_correlations c
                 where c.session_id = f.session_id and c.error_event_id = f.run_id
                   and c.method = 'change_set' and c.attribution_rank = 1) as rank_one
        from failing f
        order by 1, 2
        """,
    )
    # 4 failing runs in the Claude Code session, 4 in its copy, 1 in the Codex session
    assert len(found) == 9
    for session_id, run_id, expected, rank_one in found:
        assert expected, (session_id, run_id)
        assert rank_one in expected, (session_id, run_id, expected, rank_one)


def test_no_read_or_search_is_a_cause(real_warehouse: Path) -> None:
    # 'self' rows are a call's own failure (a Read of a missing file), not the cause of
    # another failure: they are the only rows a read may have.
    assert (
        rows(
            real_warehouse,
            """
            select c.session_id, c.action_event_id, c.method, c.confidence
            from event_correlations c
            join events a on a.session_id = c.session_id and a.event_id = c.action_event_id
            where a.action_kind in ('read', 'search', 'web') and c.confidence >= 0.5
              and c.method <> 'self'
            """,
        )
        == []
    )
    # and the change_set method never lists one at all
    assert (
        rows(
            real_warehouse,
            """
            select 1 from event_correlations c
            join events a on a.session_id = c.session_id and a.event_id = c.action_event_id
            where c.method = 'change_set' and a.action_kind not in ('edit', 'command')
            """,
        )
        == []
    )


def test_the_same_failure_in_two_sessions_is_one_cluster(real_warehouse: Path) -> None:
    clusters = rows(
        real_warehouse,
        f"""
        select cluster_id, error_type, occurrences, sessions_affected
        from error_clusters
        where cluster_id in (
            select cluster_id from error_occurrences where session_id = '{FAILING_SESSION}'
        )
        order by cluster_id
        """,
    )
    assert clusters and all(c[3] >= 2 for c in clusters)
    # a Read of a missing file in two different real sessions (and the copy): one cluster
    assert ("file_not_found", 3) in [(c[1], c[3]) for c in clusters]
    # five tests failing with one CompileError in one run are one cluster, not five
    (compile_error,) = [c for c in clusters if c[1] == "CompileError"]
    assert compile_error[2] == 10  # 5 tests x 2 sessions


def test_insights_on_real_sessions(real_warehouse: Path) -> None:
    found = rows(
        real_warehouse,
        "select session_id, kind, count(*) from insights where status = 'open' group by all",
    )
    kinds = {(s, k): n for s, k, n in found}
    # one per causing edit and failing scope: the Write that broke compilation, and
    # the Edit after which the scope stayed red for three runs
    assert kinds[(FAILING_SESSION, "agent_caused_error")] == 2
    assert kinds[("019e1625-789d-76c0-80ab-3724b5ddb799", "agent_caused_error")] == 1
    # exploration sessions (reading a code base, driving a browser) are no stall
    assert not [k for k in kinds if k[1] == "no_progress"]
    # no session of these has a scope broken and fixed, or one failure looping
    assert not [k for k in kinds if k[1] in ("break_fix_cycle", "repeated_error")]
