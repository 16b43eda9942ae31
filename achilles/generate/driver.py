"""The top level: plan the sessions (lengths and start times) from the seed, run
each one (in this process or a pool), and add up what was written."""

from __future__ import annotations

import math
import os
import random
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from achilles.generate.catalogue import AGENTS, BRANCH_TOPICS, HUMAN_SESSION_SHARE, HUMANS, REPOS
from achilles.generate.sampling import SECOND, pick, weighted_table
from achilles.generate.session import SimulatedSession
from achilles.generate.sink import SessionSink
from achilles_core.contract import to_micros
from achilles_core.landing import LandingZone

DEFAULT_START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
CHUNK_ROWS = 50_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_AGENT_TABLE = weighted_table(list(AGENTS), [a.weight for a in AGENTS.values()])
_REPO_NAMES = list(REPOS)


@dataclass
class GenerateStats:
    sessions: int = 0
    events: int = 0
    files: int = 0
    bytes_written: int = 0
    elapsed_s: float = 0.0
    events_per_s: float = 0.0
    cpu_s: float = 0.0  # process CPU time: the speed measure that ignores other load
    event_types: dict[str, int] = field(default_factory=dict)
    agents: dict[str, int] = field(default_factory=dict)  # sessions per agent ('human' = none)
    break_fix_sessions: int = 0
    crash_loop_sessions: int = 0
    first_timestamp: datetime | None = None
    last_timestamp: datetime | None = None


@dataclass(frozen=True, slots=True)
class SessionJob:
    """What a worker needs to simulate one session (picklable)."""

    events_dir: Path
    seed: int
    index: int
    budget: int  # events to aim for
    start_us: int
    chunk_rows: int


@dataclass(frozen=True, slots=True)
class SessionResult:
    """What one session wrote, summed into GenerateStats."""

    events: int
    files: int
    bytes_written: int
    event_types: dict[str, int]
    agent: str  # 'human' for a session without an agent
    break_fix: bool
    crash_loop: bool
    first_us: int | None
    last_us: int | None


def _session_plan(
    seed: int, sessions: int, target_events: int | None, start_us: int
) -> tuple[list[int], list[int]]:
    """Event budgets and start times (micros) of every session."""
    master = random.Random(f"achilles-generate|{seed}")
    budgets = [
        int(min(max(250.0 * math.exp(master.gauss(0.0, 1.5)), 20.0), 60_000.0))
        for _ in range(sessions)
    ]
    if target_events is not None and sessions:
        scale = target_events / max(1, sum(budgets))
        budgets = [max(8, round(b * scale)) for b in budgets]
        # Rounding and floors drift a little; fix the sum on the largest session.
        drift = target_events - sum(budgets)
        i = max(range(sessions), key=budgets.__getitem__)
        budgets[i] = max(8, budgets[i] + drift)
    # Sessions start over ~45 days (or every ~20 min when there are few of them).
    mean_gap_s = min(20 * 60.0, 45 * 86400.0 / max(1, sessions))
    starts, t = [], start_us
    for _ in range(sessions):
        starts.append(t)
        t += int(master.expovariate(1.0 / mean_gap_s) * SECOND) + SECOND
    return budgets, starts


def _run_session(job: SessionJob) -> SessionResult:
    """Simulate and land one session."""
    i, budget = job.index, job.budget
    rng = random.Random(f"achilles-generate|{job.seed}|{i}")
    sid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    agent = None if rng.random() < HUMAN_SESSION_SHARE else pick(rng, _AGENT_TABLE)
    human = pick(rng, HUMANS)
    repo = pick(rng, _REPO_NAMES)
    branch = pick(
        rng,
        (
            "main",
            f"feat/{pick(rng, BRANCH_TOPICS)}",
            f"fix/{pick(rng, BRANCH_TOPICS)}",
            f"{human.split('.')[0]}/{pick(rng, BRANCH_TOPICS)}",
        ),
    )
    break_fix = budget >= 40 and (rng.random() < 0.15 or i % 10 == 1)
    crash_loop = budget >= 60 and (rng.random() < 0.10 or i % 10 == 2)
    sink = SessionSink(LandingZone(job.events_dir), job.seed, sid, job.chunk_rows)
    sess = SimulatedSession(
        sink, rng, job.start_us, budget, agent, human, repo, branch, break_fix, crash_loop, job.seed
    )
    sess.run()
    return SessionResult(
        events=sink.count,
        files=len(sink.files),
        bytes_written=sum(f.stat().st_size for f in sink.files),
        event_types=dict(sink.types),
        agent=agent or "human",
        break_fix=bool(break_fix and sess.bf_kind is not None),
        crash_loop=bool(crash_loop and sess.crash_at == -1),
        first_us=sink.min_ts,
        last_us=sink.max_ts,
    )


def generate(
    events_dir: Path,
    sessions: int,
    seed: int = 0,
    *,
    target_events: int | None = None,
    start: datetime | None = None,
    chunk_rows: int = CHUNK_ROWS,
    workers: int = 1,
) -> GenerateStats:
    """Write `sessions` realistic sessions into the landing zone at `events_dir`.

    `target_events` scales session lengths so the total lands close to it.
    `workers` > 1 spreads sessions over that many processes; the output does not
    depend on it. Deterministic for given arguments. Returns what was written.
    """
    if sessions < 0:
        raise ValueError("sessions must be >= 0")
    if workers < 1:
        raise ValueError("workers must be >= 1")
    t0 = time.perf_counter()
    c0 = time.process_time()
    start = start or DEFAULT_START
    if start.tzinfo is None:
        raise ValueError("start must carry a timezone")
    events_dir = Path(events_dir)
    budgets, starts = _session_plan(seed, sessions, target_events, to_micros(start))
    jobs = [
        SessionJob(events_dir, seed, i, budgets[i], starts[i], chunk_rows) for i in range(sessions)
    ]
    stats = GenerateStats()
    types: Counter[str] = Counter()
    agents: Counter[str] = Counter()
    lo: int | None = None
    hi: int | None = None
    child_cpu, child0 = 0.0, sum(os.times()[2:4])
    if workers == 1 or sessions < 2:
        results: Iterator[SessionResult] = map(_run_session, jobs)
        pool = None
    else:
        import multiprocessing

        LandingZone(events_dir).events_dir.mkdir(parents=True, exist_ok=True)
        pool = multiprocessing.get_context("fork").Pool(min(workers, sessions))
        results = pool.imap(_run_session, jobs, chunksize=1)
    try:
        for r in results:
            stats.sessions += 1
            stats.events += r.events
            stats.files += r.files
            stats.bytes_written += r.bytes_written
            types.update(r.event_types)
            agents[r.agent] += 1
            stats.break_fix_sessions += r.break_fix
            stats.crash_loop_sessions += r.crash_loop
            if r.first_us is not None and r.last_us is not None:
                lo = r.first_us if lo is None else min(lo, r.first_us)
                hi = r.last_us if hi is None else max(hi, r.last_us)
    finally:
        if pool is not None:
            pool.close()
            pool.join()
            child_cpu = sum(os.times()[2:4]) - child0
    stats.first_timestamp = None if lo is None else _EPOCH + timedelta(microseconds=lo)
    stats.last_timestamp = None if hi is None else _EPOCH + timedelta(microseconds=hi)
    stats.event_types = dict(sorted(types.items()))
    stats.agents = dict(sorted(agents.items()))
    stats.elapsed_s = time.perf_counter() - t0
    stats.cpu_s = time.process_time() - c0 + child_cpu
    stats.events_per_s = stats.events / stats.elapsed_s if stats.elapsed_s > 0 else 0.0
    return stats
