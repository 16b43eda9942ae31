"""The contract's fast path (`fast_check`) against the validated path (`validate_event`).

Parsers' and receivers' events skip the pydantic model when `fast_check` vouches for
them. These tests hold the two paths to one result: on every event the real agent
logs give, the same timestamp, the same content hash and the same landed row; and on
each kind of event the model would change or refuse, the fast path steps aside.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from achilles.importer import AGENTS, ImportSummary, LocalSink, find_files, read_file
from achilles_core.contract import (
    Limits,
    compute_event_hash,
    fast_check,
    to_micros,
    validate_event,
)
from achilles_core.landing import LandedEvent, LandingZone, to_table
from achilles_core.settings import Settings
from ingest_api.service import prepare_events
from tests.real_sessions import AGENT_FOLDERS, unpack

LIMITS = Limits()
NOW = datetime(2026, 12, 1, tzinfo=UTC)
NOW_US = to_micros(NOW)


def real_events(tmp_path: Path) -> list[dict[str, Any]]:
    """Every event the real fixtures of every agent give, as the importer sends them."""
    events: list[dict[str, Any]] = []
    for agent, folder in sorted(AGENT_FOLDERS.items()):
        fmt = AGENTS[agent]
        logs = unpack(folder, tmp_path / agent)
        for path, _ in find_files(fmt, [logs]):
            events.extend(read_file(fmt, path, ImportSummary(), include_prompts=True))
    return events


def test_every_real_event_takes_the_fast_path_with_the_validated_paths_result(tmp_path):
    events = real_events(tmp_path)
    assert len(events) > 500
    for raw in events:
        fast = fast_check(raw, LIMITS, NOW_US)
        assert fast is not None, raw
        event = validate_event(raw, limits=LIMITS, now=NOW)
        assert fast == (to_micros(event.timestamp), compute_event_hash(event)), raw


def test_the_fast_rows_land_as_the_validated_rows(tmp_path):
    events = real_events(tmp_path)
    at = datetime(2026, 12, 1, 12, tzinfo=UTC)
    fast, slow = [], []
    for n, raw in enumerate(events):
        micros, event_hash = fast_check(raw, LIMITS, NOW_US) or (0, "")
        event = validate_event(raw, limits=LIMITS, now=NOW)
        fast.append(LandedEvent(raw, f"e{n}", "client", event_hash, micros))
        slow.append(LandedEvent(event, f"e{n}", "client", event_hash, micros))
    assert to_table(fast, at, "b").equals(to_table(slow, at, "b"))


def test_an_import_lands_what_the_validated_path_lands(tmp_path):
    """The whole importer, fast path on, against the same events through the model."""
    events = real_events(tmp_path)
    on = LocalSink(Settings(data_dir=tmp_path / "on", _env_file=None))
    on.send(events)
    off = LocalSink(Settings(data_dir=tmp_path / "off", _env_file=None))
    # Each event as a pydantic model dump: not a plain dict of exact types, so every
    # one goes through validate_event.
    results, by_session = prepare_events(events, LIMITS)
    assert all(isinstance(item[5], dict) for items in by_session.values() for item in items)
    slow_events = [_via_model(raw) for raw in events]
    results_slow, by_session_slow = prepare_events(slow_events, LIMITS)
    assert not any(isinstance(item[5], dict) for v in by_session_slow.values() for item in v)
    off.service.land("default", by_session_slow, results_slow)

    def rows(root: Path) -> list[tuple[Any, ...]]:
        zone = LandingZone(root / "landing" / "events")
        table = zone.read_files(list(zone.all_files())).drop_columns(["received_at", "batch_id"])
        return sorted(tuple(r.values()) for r in table.to_pylist())

    assert rows(tmp_path / "on") == rows(tmp_path / "off")


class _Str(str):
    """A str subclass: a value pydantic accepts and the fast path leaves to it."""


def _via_model(raw: dict[str, Any]) -> dict[str, Any]:
    return {**raw, "session_id": _Str(raw["session_id"])}


BASE: dict[str, Any] = {
    "session_id": "s1",
    "event_type": "llm_call",
    "source_type": "agent",
    "timestamp": "2026-11-30T10:00:00.123456Z",
    "model": "m",
    "input_tokens": 3,
    "cost_usd": 0.5,
    "attributes": {"k": [1, 2.5, None, {"x": "y"}]},
}


def test_a_plain_event_is_vouched_for():
    assert fast_check(BASE, LIMITS, NOW_US) is not None


@pytest.mark.parametrize(
    "change",
    [
        {"input_tokens": True},  # a bool is not a count
        {"input_tokens": 3.0},  # pydantic would make it an int
        {"input_tokens": -1},
        {"input_tokens": 10**13},
        {"cost_usd": 1},  # pydantic would make it a float: another hash
        {"cost_usd": math.nan},
        {"cost_usd": math.inf},
        {"severity": "ERROR"},  # pydantic lowers it
        {"severity": "loud"},
        {"action_kind": "dance"},
        {"timestamp": "2026-11-30T10:00:00"},  # no offset
        {"timestamp": "2026-11-30t10:00:00Z"},
        {"timestamp": "2026-11-30T10:00:00.123456789Z"},
        {"timestamp": "0001-01-01T00:00:00+01:00"},  # before year 1 in UTC
        {"timestamp": (NOW + timedelta(hours=1)).isoformat()},  # in the future
        {"timestamp": 1763720103},
        {"unknown_field": 1},
        {"session_id": "bad id"},
        {"session_id": "abc\n"},
        {"event_id": ""},
        {"model": "m" * 257},
        {"message": "x" * (LIMITS.max_message_chars + 1)},
        {"message": "\udc90"},  # a lone surrogate
        {"attributes": {1: "x"}},
        {"attributes": {"x": {2: "y"}}},
        {"attributes": {"x": 2**64}},
        {"attributes": {"x": "y" * LIMITS.max_attributes_bytes}},
        {"attributes": ["not", "an", "object"]},
        {"event_type": "test_run"},  # needs a status
        {"event_type": "test_run", "status": "green"},
        {"parent_session_id": "bad id"},
        {"revision": 10**7},
        {"event_type": "nope"},
    ],
)
def test_what_the_model_would_change_or_refuse_is_left_to_it(change):
    raw = {**BASE, **change}
    assert fast_check(raw, LIMITS, NOW_US) is None
    try:
        event = validate_event(raw, limits=LIMITS, now=NOW)
        compute_event_hash(event)
    except (ValueError, TypeError):
        return  # refused (the service answers with the field, or "cannot be stored")
    # accepted after a coercion: the model's row and hash are the ones landed
