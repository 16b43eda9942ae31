"""The landing zone: accepted events as immutable Parquet files, one folder per session.

Layout (see README, "Data layout")::

    <data_dir>/landing/events/<session_id>/<received_us:020d>-<batch_id>.parquet
    <data_dir>/landing/events.<project_id>/<session_id>/<received_us:020d>-<batch_id>.parquet

The folder records the project: `events/` is project `default` (and holds every file
landed before projects existed), `events.<p>/` is project p. A `LandingZone` is one
project's folder; a session id is unique within it.

A file is written under a hidden temp name, fsynced, renamed into place and the
folder fsynced; only then is the batch acknowledged. A reader therefore sees a
file whole or not at all, and a kill -9 at any point loses nothing acknowledged.
Files are never modified. Compaction merges a session's small files into one
new file (written the same way) and only then deletes the inputs; a reader that
catches both sees each row twice with the same event_id, which every reader
deduplicates anyway.
"""

from __future__ import annotations

import errno
import logging
import os
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from achilles_core.contract import CONTENT_FIELDS, Event, to_micros

if TYPE_CHECKING:
    from achilles_core.settings import Settings

log = logging.getLogger("achilles.landing")

SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("event_id_source", pa.string()),  # 'client' or 'derived'
        ("session_id", pa.string()),
        ("event_type", pa.string()),
        ("source_type", pa.string()),
        ("timestamp", pa.timestamp("us", tz="UTC")),
        ("actor", pa.string()),
        ("file_path", pa.string()),
        ("message", pa.string()),
        ("error_type", pa.string()),
        ("severity", pa.string()),
        ("status", pa.string()),
        ("parent_id", pa.string()),
        ("trace_id", pa.string()),
        ("span_id", pa.string()),
        ("model", pa.string()),
        ("input_tokens", pa.int64()),
        ("output_tokens", pa.int64()),
        ("cost_usd", pa.float64()),
        ("attributes", pa.string()),  # compact JSON text
        ("tool_name", pa.string()),
        ("action_kind", pa.string()),
        ("duration_ms", pa.int64()),
        ("cache_read_tokens", pa.int64()),
        ("cache_write_tokens", pa.int64()),
        ("cache_write_1h_tokens", pa.int64()),
        ("reasoning_tokens", pa.int64()),
        ("parent_session_id", pa.string()),
        ("revision", pa.int32()),
        ("event_hash", pa.string()),
        ("received_at", pa.timestamp("us", tz="UTC")),
        ("batch_id", pa.string()),
        ("batch_index", pa.int32()),
    ]
)
COLUMNS = tuple(SCHEMA.names)
# Bookkeeping of the landing files: readers of events (API, warehouse) do not get these.
LANDING_ONLY_COLUMNS = ("event_id_source", "batch_id", "batch_index")
_TEXT_ENUMS = ("event_type", "source_type", "severity")
TMP_PREFIX = ".tmp-"
# Unreadable landing files are moved here (beside events/, so no reader's glob sees
# them), each with `<name>.reason.txt` saying why and where it came from.
QUARANTINE_DIR = "quarantine"
REASON_SUFFIX = ".reason.txt"
# A temp file this old is a killed writer's leftover, not a write in flight.
LEFTOVER_TEMP_AGE_S = 300.0


class LandedEvent:
    """An accepted event plus what the server adds, ready to be written.

    `event` is the validated Event, or the sent dict when the contract's fast check
    vouched for it (its values then have the contract's types already)."""

    __slots__ = ("event", "event_id", "event_id_source", "event_hash", "micros")

    def __init__(
        self,
        event: Event | dict[str, Any],
        event_id: str,
        event_id_source: str,
        event_hash: str,
        micros: int,
    ):
        self.event = event
        self.event_id = event_id
        self.event_id_source = event_id_source
        self.event_hash = event_hash
        self.micros = micros  # the timestamp as µs since the epoch


def _content_row(ev: Event | dict[str, Any]) -> dict[str, Any]:
    if isinstance(ev, dict):
        return ev
    row = {name: getattr(ev, name) for name in CONTENT_FIELDS}
    for name in _TEXT_ENUMS:
        if row[name] is not None:
            row[name] = str(row[name])
    return row


