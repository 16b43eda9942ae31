import subprocess
import sys
from datetime import UTC, datetime

import pytest

from achilles_core.contract import (
    EventValidationError,
    Limits,
    compute_event_hash,
    derived_event_id,
    validate_event,
)

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def ev(**over):
    base = {
        "session_id": "sess-1",
        "event_type": "error",
        "source_type": "agent",
        "timestamp": "2026-11-21T11:59:00+02:00",
        "message": "KeyError: 'total'",
    }
    base.update(over)
    return {k: v for k, v in base.items() if v is not None}


def errors_of(raw, **kw):
    with pytest.raises(EventValidationError) as info:
        validate_event(raw, now=NOW, **kw)
    return dict(info.value.errors)


def test_valid_event_is_normalized_to_utc():
    event = validate_event(ev(), now=NOW)
    assert event.timestamp == datetime(2026, 11, 21, 9, 59, tzinfo=UTC)
    assert event.event_type == "error"


@pytest.mark.parametrize("field", ["session_id", "event_type", "source_type", "timestamp"])
def test_required_fields(field):
    assert errors_of(ev(**{field: None}))[field] == "required"


def test_unknown_event_type_names_the_choices():
    reason = errors_of(ev(event_type="deploy"))["event_type"]
    assert reason.startswith(
        "must be one of: agent_action, human_action, test_run, check_run, error"
    )


def test_unknown_source_type():
    assert "must be one of" in errors_of(ev(source_type="robot"))["source_type"]


@pytest.mark.parametrize("ts", ["2026-11-21T11:59:00", "2026-11-21 11:59"])
def test_timestamp_without_offset_is_rejected(ts):
    assert "UTC offset" in errors_of(ev(timestamp=ts))["timestamp"]


def test_timestamp_as_number_is_rejected():
    assert "RFC 3339" in errors_of(ev(timestamp=1732190000))["timestamp"]


def test_timestamp_far_in_future_is_rejected_near_future_is_not():
    assert "in the future" in errors_of(ev(timestamp="2026-11-21T12:30:00Z"))["timestamp"]
    validate_event(ev(timestamp="2026-11-21T12:05:00Z"), now=NOW)


@pytest.mark.parametrize("sid", ["../etc", "a/b", "", ".hidden", "x" * 129, "a b", "C:\\x"])
def test_session_id_cannot_name_a_path(sid):
    assert "letters, digits" in errors_of(ev(session_id=sid))["session_id"]


def test_test_run_status_is_required_and_constrained():
    assert "required for test_run" in errors_of(ev(event_type="test_run"))["status"]
    reason = errors_of(ev(event_type="test_run", status="green"))["status"]
    assert reason == "must be one of passed, failed, error, skipped, unknown for test_run"
    validate_event(ev(event_type="test_run", status="failed"), now=NOW)


def test_process_status_values():
    for status in ("spawned", "exited", "crashed", "restarted", "rolled_back"):
        validate_event(ev(event_type="process", source_type="system", status=status), now=NOW)
    assert "for process" in errors_of(ev(event_type="process", status="died"))["status"]


def test_negative_tokens_and_cost_rejected():
    errs = errors_of(ev(event_type="llm_call", input_tokens=-1, cost_usd=-0.1))
    assert set(errs) == {"input_tokens", "cost_usd"}


def test_attributes_size_cap():
    reason = errors_of(ev(attributes={"blob": "x" * 100}), limits=Limits(max_attributes_bytes=50))
    assert reason["attributes"].endswith("the limit is 50")


def test_attributes_must_be_object():
    assert "attributes" in errors_of(ev(attributes=[1, 2]))


def test_unknown_field_is_named():
    assert errors_of(ev(filepath="a.py"))["filepath"] == "unknown field"


def test_every_broken_rule_is_reported_at_once():
    errs = errors_of({"session_id": "../x", "event_type": "nope", "timestamp": "yesterday"})
    assert {"session_id", "event_type", "source_type", "timestamp"} <= set(errs)


def test_non_object_event():
    assert errors_of(["not", "an", "object"]) == {"event": "must be a JSON object"}


def test_severity_is_case_insensitive():
    assert validate_event(ev(severity="ERROR"), now=NOW).severity == "error"


# -- hashing ---------------------------------------------------------------------------


def h(raw):
    return compute_event_hash(validate_event(raw, now=NOW))


def test_hash_ignores_key_order_and_nested_key_order():
    a = ev(attributes={"b": 1, "a": {"y": 2, "x": 3}})
    b = dict(reversed(list(ev(attributes={"a": {"x": 3, "y": 2}, "b": 1}).items())))
    assert h(a) == h(b)


def test_hash_ignores_timestamp_ids_and_explicit_nulls():
    base = h(ev())
    assert h(ev(timestamp="2026-11-21T10:00:00Z")) == base
    assert h(ev(event_id="client-1")) == base
    assert h(ev(session_id="other")) == base
    assert h({**ev(), "file_path": None, "attributes": None}) == base


def test_hash_changes_with_content():
    assert h(ev()) != h(ev(message="KeyError: 'subtotal'"))
    assert h(ev()) != h(ev(source_type="human"))
    assert h(ev(attributes={"n": 1})) != h(ev(attributes={"n": 2}))


def test_hash_is_stable_across_processes():
    code = (
        "from datetime import datetime, UTC;"
        "from achilles_core.contract import validate_event, compute_event_hash;"
        "print(compute_event_hash(validate_event({'session_id': 's', 'event_type': 'error',"
        "'source_type': 'ci', 'timestamp': '2026-01-01T00:00:00Z', 'message': 'm',"
        "'attributes': {'z': 1, 'a': [1, 2]}})))"
    )
    outs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed},
        ).stdout.strip()
        for seed in ("1", "2")
    }
    assert len(outs) == 1
    raw = {
        "session_id": "s",
        "event_type": "error",
        "source_type": "ci",
        "timestamp": "2026-01-01T00:00:00Z",
        "message": "m",
        "attributes": {"a": [1, 2], "z": 1},
    }
    assert outs == {h(raw)}


def test_derived_event_id_depends_on_timestamp_and_session():
    event = validate_event(ev(), now=NOW)
    hash_ = compute_event_hash(event)
    first = derived_event_id("s", hash_, event.timestamp)
    assert first == derived_event_id("s", hash_, event.timestamp)
    assert first != derived_event_id("t", hash_, event.timestamp)
    later = validate_event(ev(timestamp="2026-11-21T11:59:01+02:00"), now=NOW)
    assert first != derived_event_id("s", hash_, later.timestamp)


def test_agent_log_fields_are_validated_by_name():
    validate_event(
        ev(
            event_type="agent_action",
            tool_name="Edit",
            action_kind="edit",
            status="ok",
            duration_ms=1200,
            revision=1,
            parent_session_id="parent-1",
        ),
        now=NOW,
    )
    errors = errors_of(
        ev(action_kind="refactor", cache_read_tokens=-1, parent_session_id="a/b", revision=-2)
    )
    assert errors["action_kind"].startswith("must be one of: edit, command, read")
    assert set(errors) == {"action_kind", "cache_read_tokens", "parent_session_id", "revision"}
    assert "check_run" in errors_of(ev(event_type="check_run"))["status"]


def test_numbers_are_bounded_on_arrival():
    # A value no warehouse column could hold never reaches a build.
    errors = errors_of(ev(input_tokens=2**63, cost_usd=1e26, reasoning_tokens=10**13))
    assert set(errors) == {"input_tokens", "cost_usd", "reasoning_tokens"}
