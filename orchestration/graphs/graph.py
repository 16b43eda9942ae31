"""The insight graph and the one function the Dagster asset calls."""

# START → load_basic_context → detect_basic_insights → write_insights ─┬→ END
#                                                                       └→ narrate → END
# (the narrate node exists only when a provider is given or configured)

from __future__ import annotations

import gc
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from functools import partial
from typing import Any

import duckdb
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from achilles_core.collector import manual_collections
from achilles_core.insight_config import InsightConfig
from achilles_core.vocab import INSIGHT_KINDS
from orchestration.graphs.llm import ChatProvider, make_provider
from orchestration.graphs.marts import BatchRows, plan_batches, read_batch
from orchestration.graphs.nodes import (
    detect_basic_insights,
    load_basic_context,
    narrate,
    route_after_write,
    write_insights,
)
from orchestration.graphs.state import InsightContext, InsightState
from orchestration.graphs.store import ensure_store, open_counts_by_kind, sessions_to_evaluate

InsightGraph = CompiledStateGraph[InsightState, InsightContext, InsightState, InsightState]


def build_graph(provider: ChatProvider | None = None) -> InsightGraph:
    """Compile the insight graph; without a provider there is no narrate node at all."""
    graph = StateGraph(
        InsightState,
        context_schema=InsightContext,
        input_schema=InsightState,
        output_schema=InsightState,
    )
    graph.add_node("load_basic_context", load_basic_context)
    graph.add_node("detect_basic_insights", detect_basic_insights)
    graph.add_node("write_insights", write_insights)
    graph.add_edge(START, "load_basic_context")
    graph.add_edge("load_basic_context", "detect_basic_insights")
    graph.add_edge("detect_basic_insights", "write_insights")
    if provider is None:
        graph.add_edge("write_insights", END)
    else:
        graph.add_node("narrate", partial(narrate, provider=provider))
        graph.add_conditional_edges("write_insights", route_after_write, ["narrate", END])
        graph.add_edge("narrate", END)
    return graph.compile()


def run_insights(
    con: duckdb.DuckDBPyConnection,
    config: InsightConfig | None = None,
    provider: ChatProvider | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Evaluate every session with new data, in batches; return counts for asset metadata.

    `con` is the build warehouse, read-write. `provider` overrides the one the
    config describes; with neither, nothing is narrated. `now` is the wall clock
    recorded as first_computed_at (tests pin it).
    """
    config = config or InsightConfig()
    now = now or datetime.now(UTC)
    if provider is None:
        provider = make_provider(config)
    ensure_store(con)
    graph = build_graph(provider)
    context = InsightContext(con=con, config=config, now=now)

    totals: dict[str, Any] = {
        "sessions_evaluated": 0,
        "detected": 0,
        "new": 0,
        "changed": 0,
        "reopened": 0,
        "resolved": 0,
        "unchanged": 0,
        "narrated": 0,
        "narration_failed": 0,
        "by_kind": dict.fromkeys(INSIGHT_KINDS, 0),
    }
    batches = plan_batches(con, sessions_to_evaluate(con, config), config.session_batch_size)
    # Reading a batch is DuckDB work, which runs without the GIL: a second connection
    # reads the next batch while this thread builds the current one's objects,
    # evaluates and writes it (the reads touch only the marts, which the step never
    # writes).
    reader = con.cursor()
    # A batch allocates an object per kept event, none of them in a cycle: the cyclic
    # collector's automatic passes over them found nothing and cost 15-20 % of the
    # step. It runs once per batch instead, when the batch's objects are gone.
    try:
        with manual_collections(), ThreadPoolExecutor(max_workers=1) as pool:

            def read(i: int) -> Future[BatchRows]:
                b = batches[i]
                return pool.submit(read_batch, reader, b.session_ids, config, True, b.rows)

            reading = read(0) if batches else None
            for i, batch in enumerate(batches):
                rows = reading.result() if reading is not None else None
                reading = read(i + 1) if i + 1 < len(batches) else None
                contexts = rows.contexts() if rows is not None else []
                out = graph.invoke(
                    {"session_ids": batch.session_ids, "contexts": contexts}, context=context
                )
                _add_counts(totals, out)
                del rows, contexts, out
                gc.collect()
    finally:
        reader.close()
    totals["open_by_kind"] = {**dict.fromkeys(INSIGHT_KINDS, 0), **open_counts_by_kind(con)}
    return totals


def _add_counts(totals: dict[str, Any], out: dict[str, Any]) -> None:
    """Add one batch's counts (the graph's output) to the run's."""
    for key, value in out.get("counts", {}).items():
        if key == "by_kind":
            for kind, n in value.items():
                totals["by_kind"][kind] = totals["by_kind"].get(kind, 0) + n
        else:
            totals[key] += value
    totals["narrated"] += out.get("narrated", 0)
    totals["narration_failed"] += out.get("narration_failed", 0)
