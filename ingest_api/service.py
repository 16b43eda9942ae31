"""The write path: what the ingest handlers call.

Validate → hash → dedupe against the session's landed events → land one
durable file per session in the batch. A per-session lock serialises check and
write inside one process; a retry racing through another worker process is
caught again by the warehouse's dedupe (dbt `int_events_deduplicated`), and by
`deduplicated_events_sql` on reads.

Reads of a session's events are in `ingest_api/session_reads.py`.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from achilles_core.contract import (
    Event,
    EventValidationError,
    Limits,
    compute_event_hash,
    derived_event_id_micros,
    fast_check,
    to_micros,
    validate_event,
)
from achilles_core.landing import LEFTOVER_TEMP_AGE_S, LandedEvent, LandingZone, to_tables
from achilles_core.projects import DEFAULT_PROJECT
from achilles_core.settings import Settings
from ingest_api.dedupe import SessionDedupeState
from ingest_api.session_reads import UnknownSession, session_exists

log = logging.getLogger("achilles.api")

ACCEPTED, DUPLICATE, REJECTED = "accepted", "duplicate", "rejected"
SESSION_START_ID, SESSION_END_ID = "session_start", "session_end"


@dataclass(slots=True)
class EventResult:
    index: int
    status: str
    event_id: str | None = None
    field: str | None = None
    reason: str | None = None


# Dedupe state, locks and landing are per (project_id, session_id): a session id is
# unique within its project only.
SessionKey = tuple[str, str]


# One event judged and hashed, ready for the dedupe check: (index in the batch, client
# event_id or None, timestamp in µs, revision, content hash, the row). The row is the
# validated Event, or the sent dict itself when `fast_check` vouched for it.
Prepared = tuple[int, str | None, int, int | None, str, Event | dict[str, Any]]


def prepare_events(
    raw_events: list[Any], limits: Limits, default_session_id: str | None = None
) -> tuple[list[EventResult], dict[str, list[Prepared]]]:
    """Judge and hash every event of a batch (pure: no landing zone needed).

    Returns one result per event (rejections filled in) and the valid ones by session.
    Every event is judged before any file lands: a bad one anywhere in the batch
    cannot fail it half-way through.
    """
    results: list[EventResult] = [EventResult(i, REJECTED) for i in range(len(raw_events))]
    by_session: dict[str, list[Prepared]] = {}
    now = datetime.now(UTC)
    now_micros = to_micros(now)
    for i, raw in enumerate(raw_events):
        if isinstance(raw, dict) and default_session_id and "session_id" not in raw:
            raw = {**raw, "session_id": default_session_id}
        fast = fast_check(raw, limits, now_micros)
        if fast is not None:
            micros, event_hash = fast
            item: Prepared = (i, raw.get("event_id"), micros, raw.get("revision"), event_hash, raw)
            by_session.setdefault(raw["session_id"], []).append(item)
            continue
        try:
            event = validate_event(raw, limits=limits, now=now)
            event_hash = compute_event_hash(event)
        except EventValidationError as exc:
            results[i].field = exc.field
            results[i].reason = exc.reason if len(exc.errors) == 1 else str(exc)
            continue
        except (ValueError, TypeError, OverflowError, RecursionError) as exc:
            # A value the contract let through but cannot be stored: a rejection, not a 500.
            log.warning("event %d rejected by an unexpected check: %r", i, exc)
            results[i].field, results[i].reason = "event", "cannot be stored as sent"
            continue
        item = (i, event.event_id, to_micros(event.timestamp), event.revision, event_hash, event)
        by_session.setdefault(event.session_id, []).append(item)
    return results, by_session


class IngestService:
    """Owns the landing zones (one per project) and the in-memory dedupe state of recent
    sessions."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._zones: dict[str, LandingZone] = {}
        self.landing = self.zone(DEFAULT_PROJECT)
        # What a killed server left half-written (old enough not to be another
        # worker's write in flight).
        for project_id in settings.project_ids():
            self.zone(project_id).remove_leftover_temp_files(LEFTOVER_TEMP_AGE_S)
        self.limits = Limits(
            max_future_skew_s=settings.max_future_skew_s,
            max_attributes_bytes=settings.max_attributes_bytes,
            max_message_chars=settings.max_message_chars,
        )
        self.window_us = int(settings.dedupe_window_s * 1_000_000)
        self._states: OrderedDict[SessionKey, SessionDedupeState] = OrderedDict()
        self._locks: dict[SessionKey, threading.Lock] = {}
        self._guard = threading.Lock()

    def zone(self, project_id: str) -> LandingZone:
        """The project's landing zone (ingest_api/../README "Data layout")."""
        found = self._zones.get(project_id)
        if found is None:
            found = LandingZone(self.settings.project_events_dir(project_id))
            self._zones[project_id] = found
        return found

    # -- state ---------------------------------------------------------------
    def _lock_for(self, key: SessionKey) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def _state(self, key: SessionKey) -> SessionDedupeState:
        """Dedupe state, refreshed with files other processes landed since last time."""
        landing = self.zone(key[0])
        session_id = key[1]
        with self._guard:
            state = self._states.pop(key, None)
        files = landing.session_files(session_id)
        names = {f.name for f in files}
        if state is None or not state.files <= names:  # new, or compacted since
            state = SessionDedupeState()
        new = [f for f in files if f.name not in state.files]
        if new:
            try:
                table = landing.read_files(
                    new, ["event_id", "event_id_source", "event_hash", "timestamp", "revision"]
                )
            except FileNotFoundError:  # compaction swapped files: start over
                return self._state(key)
            except Exception:
                # A poison file: quarantine it and go on, so the session stays writable.
                if not landing.quarantine_unreadable(new):
                    raise
                return self._state(key)
            micros = table.column("timestamp").cast("int64").to_pylist()
            state.add_rows(
                zip(
                    table.column("event_id").to_pylist(),
                    table.column("event_id_source").to_pylist(),
                    table.column("event_hash").to_pylist(),
                    micros,
                    table.column("revision").to_pylist(),
                    strict=True,
                )
            )
            state.files |= {f.name for f in new}
        with self._guard:
            self._states[key] = state
            while len(self._states) > self.settings.session_cache_size:
                self._states.popitem(last=False)
        return state

    # -- writes --------------------------------------------------------------
    def ingest(
        self,
        raw_events: list[Any],
        default_session_id: str | None = None,
        project_id: str = DEFAULT_PROJECT,
    ) -> list[EventResult]:
        """Validate, dedupe and durably land a batch into `project_id`'s sessions; one
        result per input event."""
        results, by_session = prepare_events(raw_events, self.limits, default_session_id)
        self.land(project_id, by_session, results)
        return results

    def land(
        self, project_id: str, by_session: dict[str, list[Prepared]], results: list[EventResult]
    ) -> None:
        """Dedupe each session's prepared events and land one file per session.

        The sessions' locks are held (taken in sorted order) from the check to the
        write; the files are written and fsynced together.
        """
        keys: list[SessionKey] = [(project_id, sid) for sid in sorted(by_session)]
        locks = [self._lock_for(key) for key in keys]
        for lock in locks:
            lock.acquire()
        try:
            received_at = datetime.now(UTC)
            groups: list[tuple[list[LandedEvent], str]] = []
            sessions: list[str] = []
            states = []
            for key in keys:
                state = self._state(key)
                accepted = self._accept(state, key[1], by_session[key[1]], results)
                if accepted:
                    groups.append((accepted, uuid.uuid4().hex))
                    sessions.append(key[1])
                    states.append(state)
            if not groups:
                return
            batch = list(zip(sessions, to_tables(groups, received_at), strict=True))
            try:
                paths = self.zone(project_id).write_tables(batch, received_at)
            except BaseException:
                with self._guard:  # the states now claim events that never landed
                    for session_id, _ in batch:
                        self._states.pop((project_id, session_id), None)
                raise
            for state, path in zip(states, paths, strict=True):
                state.files.add(path.name)
        finally:
            for lock in locks:
                lock.release()

    def _accept(
        self,
        state: SessionDedupeState,
        session_id: str,
        items: list[Prepared],
        results: list[EventResult],
    ) -> list[LandedEvent]:
        """The session's events that are not duplicates, added to its dedupe state."""
        accepted: list[LandedEvent] = []
        for index, event_id, micros, revision, event_hash, row in items:
            if event_id is not None:
                source = "client"
            else:
                event_id = derived_event_id_micros(session_id, event_hash, micros)
                source = "derived"
            results[index].event_id = event_id
            if state.is_duplicate(event_id, source, event_hash, micros, self.window_us, revision):
                results[index].status = DUPLICATE
                continue
            state.add(event_id, source, event_hash, micros, revision or 0)
            accepted.append(LandedEvent(row, event_id, source, event_hash, micros))
            results[index].status = ACCEPTED
        return accepted

    def start_session(
        self,
        session_id: str | None,
        *,
        actor: str | None = None,
        agent: str | None = None,
        repo: str | None = None,
        branch: str | None = None,
        metadata: dict[str, Any] | None = None,
        started_at: datetime | None = None,
        project_id: str = DEFAULT_PROJECT,
    ) -> tuple[str, bool]:
        """Land the session's `session_start` event; (session_id, created)."""
        session_id = session_id or f"s-{uuid.uuid4().hex}"
        attributes = {
            k: v
            for k, v in {
                "agent": agent,
                "repo": repo,
                "branch": branch,
                "metadata": metadata,
            }.items()
            if v is not None
        }
        raw = {
            "session_id": session_id,
            "event_id": SESSION_START_ID,
            "event_type": "session_start",
            "source_type": "system",
            "timestamp": _iso(started_at),
            "actor": actor or agent,
            "attributes": attributes or None,
        }
        result = self._ingest_one(raw, project_id)
        return session_id, result.status == ACCEPTED

    def end_session(
        self,
        session_id: str,
        outcome: str,
        ended_at: datetime | None = None,
        project_id: str = DEFAULT_PROJECT,
    ) -> bool:
        """Land the `session_end` event; False when the session had already ended."""
        if not session_exists(self.zone(project_id), session_id):
            raise UnknownSession(session_id)
        raw = {
            "session_id": session_id,
            "event_id": SESSION_END_ID,
            "event_type": "session_end",
            "source_type": "system",
            "timestamp": _iso(ended_at),
            "status": outcome,
        }
        return self._ingest_one(raw, project_id).status == ACCEPTED

    def _ingest_one(self, raw: dict[str, Any], project_id: str) -> EventResult:
        result = self.ingest([raw], project_id=project_id)[0]
        if result.status == REJECTED:
            raise EventValidationError([(result.field or "event", result.reason or "invalid")])
        return result


def _iso(value: datetime | None) -> str:
    value = value or datetime.now(UTC)
    if value.tzinfo is None:
        raise EventValidationError([("timestamp", "must carry a UTC offset")])
    return value.isoformat()
