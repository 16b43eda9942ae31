"""The `error` events of a tool call, a test run or a check run, alike for every agent.

Each parser decides what a call and its run are (the agents log them differently);
what their errors look like is one rule, kept here: a failed call gives one error
`<call id>:error`; each failure a run names gives `<run id>:<n>`; a run that failed
without naming one gives `<run id>:0` with the lines of its output that say why.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ingest_api.sources.base import clip
from ingest_api.sources.runners import Failure, error_lines

_SHORT_MAX = 256


def call_error(
    template: dict[str, Any],
    call_id: str,
    tool_name: str,
    error_type: str,
    message: str | None,
    *,
    file_path: str | None = None,
    exit_code: int | None = None,
) -> dict[str, Any]:
    """The one `error` of a failed tool call; `template` holds the event's common fields."""
    err = dict(template)
    err.update(
        event_id=f"{call_id}:error",
        parent_id=call_id,
        severity="error",
        error_type=error_type,
        message=message,
        attributes={"tool_name": tool_name},
    )
    if file_path is not None:
        err["file_path"] = file_path
    if exit_code is not None:
        err["attributes"]["exit_code"] = exit_code
    return err


def run_errors(
    template: dict[str, Any],
    run_id: str,
    run_kind: str | None,
    status: str,
    failures: Sequence[Failure],
    output: str,
    *,
    message_max: int,
    with_line: bool,
) -> list[dict[str, Any]]:
    """The `error` events of a finished test or check run.

    `template` holds the common fields of an event at the run's end; `with_line` adds
    each failure's line number to its attributes (only the Codex parser does, so far).
    """
    events = []
    for i, f in enumerate(failures):
        err = dict(template)
        err.update(
            event_id=f"{run_id}:{i}",
            parent_id=run_id,
            severity="error",
            error_type=clip(f.error_type, _SHORT_MAX),
            message=clip(f.message, message_max),
            attributes={"test_id": clip(f.test_id, 1000)},
        )
        if f.file_path:
            err["file_path"] = f.file_path[:4096]
        if with_line and f.line is not None:
            err["attributes"]["line"] = f.line
        events.append(err)
    if not failures and status in ("failed", "error") and output:
        # the run failed without naming a test (a compile error, a crash)
        err = dict(template)
        err.update(
            event_id=f"{run_id}:0",
            parent_id=run_id,
            severity="error",
            error_type=f"{run_kind}_run_failed",
            message=clip(error_lines(output) or output[-2000:], message_max),
        )
        events.append(err)
    return events
