"""The log of a real quiet run: no colour codes, and the progress `achilles run` shows
is read from it (stages in order, dbt node n of m)."""

from __future__ import annotations

import pytest

from orchestration.pipeline import STAGES, Progress, parse_progress, pipeline_log_path, strip_ansi

pytestmark = pytest.mark.slow


def test_the_run_log_has_no_colour_codes_and_tells_the_progress(built):
    text = pipeline_log_path(built.settings).read_text()
    assert "\x1b" not in text
    seen: list[Progress] = []
    current = None
    for line in text.splitlines(keepends=True):
        found = parse_progress(line, current)
        if found is not None:
            seen.append(found)
            current = found
    stages = [p.stage for p in seen if p.node_n is None]
    assert stages == list(STAGES.values())
    nodes = [p for p in seen if p.node_n is not None]
    assert nodes and all(p.stage == "dbt build" for p in nodes)
    total = nodes[0].node_m
    assert total and max(p.node_n for p in nodes) == total
    models = {p.model for p in nodes if p.is_model}
    assert {"events", "sessions", "agent_performance"} <= models


def test_progress_lines_and_colour_codes():
    step = (
        "2026-11-30 22:57:07 +0000 - dagster - DEBUG - achilles_pipeline - ed1f - 1052 - "
        'achilles_dbt_models - STEP_START - Started execution of step "achilles_dbt_models".\n'
    )
    stage = parse_progress(step, None)
    assert stage == Progress("dbt build", 2)
    model = parse_progress("6 of 91 START sql incremental model main.events ..... [RUN]\n", stage)
    assert model == Progress("dbt build", 2, model="events", node_n=6, node_m=91, is_model=True)
    test = parse_progress("7 of 91 START test unique_events_event_id ....... [RUN]\n", model)
    assert test is not None and (test.node_n, test.is_model) == (7, False)
    # dbt in the run's own process puts the time of day first
    timed = parse_progress("05:18:55  8 of 91 START sql table model main.sessions [RUN]\n", stage)
    assert timed == Progress("dbt build", 2, model="sessions", node_n=8, node_m=91, is_model=True)
    assert parse_progress("6 of 91 OK created sql view model main.x [OK]\n", stage) is None
    assert strip_ansi("[\x1b[32mOK\x1b[0m in 0.1s]") == "[OK in 0.1s]"
