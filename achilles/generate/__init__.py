"""Realistic synthetic sessions, written straight into the landing zone.

`generate(events_dir, sessions, seed)` simulates coding sessions of several
agents (claude-code, codex, copilot and the in-house `forge-agent`) and of
humans working alone: prompts, LLM calls with tokens and cost, Read/Grep/Edit/
Write/Bash tool calls on a pool of a few hundred files in four repositories,
test runs that pass or fail, errors drawn from a few hundred message kinds
(Python tracebacks, pytest, TypeScript/Jest/tsc, Go, Rust, agent tool errors,
connection refused, out of memory…) whose volatile parts (absolute, relative
and Windows paths, line numbers, hex addresses, UUIDs, temp dirs, ports) vary
from one occurrence to the next, human fixes, break-fix cycles (the same error
fails, the tests pass, it fails again), crash loops (a process spawned,
crashed, restarted, crashed… then rolled back or fixed) and a few alerts.

Every row is what the ingest API would land for the same event:
`event_hash` = `contract.compute_event_hash`, `event_id` = the client id
(`session_start`, `session_end`, copilot's span-based ids) or
`contract.derived_event_id`. Output is deterministic: the same seed (and
arguments) gives byte-identical rows, including `received_at` and `batch_id`.
A session lands as one Parquet file per `CHUNK_ROWS` rows through
`LandingZone.write_table`.

Modules, from the bottom up:
- `catalogue`: agents, models, humans, repositories, files, services, prompts;
- `error_templates`: the error message catalogue (data);
- `error_kinds`: that catalogue expanded into kinds, pooled, rendered;
- `sampling`: fast random draws;
- `sink`: one session's rows, hashed like the API, landed in chunks;
- `session`: the simulation of one session;
- `driver`: the session plan and `generate()`.
"""

from achilles.generate.driver import CHUNK_ROWS, DEFAULT_START, GenerateStats, generate
from achilles.generate.error_kinds import ERROR_KINDS, ErrorKind

__all__ = ["CHUNK_ROWS", "DEFAULT_START", "ERROR_KINDS", "ErrorKind", "GenerateStats", "generate"]
