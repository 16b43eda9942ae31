"""Realistic little sessions, as a client would send them.

Used by `achilles demo`, the bundled sample data and the end-to-end tests: an
agent refactor that breaks a test, a human fix, a green run; and a session that
breaks and fixes the same thing twice.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

Event = dict[str, Any]


class _Clock:
    def __init__(self, start: datetime):
        self.now = start

    def __call__(self, seconds: float) -> str:
        self.now += timedelta(seconds=seconds)
        return self.now.isoformat().replace("+00:00", "Z")


def _llm(ts: str, agent: str, tokens_in: int, tokens_out: int, purpose: str) -> Event:
    return {
        "event_type": "llm_call",
        "source_type": "agent",
        "timestamp": ts,
        "actor": agent,
        "model": "claude-sonnet-4-5",
        "input_tokens": tokens_in,
        "output_tokens": tokens_out,
        "cost_usd": round(tokens_in * 3e-6 + tokens_out * 15e-6, 6),
        "message": purpose,
    }


def refactor_session(start: datetime, agent: str = "claude-code") -> list[Event]:
    """Agent refactor → failing test with an error → human fix → passing test (~30 events)."""
    t = _Clock(start)
    target = "src/billing/invoice.py"
    test_file = "tests/test_invoice.py"
    events: list[Event] = [
        {
            "event_type": "human_action",
            "source_type": "human",
            "timestamp": t(0),
            "actor": "dana",
            "message": "Refactor Invoice.render: pull the total computation out",
        },
        _llm(t(2), agent, 4200, 380, "plan the refactor"),
    ]
    for path, what in [
        ("src/billing/__init__.py", "Read"),
        (target, "Read"),
        ("src/billing/customer.py", "Read"),
        (test_file, "Read"),
        ("src/billing/", "Grep"),
    ]:
        events.append(
            {
                "event_type": "agent_action",
                "source_type": "agent",
                "timestamp": t(1.5),
                "actor": agent,
                "file_path": path,
                "message": f"{what} {path}",
                "attributes": {"tool": what},
            }
        )
    events += [
        _llm(t(6), agent, 9100, 1250, "write the new compute_total()"),
        {
            "event_type": "agent_action",
            "source_type": "agent",
            "timestamp": t(3),
            "actor": agent,
            "file_path": target,
            "message": "Edit: extract compute_total() from Invoice.render",
            "attributes": {"tool": "Edit", "lines_changed": 42},
        },
        {
            "event_type": "agent_action",
            "source_type": "agent",
            "timestamp": t(2),
            "actor": agent,
            "message": "Bash: pytest tests/test_invoice.py -q",
            "attributes": {"tool": "Bash", "command": "pytest tests/test_invoice.py -q"},
        },
        {
            "event_type": "test_run",
            "source_type": "ci",
            "timestamp": t(4),
            "actor": "pytest",
            "file_path": test_file,
            "status": "failed",
            "message": "tests/test_invoice.py::test_total_with_discount FAILED",
            "attributes": {"passed": 11, "failed": 1},
        },
        {
            "event_type": "error",
            "source_type": "ci",
            "timestamp": t(0.2),
            "actor": "pytest",
            "file_path": target,
            "error_type": "AttributeError",
            "severity": "error",
            "message": (
                "AttributeError: 'Invoice' object has no attribute 'discount_rate' "
                f'(File "/home/dana/work/shop/{target}", line 88, in compute_total)'
            ),
            "attributes": {
                "stack": f'File "/home/dana/work/shop/{target}", line 88, in compute_total'
            },
        },
        _llm(t(5), agent, 12800, 640, "diagnose the failure"),
        {
            "event_type": "agent_action",
            "source_type": "agent",
            "timestamp": t(3),
            "actor": agent,
            "file_path": target,
            "message": "Edit: read discount from self.customer",
            "attributes": {"tool": "Edit", "lines_changed": 3},
        },
        {
            "event_type": "test_run",
            "source_type": "ci",
            "timestamp": t(6),
            "actor": "pytest",
            "file_path": test_file,
            "status": "failed",
            "message": "tests/test_invoice.py::test_total_with_discount FAILED",
            "attributes": {"passed": 11, "failed": 1},
        },
        {
            "event_type": "error",
            "source_type": "ci",
            "timestamp": t(0.2),
            "actor": "pytest",
            "file_path": target,
            "error_type": "AttributeError",
            "severity": "error",
            "message": (
                "AttributeError: 'Invoice' object has no attribute 'discount_rate' "
                f'(File "/home/dana/work/shop/{target}", line 91, in compute_total)'
            ),
        },
        {
            "event_type": "human_action",
            "source_type": "human",
            "timestamp": t(40),
            "actor": "dana",
            "message": "Stop. I'll fix it: the rate lives on the customer's contract",
        },
        {
            "event_type": "human_action",
            "source_type": "human",
            "timestamp": t(95),
            "actor": "dana",
            "file_path": target,
            "message": "Edit: use self.customer.contract.discount_rate",
            "attributes": {"lines_changed": 2},
        },
        {
            "event_type": "test_run",
            "source_type": "ci",
            "timestamp": t(20),
            "actor": "pytest",
            "file_path": test_file,
            "status": "passed",
            "message": "12 passed in 0.84s",
            "attributes": {"passed": 12, "failed": 0},
        },
        _llm(t(4), agent, 3300, 210, "summarise the change"),
        {
            "event_type": "agent_action",
            "source_type": "agent",
            "timestamp": t(2),
            "actor": agent,
            "message": "Bash: git diff --stat",
            "attributes": {"tool": "Bash"},
        },
        {
            "event_type": "agent_action",
            "source_type": "agent",
            "timestamp": t(3),
            "actor": agent,
            "message": "Bash: git commit -m 'Extract Invoice.compute_total'",
            "attributes": {"tool": "Bash"},
        },
    ]
    return events


def break_fix_session(start: datetime, agent: str = "codex", cycles: int = 2) -> list[Event]:
    """The same failure fixed and broken again `cycles` times (plus the first break)."""
    t = _Clock(start)
    target = "pkg/cache/lru.go"
    events: list[Event] = []
    for cycle in range(cycles + 1):
        events += [
            {
                "event_type": "agent_action",
                "source_type": "agent",
                "timestamp": t(30),
                "actor": agent,
                "file_path": target,
                "message": f"apply_patch: evict oldest entry (attempt {cycle + 1})",
            },
            {
                "event_type": "test_run",
                "source_type": "ci",
                "timestamp": t(5),
                "actor": "go test",
                "status": "failed",
                "message": "--- FAIL: TestEvict (0.00s)",
            },
            {
                "event_type": "error",
                "source_type": "ci",
                "timestamp": t(0.1),
                "actor": "go test",
                "file_path": target,
                "error_type": "panic",
                "message": (
                    "panic: runtime error: index out of range [3] with length 3 "
                    f"goroutine 7 [running]: /tmp/go-build{1000 + cycle}/{target}:"
                    f"{57 + cycle} +0x1d"
                ),
            },
        ]
        if cycle < cycles:
            events += [
                {
                    "event_type": "agent_action",
                    "source_type": "agent",
                    "timestamp": t(50),
                    "actor": agent,
                    "file_path": target,
                    "message": "apply_patch: guard the index",
                },
                {
                    "event_type": "test_run",
                    "source_type": "ci",
                    "timestamp": t(8),
                    "actor": "go test",
                    "status": "passed",
                    "message": "ok  example.com/pkg/cache 0.01s",
                },
            ]
    return events


def crash_loop_session(start: datetime, agent: str = "in-house-agent") -> list[Event]:
    """A dev server the agent keeps restarting after a bad config edit."""
    t = _Clock(start)
    events: list[Event] = [
        {
            "event_type": "agent_action",
            "source_type": "agent",
            "timestamp": t(0),
            "actor": agent,
            "file_path": "config/server.toml",
            "message": "Edit: set worker_pool = 0 to 'auto-size'",
        },
        {
            "event_type": "process",
            "source_type": "system",
            "timestamp": t(4),
            "actor": "supervisor",
            "status": "spawned",
            "message": "api-server pid 4121",
        },
    ]
    for i in range(4):
        events += [
            {
                "event_type": "error",
                "source_type": "system",
                "timestamp": t(2),
                "actor": "api-server",
                "file_path": "config/server.toml",
                "error_type": "ValueError",
                "severity": "critical",
                "message": (
                    f"ValueError: worker_pool must be >= 1, got 0 "
                    f"(/srv/app/releases/{20261120 + i}/config/server.toml, line 12)"
                ),
            },
            {
                "event_type": "process",
                "source_type": "system",
                "timestamp": t(0.5),
                "actor": "supervisor",
                "status": "crashed",
                "message": f"api-server pid {4121 + i} exited with status 1",
            },
            {
                "event_type": "process",
                "source_type": "system",
                "timestamp": t(3),
                "actor": "supervisor",
                "status": "restarted",
                "message": f"api-server pid {4122 + i}",
            },
        ]
    events += [
        {
            "event_type": "process",
            "source_type": "system",
            "timestamp": t(20),
            "actor": "supervisor",
            "status": "rolled_back",
            "message": "rolled back config/server.toml to the last good release",
        },
        {
            "event_type": "human_action",
            "source_type": "human",
            "timestamp": t(60),
            "actor": "li",
            "file_path": "config/server.toml",
            "message": "Edit: worker_pool = 8",
        },
    ]
    return events


SAMPLE_START = datetime(2026, 11, 16, 9, tzinfo=UTC)  # when the bundled sample begins


def sample_sessions(base: datetime = SAMPLE_START) -> list[dict[str, Any]]:
    """The bundled sample: a few sessions across agents, as `achilles demo` sends them."""
    day = timedelta(days=1)
    return [
        {
            "start": {
                "session_id": "sample-refactor-1",
                "agent": "claude-code",
                "actor": "dana",
                "repo": "github.com/example/shop",
                "branch": "refactor-invoice",
            },
            "events": refactor_session(base, "claude-code"),
            "outcome": "completed",
        },
        {
            "start": {
                "session_id": "sample-refactor-2",
                "agent": "claude-code",
                "actor": "sam",
                "repo": "github.com/example/shop",
                "branch": "invoice-tax",
            },
            "events": refactor_session(base + day, "claude-code"),
            "outcome": "completed",
        },
        {
            "start": {
                "session_id": "sample-breakfix",
                "agent": "codex",
                "actor": "li",
                "repo": "github.com/example/cache",
                "branch": "evict",
            },
            "events": break_fix_session(base + 2 * day, "codex", cycles=2),
            "outcome": "failed",
        },
        {
            "start": {
                "session_id": "sample-crashloop",
                "agent": "in-house-agent",
                "actor": "li",
                "repo": "github.com/example/api",
                "branch": "autosize",
            },
            "events": crash_loop_session(base + 3 * day),
            "outcome": "abandoned",
        },
    ]


def sample_sessions_json() -> str:
    """The text of data/samples/sessions.json; tests/test_scenarios.py keeps the two equal."""
    return json.dumps(sample_sessions(), indent=1)


if __name__ == "__main__":
    # Regenerate the bundled sample: python -m achilles.scenarios > data/samples/sessions.json
    sys.stdout.write(sample_sessions_json())