def to_table(events: Sequence[LandedEvent], received_at: datetime, batch_id: str) -> pa.Table:
    """One session's batch as one Arrow table."""
    return to_tables([(events, batch_id)], received_at)[0]


def to_tables(
    groups: Sequence[tuple[Sequence[LandedEvent], str]], received_at: datetime
) -> list[pa.Table]:
    """One Arrow table per (events, batch_id) group, all built as one and then sliced:
    building a column costs about the same for ten rows as for a thousand, and a
    batch of an import holds tens of small sessions."""
    events = [item for group, _ in groups for item in group]
    rows = [_content_row(item.event) for item in events]
    n = len(events)
    arrays: dict[str, pa.Array] = {}
    for name in CONTENT_FIELDS:
        values = [r.get(name) for r in rows]
        if name == "attributes":
            values = [
                None if v is None else orjson.dumps(v, option=orjson.OPT_SORT_KEYS).decode()
                for v in values
            ]
        arrays[name] = pa.array(values, SCHEMA.field(name).type)
    arrays["event_id"] = pa.array([e.event_id for e in events], pa.string())
    arrays["event_id_source"] = pa.array([e.event_id_source for e in events], pa.string())
    arrays["event_hash"] = pa.array([e.event_hash for e in events], pa.string())
    arrays["batch_index"] = pa.array(
        [i for group, _ in groups for i in range(len(group))], pa.int32()
    )
    arrays["timestamp"] = pa.array([e.micros for e in events], pa.int64()).cast(
        SCHEMA.field("timestamp").type
    )
    arrays["received_at"] = pa.array([received_at] * n, SCHEMA.field("received_at").type)
    arrays["batch_id"] = pa.array(
        [batch_id for group, batch_id in groups for _ in group], pa.string()
    )
    whole = pa.table([arrays[name] for name in COLUMNS], schema=SCHEMA)
    tables = []
    start = 0
    for group, _ in groups:
        tables.append(whole.slice(start, len(group)))
        start += len(group)
    return tables


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """`table` with exactly `schema`'s columns, in its order: absent ones as nulls."""
    n = table.num_rows
    columns = [
        table.column(f.name).cast(f.type) if f.name in table.column_names else pa.nulls(n, f.type)
        for f in schema
    ]
    return pa.table(columns, schema=schema)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_durably(table: pa.Table, final_path: Path) -> None:
    """temp name -> write -> fsync -> rename -> fsync folder."""
    write_durably_unsynced_dir(table, final_path)
    _fsync_dir(final_path.parent)


def write_durably_unsynced_dir(table: pa.Table, final_path: Path) -> None:
    """`write_durably` but the folder's fsync, which the caller does (once for many files)."""
    tmp = final_path.with_name(f"{TMP_PREFIX}{uuid.uuid4().hex}.partial")
    try:
        _write_parquet(table, tmp)
        os.rename(tmp, final_path)
    except BaseException:
        # A full disk (or a kill of this thread) must not leave half a file behind.
        tmp.unlink(missing_ok=True)
        raise


# A batch's file (tens to hundreds of rows) is encoded with Snappy and no dictionaries:
# zstd's and the dictionaries' set-up per column costs more there than it saves (the
# file is about as small either way). Large files (compaction's) get both.
LARGE_FILE_ROWS = 4096


def _write_parquet(table: pa.Table, path: Path) -> None:
    """Encode in memory, then write, fsync and close one new file."""
    sink = pa.BufferOutputStream()
    large = table.num_rows >= LARGE_FILE_ROWS
    pq.write_table(table, sink, compression="zstd" if large else "snappy", use_dictionary=large)
    data = sink.getvalue()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        # Test-only fault injection: ACHILLES_TEST_FAIL_WRITES=enospc makes every landing
        # write fail as a full disk would, after writing some bytes
        # (tests/ingest_api/test_disk_full.py).
        if os.environ.get("ACHILLES_TEST_FAIL_WRITES") == "enospc":
            os.write(fd, b"PAR1 partial")
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)


