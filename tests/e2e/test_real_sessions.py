"""Real Claude Code, Codex and Gemini logs and hook payloads, imported and built once:
the warehouse says what a person reading those logs would say."""

from __future__ import annotations

import json
import re
from collections import Counter

import duckdb
import pytest

from ingest_api.sources.claude_code import parse_claude_code
from tests.ingest_api.sources.test_claude_code import CCUSAGE
from tests.real_sessions import hook_payloads, records

pytestmark = pytest.mark.slow

EDIT_TOOLS = {"Edit", "Write", "MultiEdit"}
REJECTED = "The user doesn't want to proceed"


@pytest.fixture(scope="module")
def wh(real_warehouse):
    con = duckdb.connect(str(real_warehouse.settings.published_db), read_only=True)
    yield con
    con.close()


def transcript_tool_uses(real_warehouse):
    """(session_id, tool_use block, its tool_result block or None) from the raw files."""
    results = {}
    uses = []
    for path in sorted(real_warehouse.logs["claude-code"].iterdir()):
        for rec in records(path):
            content = (rec.get("message") or {}).get("content")
            if not isinstance(content, list):
                continue
            for block in content:
                if block.get("type") == "tool_use" and not rec.get("isSidechain"):
                    uses.append((rec["sessionId"], block))
                elif block.get("type") == "tool_result":
                    results[block["tool_use_id"]] = block
    return [(sid, use, results.get(use["id"])) for sid, use in uses]


def test_every_edit_is_an_edit_action_with_its_file(real_warehouse, wh):
    edits = [(s, u) for s, u, _ in transcript_tool_uses(real_warehouse) if u["name"] in EDIT_TOOLS]
    assert len(edits) > 10
    for sid, use in edits:
        row = wh.execute(
            "select action_kind, file_path, tool_name from events "
            "where session_id = ? and event_id = ?",
            [sid, use["id"]],
        ).fetchone()
        assert row == ("edit", use["input"]["file_path"], use["name"]), (sid, use["id"])


def test_every_user_rejection_is_rejected_not_an_error(real_warehouse, wh):
    rejected = [
        (s, u["id"])
        for s, u, result in transcript_tool_uses(real_warehouse)
        if result is not None and REJECTED in str(result.get("content"))
    ]
    assert rejected
    for sid, tool_id in rejected:
        (status,) = wh.execute(
            "select status from events where session_id = ? and event_id = ?", [sid, tool_id]
        ).fetchone()
        assert status == "rejected"
        errors = wh.execute(
            "select count(*) from events where session_id = ? and parent_id = ? "
            "and event_type = 'error'",
            [sid, tool_id],
        ).fetchone()[0]
        assert errors == 0


def test_mix_test_outcomes_follow_the_runner_summary(wh):
    runs = wh.execute(
        "select status, attributes->>'summary' from events "
        "where event_type = 'test_run' and message like 'mix test%' "
        "or (event_type = 'test_run' and message like '%&& mix test%')"
    ).fetchall()
    assert len(runs) == 14
    for status, summary in runs:
        m = re.search(r"(\d+) failures?", summary or "")
        if m is None:  # it never got to run its tests: the file did not compile
            assert status == "error", summary
        else:
            assert status == ("passed" if m.group(1) == "0" else "failed"), summary
    assert Counter(s for s, _ in runs) == {"passed": 10, "failed": 3, "error": 1}


def test_token_totals_equal_ccusage_per_session(real_warehouse, wh):
    for name, expected in CCUSAGE.items():
        path = real_warehouse.logs["claude-code"] / name.removesuffix(".gz")
        parsed = parse_claude_code(path.read_bytes().splitlines(), source=path.name)
        (sid,) = [s for s, f in parsed.sessions.items() if "parent_session_id" not in f]
        row = wh.execute(
            "select sum(input_tokens), sum(output_tokens), sum(cache_read_tokens), "
            "sum(cache_write_tokens) from events where session_id = ? and event_type = 'llm_call'",
            [sid],
        ).fetchone()
        assert tuple(int(v) for v in row) == expected, name
    # Codex: `CODEX_HOME=… npx ccusage@20.0.24 codex session --json --offline`
    row = wh.execute(
        "select sum(input_tokens), sum(cache_read_tokens), sum(output_tokens), "
        "sum(reasoning_tokens) from events "
        "where session_id = '019e1625-789d-76c0-80ab-3724b5ddb799' and event_type = 'llm_call'"
    ).fetchone()
    assert tuple(int(v) for v in row) == (1126300, 4929536, 9118, 1759)


def test_subagents_are_sessions_of_their_own(wh):
    children = wh.execute(
        "select session_id, parent_session_id, agent from sessions "
        "where parent_session_id is not null order by session_id"
    ).fetchall()
    assert children and all(sid.startswith(parent + ".") for sid, parent, _ in children)
    assert {agent for _, _, agent in children} == {"claude-code"}


def test_hook_sessions_show_up_as_sessions(wh):
    hook_sessions = {json.loads(body)["session_id"] for _, body in hook_payloads()}
    rows = wh.execute("select session_id from sessions where agent = 'claude-code'").fetchall()
    built = {sid for (sid,) in rows}
    assert hook_sessions <= built


def test_every_agent_has_its_sessions_with_facts(wh):
    by_agent = dict(wh.execute("select agent, count(*) from sessions group by agent").fetchall())
    assert by_agent["codex"] == 2 and by_agent["gemini"] == 2
    assert by_agent["claude-code"] >= 8
    missing = wh.execute(
        "select count(*) from sessions where agent = 'codex' and project is null"
    ).fetchone()[0]
    assert missing == 0


def test_the_report_counts_each_attributed_failure_once_under_its_best_cause(real_warehouse, wh):
    """A failed tool call's own error is attributed to the call ('self') and, being
    seconds after the previous action, also by the time window: the report counts it
    once, under the call, not under whatever ran just before it."""
    from achilles.report import attributed_causes_sql
    from ingest_api.warehouse import WarehouseReader

    (outcomes, by_two_methods), *_ = wh.execute(
        "select count(*), count(*) filter (where methods > 1) from ("
        "select project_id, session_id, error_event_id, count(distinct method) as methods "
        "from event_correlations group by all)"
    ).fetchall()
    assert by_two_methods > 0
    reader = WarehouseReader(real_warehouse.settings.published_db)
    try:
        rows, _ = reader.query(attributed_causes_sql("true", "", 100_000), [])
    finally:
        reader.close()
    assert sum(r["errors"] for r in rows) == outcomes
    # every failed tool call with an error of its own is shown as its own cause
    own = wh.execute(
        "select e.session_id, coalesce(a.file_path, a.tool_name) from events as e "
        "join events as a on a.session_id = e.session_id and a.event_id = e.parent_id "
        "where e.event_type = 'error' and a.event_type = 'agent_action'"
    ).fetchall()
    assert own
    shown = {(r["session_id"], r["cause"]) for r in rows}
    assert set(own) <= shown
