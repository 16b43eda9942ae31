"""The insight store: the `insights` table and the per-session watermarks.

Which sessions need evaluating, the stored insights, and the merge of new
findings into them. Writes happen in one transaction per batch: insights and the
per-session watermark move together, so a crash never leaves a session marked
evaluated without its insights (or the reverse).

Time columns: `detected_at` and `resolved_at` are data time (event timestamps);
`first_computed_at` is the wall clock of the run that first wrote the row.

The step names a session by its key (orchestration/graphs/marts.py); `insights`
holds it split, as project_id and session_id, like every published table.
Watermarks are internal and keep the key.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

import duckdb
import pyarrow as pa

from achilles_core.insight_config import InsightConfig
from achilles_core.vocab import INSIGHT_SEVERITIES, INSIGHT_STATUSES
from orchestration.graphs.detectors import Finding, SessionSummary
from orchestration.graphs.marts import (
    SESSION_IDS,
    SESSION_KEY_SQL,
    as_utc,
    check_inputs,
    keyed,
    split_session_key,
)
from orchestration.graphs.state import StoredInsight


def _sql_in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


INSIGHTS_DDL = f"""
create table if not exists insights (
    insight_id        varchar primary key,
    project_id        varchar not null default 'default',
    session_id        varchar not null,
    kind              varchar not null,
    severity          varchar not null check (severity in ({_sql_in(INSIGHT_SEVERITIES)})),
    title             varchar not null,
    detail            varchar not null,
    evidence          varchar not null,
    status            varchar not null check (status in ({_sql_in(INSIGHT_STATUSES)})),
    detected_at       timestamptz not null,
    first_computed_at timestamptz not null,
    resolved_at       timestamptz,
    narrative         varchar
)
"""
WATERMARKS_DDL = """
create table if not exists insight_watermarks (
    session_id        varchar primary key,
    last_event_at     timestamptz,
    event_count       bigint,
    rules_fingerprint varchar not null,
    evaluated_at      timestamptz not null,
    landing_files     varchar[]
)
"""
INSIGHT_COLUMNS = (
    "insight_id",
    "session_id",
    "kind",
    "severity",
    "title",
    "detail",
    "evidence",
    "status",
    "detected_at",
    "first_computed_at",
    "resolved_at",
    "narrative",
)


def ensure_store(con: duckdb.DuckDBPyConnection) -> None:
    """Create `insights` and `insight_watermarks` if missing; check the inputs exist."""
    check_inputs(con)
    con.execute(INSIGHTS_DDL)
    # An insights table created before narration existed gets the column; one from
    # before projects holds the default project's insights only.
    con.execute("alter table insights add column if not exists narrative varchar")
    con.execute(
        "alter table insights add column if not exists project_id varchar default 'default'"
    )
    con.execute(WATERMARKS_DDL)
    # Watermarks from before it get it on their session's next evaluation.
    con.execute("alter table insight_watermarks add column if not exists landing_files varchar[]")


def sessions_to_evaluate(con: duckdb.DuckDBPyConnection, config: InsightConfig) -> list[str]:
    """Sessions whose marts rows changed since their last evaluation (all on the first run).

    A session's rows are derived from its landing files alone (files are immutable
    and only added; docs/warehouse-contract.md), so "changed" = other landing files
    than the watermark's (this catches a revised event, which changes neither the
    count nor the last time), a different last_event_at or event_count (a rebuild
    from the same files, say with other dbt vars), or detector knobs that changed
    since (`rules_fingerprint`). One set-based query, whatever the number of sessions.
    """
    rows = con.execute(
        f"""
        select s.session_id
        from {keyed("sessions")} s
        left join insight_watermarks w on w.session_id = s.session_id
        left join {keyed("landing_sessions")} l on l.session_id = s.session_id
        where w.session_id is null
           or w.rules_fingerprint <> $fp
           or w.last_event_at is distinct from s.last_event_at
           or w.event_count is distinct from s.event_count
           or w.landing_files is distinct from l.landing_files
        order by s.session_id
        """,
        {"fp": config.rules_fingerprint()},
    ).fetchall()
    return [r[0] for r in rows]


def _stored(row: Sequence) -> StoredInsight:
    values = dict(zip(INSIGHT_COLUMNS, row, strict=True))
    for col in ("detected_at", "first_computed_at", "resolved_at"):
        values[col] = as_utc(values[col])
    return StoredInsight(**values)


_SELECT_INSIGHTS = ", ".join(
    f"timezone('UTC', {c})"
    if c.endswith("_at")
    else f"{SESSION_KEY_SQL} as session_id"
    if c == "session_id"
    else c
    for c in INSIGHT_COLUMNS
)


def load_insights(
    con: duckdb.DuckDBPyConnection, session_ids: Sequence[str] | None = None
) -> dict[str, StoredInsight]:
    """Stored insights by id: those of the given sessions, or all."""
    if session_ids is None:
        rows = con.execute(f"select {_SELECT_INSIGHTS} from insights").fetchall()
    else:
        rows = con.execute(
            f"select {_SELECT_INSIGHTS} from insights where {SESSION_KEY_SQL} in {SESSION_IDS}",
            {"ids": list(session_ids)},
        ).fetchall()
    return {r[0]: _stored(r) for r in rows}


# ---------------------------------------------------------------- merge


@dataclass
class MergePlan:
    """What a batch changes in `insights`, decided without touching the database."""

    inserts: list[StoredInsight] = field(default_factory=list)
    updates: list[StoredInsight] = field(default_factory=list)
    new_ids: list[str] = field(default_factory=list)
    changed_ids: list[str] = field(default_factory=list)  # content changed (still open)
    reopened_ids: list[str] = field(default_factory=list)
    resolved_ids: list[str] = field(default_factory=list)
    unchanged: int = 0

    @property
    def narrate_ids(self) -> list[str]:
        """Open insights whose text is new: they have no narrative yet."""
        fresh = {r.insight_id for r in self.inserts}
        fresh |= {r.insight_id for r in self.updates if r.status == "open" and not r.narrative}
        return sorted(fresh)


def plan_merge(
    existing: dict[str, StoredInsight],
    findings: Iterable[Finding],
    evaluated: dict[str, datetime],
    now: datetime,
) -> MergePlan:
    """Merge findings of the evaluated sessions into their stored insights.

    `evaluated` maps each evaluated session to the data time used as
    `resolved_at` for its insights that no longer hold. A finding equal to its
    stored open row changes nothing; a changed or reappearing one is updated in
    place (first_computed_at kept; a narrative kept only if the text is the same).
    """
    plan = MergePlan()
    found: set[str] = set()
    for f in sorted(findings, key=lambda f: f.insight_id):
        iid = f.insight_id
        found.add(iid)
        row = StoredInsight(
            insight_id=iid,
            session_id=f.session_id,
            kind=f.kind,
            severity=f.severity,
            title=f.title,
            detail=f.detail,
            evidence=f.evidence_json,
            status="open",
            detected_at=f.detected_at,
            first_computed_at=now,
            resolved_at=None,
        )
        old = existing.get(iid)
        if old is None:
            plan.inserts.append(row)
            plan.new_ids.append(iid)
            continue
        same_text = old.content == row.content
        if same_text and old.status == "open":
            plan.unchanged += 1
            continue
        plan.updates.append(
            replace(
                row,
                first_computed_at=old.first_computed_at,
                narrative=old.narrative if same_text else None,
            )
        )
        if old.status != "open":
            plan.reopened_ids.append(iid)
        if not same_text:
            plan.changed_ids.append(iid)

    for iid in sorted(existing):
        old = existing[iid]
        if old.session_id in evaluated and iid not in found and old.status == "open":
            plan.updates.append(
                replace(old, status="resolved", resolved_at=evaluated[old.session_id])
            )
            plan.resolved_ids.append(iid)
    return plan


_TS = pa.timestamp("us", tz="UTC")
# As written to `insights`: the session key split into project_id and session_id.
_TABLE_COLUMNS = ("insight_id", "project_id", *INSIGHT_COLUMNS[1:])
_INSIGHT_ARROW = pa.schema([(c, _TS if c.endswith("_at") else pa.string()) for c in _TABLE_COLUMNS])
_WATERMARK_ARROW = pa.schema(
    [
        ("session_id", pa.string()),
        ("last_event_at", _TS),
        ("event_count", pa.int64()),
        ("rules_fingerprint", pa.string()),
        ("evaluated_at", _TS),
    ]
)
_STAGED = "_achilles_insights_staged"


def _insight_table(rows: Sequence[StoredInsight]) -> pa.Table:
    columns = {c: [getattr(r, c) for r in rows] for c in INSIGHT_COLUMNS}
    split = [split_session_key(r.session_id) for r in rows]
    columns["project_id"] = [p for p, _ in split]
    columns["session_id"] = [s for _, s in split]
    return pa.table({c: columns[c] for c in _TABLE_COLUMNS}, schema=_INSIGHT_ARROW)


def _write_staged(con: duckdb.DuckDBPyConnection, table: pa.Table, sql: str) -> None:
    """Run `sql` against `table` registered as a view (bulk, unlike executemany)."""
    con.register(_STAGED, table)
    try:
        con.execute(sql)
    finally:
        con.unregister(_STAGED)


def apply_merge(
    con: duckdb.DuckDBPyConnection,
    plan: MergePlan,
    summaries: Sequence[SessionSummary],
    config: InsightConfig,
    now: datetime,
) -> None:
    """Write the plan and advance the evaluated sessions' watermarks, atomically."""
    columns = ", ".join(_TABLE_COLUMNS)
    settable = ", ".join(f"{c} = s.{c}" for c in _TABLE_COLUMNS if c != "insight_id")
    fingerprint = config.rules_fingerprint()
    watermarks = pa.table(
        {
            "session_id": [s.session_id for s in summaries],
            "last_event_at": [s.last_event_at for s in summaries],
            "event_count": [s.event_count for s in summaries],
            "rules_fingerprint": [fingerprint] * len(summaries),
            "evaluated_at": [now] * len(summaries),
        },
        schema=_WATERMARK_ARROW,
    )
    con.execute("begin transaction")
    try:
        if plan.inserts:
            _write_staged(
                con,
                _insight_table(plan.inserts),
                f"insert into insights ({columns}) select {columns} from {_STAGED}",
            )
        if plan.updates:
            _write_staged(
                con,
                _insight_table(plan.updates),
                f"update insights set {settable} from {_STAGED} s "
                "where insights.insight_id = s.insight_id",
            )
        if summaries:
            _write_staged(
                con,
                watermarks,
                "insert or replace into insight_watermarks (session_id, last_event_at, "
                "event_count, rules_fingerprint, evaluated_at, landing_files) "
                "select s.session_id, s.last_event_at, s.event_count, s.rules_fingerprint, "
                f"s.evaluated_at, l.landing_files from {_STAGED} s "
                f"left join {keyed('landing_sessions')} l on l.session_id = s.session_id",
            )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def set_narrative(con: duckdb.DuckDBPyConnection, insight_id: str, narrative: str) -> None:
    con.execute("update insights set narrative = ? where insight_id = ?", [narrative, insight_id])


def open_counts_by_kind(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    rows = con.execute(
        "select kind, count(*) from insights where status = 'open' group by kind order by kind"
    ).fetchall()
    return {k: int(n) for k, n in rows}