class LandingZone:
    """Reads and writes the per-session Parquet files under `events_dir`."""

    def __init__(self, events_dir: Path):
        self.events_dir = Path(events_dir)

    def session_dir(self, session_id: str) -> Path:
        path = self.events_dir / session_id
        # The contract's charset already forbids separators; this is the belt to those braces.
        if path.parent != self.events_dir or session_id in (".", ".."):
            raise ValueError(
                f"session_id {session_id!r} does not name a folder in the landing zone"
            )
        return path

    def _ensure_session_dir(self, session_id: str, sync: bool = True) -> Path:
        path = self.session_dir(session_id)
        if not path.is_dir():
            self.events_dir.mkdir(parents=True, exist_ok=True)
            path.mkdir(exist_ok=True)
            if sync:
                _fsync_dir(self.events_dir)
        return path

    def write_table(self, session_id: str, table: pa.Table, received_at: datetime) -> Path:
        """Land one session's rows as one new immutable file; returns its path."""
        return self.write_tables([(session_id, table)], received_at)[0]

    def write_tables(
        self, tables: Sequence[tuple[str, pa.Table]], received_at: datetime
    ) -> list[Path]:
        """Land each session's rows as one new immutable file; returns their paths.

        Every file and folder is fsynced before this returns, as for one file; the
        landing folder, when new session folders were made, once for all of them.
        """
        micros = to_micros(received_at)
        folders = []
        created = False
        for session_id, _ in tables:
            if not created and not self.session_dir(session_id).is_dir():
                created = True
            folders.append(self._ensure_session_dir(session_id, sync=False))
        if created:
            _fsync_dir(self.events_dir)
        paths = []
        for folder, (_, table) in zip(folders, tables, strict=True):
            batch_id = table.column("batch_id")[0].as_py() if table.num_rows else uuid.uuid4().hex
            final = folder / f"{micros:020d}-{batch_id}.parquet"
            write_durably_unsynced_dir(table, final)
            paths.append(final)
        for folder in dict.fromkeys(folders):
            _fsync_dir(folder)
        return paths

    def write_events(
        self, session_id: str, events: Sequence[LandedEvent], received_at: datetime
    ) -> Path:
        batch_id = uuid.uuid4().hex
        return self.write_table(session_id, to_table(events, received_at, batch_id), received_at)

    def _landed_names(self, session_id: str) -> Iterator[str]:
        """Names of the session's landed files (temp files are hidden), in folder order."""
        try:
            with os.scandir(self.session_dir(session_id)) as entries:
                for e in entries:
                    if e.name.endswith(".parquet") and not e.name.startswith("."):
                        yield e.name
        except FileNotFoundError:
            return

    def session_files(self, session_id: str) -> list[Path]:
        folder = self.session_dir(session_id)
        return [folder / n for n in sorted(self._landed_names(session_id))]

    def has_files(self, session_id: str) -> bool:
        """Whether the session has a landed file (stops at the first one found)."""
        return next(self._landed_names(session_id), None) is not None

    def session_ids(self) -> list[str]:
        try:
            return sorted(e.name for e in os.scandir(self.events_dir) if e.is_dir())
        except FileNotFoundError:
            return []

    def all_files(self) -> Iterable[Path]:
        for sid in self.session_ids():
            yield from self.session_files(sid)

    def read_files(self, files: Sequence[Path], columns: Sequence[str] | None = None) -> pa.Table:
        """Read whole files in today's schema; missing ones (just compacted away) raise
        FileNotFoundError. Files written before a column existed give nulls for it."""
        wanted = list(columns) if columns else list(COLUMNS)
        target = pa.schema([SCHEMA.field(c) for c in wanted])
        tables = []
        for f in files:
            present = set(pq.read_schema(f).names)
            table = pq.read_table(f, columns=[c for c in wanted if c in present])
            tables.append(conform(table, target))
        if not tables:
            return target.empty_table()
        return pa.concat_tables(tables)

    def upgrade_file(self, path: Path) -> None:
        """Rewrite a file landed before today's columns existed, in today's schema.

        Same rows, same name, written durably: the warehouse reads every file with
        one schema. The added columns are null, as they were for those events.
        """
        write_durably(conform(pq.read_table(path), SCHEMA), path)

    # -- poison pills --------------------------------------------------------------
    @property
    def suffix(self) -> str:
        """'' for the default project's `events/`, '.<p>' for `events.<p>/`."""
        return self.events_dir.name.removeprefix("events")

    @property
    def quarantine_dir(self) -> Path:
        """`quarantine/` beside `events/`; `quarantine.<p>/` beside `events.<p>/`."""
        return self.events_dir.parent / (QUARANTINE_DIR + self.suffix)

    @staticmethod
    def file_problem(path: Path) -> str | None:
        """Why `path` cannot be read as a landing file (None when it reads whole).

        Reads every row, not only the footer: a file can have a sound footer and
        a broken page. A file that vanished (compacted away) is not a problem.
        """
        try:
            pq.read_table(path)
        except FileNotFoundError:
            return None
        except Exception as exc:  # pyarrow raises several kinds for a broken file
            return f"{type(exc).__name__}: {exc}"[:2000]
        return None

    def quarantine(self, path: Path, reason: str) -> Path | None:
        """Move an unreadable file out of the landing zone, with a reason file beside it.

        Returns its new path (None when another process moved it first)."""
        folder = self.quarantine_dir / path.parent.name
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / path.name
        note = f"file: {path}\nquarantined_at: {datetime.now(UTC).isoformat()}\nreason: {reason}\n"
        (folder / (path.name + REASON_SUFFIX)).write_text(note)
        try:
            os.rename(path, target)
        except FileNotFoundError:
            return None
        _fsync_dir(path.parent)
        _fsync_dir(folder)
        log.error("quarantined unreadable landing file %s -> %s: %s", path, target, reason)
        return target

    def quarantine_unreadable(self, files: Iterable[Path]) -> list[Path]:
        """Check each file whole; quarantine those that cannot be read. Returns them."""
        bad = []
        for f in files:
            problem = self.file_problem(f)
            if problem is not None and self.quarantine(f, problem) is not None:
                bad.append(f)
        return bad

    def quarantined(self) -> list[Path]:
        """Files in quarantine, by session folder then name."""
        if not self.quarantine_dir.is_dir():
            return []
        return sorted(
            p
            for p in self.quarantine_dir.glob("*/*")
            if p.is_file() and not p.name.endswith(REASON_SUFFIX)
        )

    # -- leftovers ----------------------------------------------------------------
    def remove_leftover_temp_files(self, older_than_s: float = 0.0) -> list[Path]:
        """Delete `.tmp-*.partial` files a killed writer left (older than `older_than_s`,
        so a write in flight in another process is not cut short)."""
        removed = []
        cutoff = time.time() - older_than_s
        for sid in self.session_ids():
            for p in self.session_dir(sid).glob(f"{TMP_PREFIX}*.partial"):
                try:
                    if p.stat().st_mtime <= cutoff:
                        p.unlink()
                        removed.append(p)
                except FileNotFoundError:
                    continue
        if removed:
            log.warning("removed %d leftover temp files: %s", len(removed), removed)
        return removed

    def compact_session(self, session_id: str, min_files: int = 2) -> int:
        """Merge a session's files into one when it has at least `min_files`.

        Returns the number of files merged (0 when nothing was done). The merged
        file sorts after its inputs, so arrival order by file name still holds.
        """
        files = self.session_files(session_id)
        if len(files) < min_files:
            return 0
        try:
            table = self.read_files(files)
        except FileNotFoundError:
            raise
        except Exception:
            # One unreadable file must not stop compaction (or the build that runs it).
            if not self.quarantine_unreadable(files):
                raise
            return self.compact_session(session_id, min_files)
        # Name it after the newest input so files landed later still sort after it.
        last = files[-1].name.split("-", 1)[0]
        final = files[-1].parent / f"{last}-c{uuid.uuid4().hex}.parquet"
        write_durably(table, final)
        for f in files:
            f.unlink(missing_ok=True)
        _fsync_dir(final.parent)
        return len(files)

    def compact(self, min_files: int) -> tuple[int, int]:
        """Compact every session folder; returns (sessions compacted, files merged)."""
        sessions = merged = 0
        for sid in self.session_ids():
            n = self.compact_session(sid, min_files)
            if n:
                sessions += 1
                merged += n
        return sessions, merged


