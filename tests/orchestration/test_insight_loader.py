"""The insight step's reduced reads give the findings of whole timelines.

`load_contexts` leaves out of a session's timeline what no detector that can fire
there reads (marts.py: `_skipped_kinds`, `_timeline_rows`), and `detect_all` skips the
detectors set-based bounds ruled out. Both are exact only if the bounds really are
bounds and the SQL form of `is_change` is the Python one; these tests hold them to
that on warehouses the real dbt project built: generated sessions (no action kinds,
many llm calls), the real agent sessions in tests/fixtures (reads, searches, writing
commands) and the hand-written insight scenarios, each under the default knobs and
under knobs that make every detector likely to fire.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from achilles.generate.driver import generate
from orchestration.graphs import InsightConfig
from orchestration.graphs.detectors import WHOLE_TIMELINE_KINDS, detect_all
from orchestration.graphs.marts import Batch, keyed, load_contexts, plan_batches
from tests.dbt.test_attribution_real_sessions import real_events
from tests.dbt_marts import DbtMarts
from tests.orchestration.test_insight_graph import ROUNDS

CONFIGS = {
    "default": InsightConfig(),
    # every bound passes for most sessions: whole timelines, every detector runs
    "eager": InsightConfig(
        error_density_threshold=1.0,
        error_density_min_events=2,
        no_progress_actions=2,
        repeated_error_threshold=2,
        crash_loop_min_events=2,
    ),
    # some sessions only: both kinds of timeline in one batch
    "mixed": InsightConfig(error_density_threshold=8.0, no_progress_actions=5),
}


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("insight_loader")
    generated = DbtMarts(root / "generated")
    generate(
        generated.settings.events_dir,
        12,
        seed=3,
        target_events=12_000,
        start=datetime(2026, 10, 1, tzinfo=UTC),
    )
    real = DbtMarts(root / "real")
    real.land(real_events())
    scenarios = DbtMarts(root / "scenarios")
    for events in ROUNDS:
        scenarios.land(events)
    out = {}
    for name, marts in (("generated", generated), ("real", real), ("scenarios", scenarios)):
        marts.build(data_tests=False)
        out[name] = marts.build_db
    return out


@pytest.mark.slow
@pytest.mark.parametrize("config_name", sorted(CONFIGS))
@pytest.mark.parametrize("warehouse", ["generated", "real", "scenarios"])
def test_reduced_timelines_give_the_findings_of_whole_ones(
    warehouses: dict[str, Path], warehouse: str, config_name: str
) -> None:
    config = CONFIGS[config_name]
    with duckdb.connect(str(warehouses[warehouse]), read_only=True) as con:
        ids = [r[0] for r in con.execute(f"select session_id from {keyed('sessions')}").fetchall()]
        reduced = load_contexts(con, ids, config)
        whole = load_contexts(con, ids, config, reduce=False)
    assert [c.session_id for c in reduced] == [c.session_id for c in whole] == sorted(ids)

    findings = 0
    for r, w in zip(reduced, whole, strict=True):
        assert not w.skip
        expected = detect_all(w.summary, w.timeline, w.clusters, w.correlations, config)
        got = detect_all(r.summary, r.timeline, r.clusters, r.correlations, config, r.skip)
        assert got == expected, r.session_id
        # a skipped detector would have found nothing
        for kind in r.skip:
            assert kind in WHOLE_TIMELINE_KINDS
            assert not [f for f in expected if f.kind == kind], (r.session_id, kind)
        findings += len(expected)
    assert findings > 0
    # the comparison is not vacuous: something was left out
    if config_name == "default":
        assert any(c.skip == WHOLE_TIMELINE_KINDS for c in reduced)
        assert sum(len(c.timeline) for c in reduced) < sum(len(c.timeline) for c in whole)
    if config_name == "eager":
        assert any(c.skip != WHOLE_TIMELINE_KINDS for c in reduced)


@pytest.mark.slow
@pytest.mark.parametrize("warehouse", ["generated", "real", "scenarios"])
def test_batches_bounded_by_rowid_load_what_unbounded_ones_do(
    warehouses: dict[str, Path], warehouse: str
) -> None:
    """`plan_batches` orders sessions by where their events lie and bounds each batch's
    read by rowid; every session is in one batch, and its context is the one an
    unbounded read of the same sessions gives."""
    config = CONFIGS["eager"]
    with duckdb.connect(str(warehouses[warehouse]), read_only=True) as con:
        ids = sorted(
            r[0] for r in con.execute(f"select session_id from {keyed('sessions')}").fetchall()
        )
        batches = plan_batches(con, ids, 2)
        assert sorted(s for b in batches for s in b.session_ids) == ids
        assert all(len(b.session_ids) <= 2 for b in batches)
        # a dbt build's events lie in a table: every batch is bounded
        assert all(
            b.rows is not None and b.rows.table == "int_events_deduplicated" for b in batches
        )
        for b in batches:
            bounded = load_contexts(con, b.session_ids, config, rows=b.rows)
            assert bounded == load_contexts(con, b.session_ids, config)
            assert [c.session_id for c in bounded] == b.session_ids
        # one batch needs no bounds
        assert plan_batches(con, ids, len(ids)) == [Batch(ids)]