def project_zones(settings: Settings) -> list[tuple[str, LandingZone]]:
    """Every project's landing zone (the default project's first), for whole-zone chores:
    compaction, leftovers, quarantine checks."""
    return [(p, LandingZone(settings.project_events_dir(p))) for p in settings.project_ids()]


# -- metric points ------------------------------------------------------------------
# OTLP metric data points (issue #12) are not events: no session is required and no
# event mart should count them. They land beside the events, one file per export
# request, written as durably: <data_dir>/landing/metrics/<received_us:020d>-<batch>.parquet
METRIC_SCHEMA = pa.schema(
    [
        ("point_id", pa.string()),  # sha256 of the point's content: a retried export repeats it
        ("metric_name", pa.string()),
        ("metric_type", pa.string()),  # sum, gauge, histogram, exponential_histogram, summary
        ("unit", pa.string()),
        ("value", pa.float64()),  # the number; a histogram's or summary's sum
        ("point_count", pa.int64()),  # a histogram's or summary's count
        ("is_monotonic", pa.bool_()),
        ("temporality", pa.string()),  # delta, cumulative
        ("start_time", pa.timestamp("us", tz="UTC")),
        ("observed_at", pa.timestamp("us", tz="UTC")),  # the point's time
        ("session_id", pa.string()),
        ("model", pa.string()),
        ("type_attribute", pa.string()),  # the point's `type` (input, output, added, ...)
        ("service_name", pa.string()),
        ("attributes", pa.string()),  # the point's attributes, compact JSON text
        ("resource_attributes", pa.string()),
        ("scope_name", pa.string()),
        ("received_at", pa.timestamp("us", tz="UTC")),
        ("batch_id", pa.string()),
        ("batch_index", pa.int32()),
    ]
)


class MetricLanding:
    """Writes metric points under `metrics_dir`, one immutable file per batch."""

    def __init__(self, metrics_dir: Path):
        self.metrics_dir = Path(metrics_dir)

    def write(self, rows: list[dict[str, Any]], received_at: datetime) -> Path | None:
        """Land `rows` (METRIC_SCHEMA's columns but the batch's own) durably."""
        if not rows:
            return None
        batch_id = uuid.uuid4().hex
        n = len(rows)
        columns = {
            f.name: pa.array([r.get(f.name) for r in rows], f.type)
            for f in METRIC_SCHEMA
            if f.name not in ("received_at", "batch_id", "batch_index")
        }
        at_type = METRIC_SCHEMA.field("received_at").type
        columns["received_at"] = pa.array([received_at] * n, at_type)
        columns["batch_id"] = pa.array([batch_id] * n, pa.string())
        columns["batch_index"] = pa.array(range(n), pa.int32())
        table = pa.table([columns[f.name] for f in METRIC_SCHEMA], schema=METRIC_SCHEMA)
        if not self.metrics_dir.is_dir():
            self.metrics_dir.mkdir(parents=True, exist_ok=True)
            _fsync_dir(self.metrics_dir.parent)
        final = self.metrics_dir / f"{to_micros(received_at):020d}-{batch_id}.parquet"
        write_durably(table, final)
        return final


# -- the landing manifest -----------------------------------------------------------
# The landing step lists the zone once and writes the list here; dbt reads it (var
# `landing_manifest`) instead of each engine globbing: Spark refuses an empty glob, and
# listing object storage is slow. One row per file: kind ('events' or 'metric_points')
# and absolute path.
MANIFEST_NAME = "landing_manifest.parquet"
MANIFEST_SCHEMA = pa.schema([("kind", pa.string()), ("path", pa.string())])


def manifest_path(settings: Settings) -> Path:
    return settings.warehouse_dir / MANIFEST_NAME


def write_manifest(settings: Settings, event_files: Iterable[Path]) -> Path:
    """Write the listing of the landing zone: the given event files and every metrics file."""
    metric_files = sorted(settings.landing_dir.glob("metrics*/*.parquet"))
    rows = [("events", str(Path(f).resolve())) for f in event_files]
    rows += [("metric_points", str(f.resolve())) for f in metric_files]
    table = pa.table(
        {"kind": [k for k, _ in rows], "path": [p for _, p in rows]}, schema=MANIFEST_SCHEMA
    )
    path = manifest_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_durably(table, path)
    return path
