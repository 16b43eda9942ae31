# ruff: noqa: E501  (error message templates are long literals)
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

Timing follows what real transcripts show: most failing test runs come long
after the edit that preceded them (median ~47 s: the model thinks, then the
suite runs); a few errors (editor hooks, type checkers, a quick failing run)
land within 10 s of an agent edit on the same file.

Every row is what the ingest API would land for the same event:
`event_hash` = `contract.compute_event_hash`, `event_id` = the client id
(`session_start`, `session_end`, copilot's span-based ids) or
`contract.derived_event_id`. Output is deterministic: the same seed (and
arguments) gives byte-identical rows, including `received_at` and `batch_id`.
A session lands as one Parquet file per `CHUNK_ROWS` rows through
`LandingZone.write_table`.
"""

from __future__ import annotations

import hashlib
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
from typing import Any

import orjson
import pyarrow as pa

from achilles_core.contract import to_micros
from achilles_core.landing import SCHEMA, LandingZone

DEFAULT_START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
CHUNK_ROWS = 50_000
GENERATOR = "achilles.generate/1"
_SORT = orjson.OPT_SORT_KEYS
_dumps = orjson.dumps
_Fragment = orjson.Fragment
_sha256 = hashlib.sha256
_S = 1_000_000  # micros per second

# ---------------------------------------------------------------------------
# Actors, models, repositories
# ---------------------------------------------------------------------------

# name: (weight, failure bias, models [(model, $/Mtok in, $/Mtok out, weight)], client ids)
AGENTS: dict[str, tuple[float, float, list[tuple[str, float, float, float]], bool]] = {
    "claude-code": (
        0.38,
        0.22,
        [
            ("claude-opus-4-6", 5.0, 25.0, 0.45),
            ("claude-sonnet-4-5-20250929", 3.0, 15.0, 0.45),
            ("claude-haiku-4-5-20251001", 1.0, 5.0, 0.10),
        ],
        False,
    ),
    "codex": (
        0.24,
        0.27,
        [("gpt-5.5", 1.25, 10.0, 0.6), ("gpt-5.1-codex", 1.25, 10.0, 0.4)],
        False,
    ),
    "copilot": (
        0.18,
        0.33,
        [("gpt-4.1", 2.0, 8.0, 0.5), ("claude-sonnet-4-5", 3.0, 15.0, 0.5)],
        True,  # sends its own event ids (OpenTelemetry span ids)
    ),
    "forge-agent": (  # the in-house agent
        0.20,
        0.38,
        [("qwen2.5-coder-32b-instruct", 0.2, 0.6, 0.7), ("llama-3.3-70b-instruct", 0.6, 0.6, 0.3)],
        False,
    ),
}
HUMAN_SESSION_SHARE = 0.14
HUMANS = (
    "alice.nguyen",
    "bob.schmidt",
    "chen.wei",
    "dana.okafor",
    "emil.larsen",
    "farah.haddad",
    "gus.moreau",
    "hana.sato",
    "ivan.petrov",
    "julia.costa",
)
BRANCH_TOPICS = (
    "refund-retries",
    "fix-flaky-tests",
    "rate-limit",
    "oauth-refresh",
    "dark-mode",
    "batch-ingest",
    "index-compaction",
    "upgrade-deps",
    "perf-p95",
    "webhook-signing",
    "pagination",
    "error-budget",
    "schema-migration",
    "cache-ttl",
)


def _files_python() -> list[str]:
    pkgs = ("api", "models", "services", "db", "workers", "utils")
    mods = (
        "orders",
        "invoices",
        "refunds",
        "customers",
        "ledger",
        "webhooks",
        "auth",
        "currency",
        "retries",
        "idempotency",
        "notifications",
        "settlements",
    )
    out = [
        f"src/payments/{p}/{m}.py"
        for i, p in enumerate(pkgs)
        for j, m in enumerate(mods)
        if (i + j) % 2 == 0
    ]
    out += [f"src/payments/{p}/__init__.py" for p in pkgs]
    out += [f"tests/test_{m}.py" for m in mods] + [
        f"tests/{p}/test_{m}.py" for p in ("api", "db") for m in mods[:6]
    ]
    out += [
        "src/payments/main.py",
        "src/payments/config.py",
        "tests/conftest.py",
        "pyproject.toml",
        "alembic/env.py",
        "src/payments/db/migrations/0042_add_refund_reason.py",
    ]
    return out


def _files_ts() -> list[str]:
    comps = (
        "Dashboard",
        "SessionTable",
        "ErrorList",
        "AgentChart",
        "Sidebar",
        "LoginForm",
        "InsightCard",
        "Timeline",
        "FilterBar",
        "Pagination",
        "Modal",
        "Toast",
    )
    hooks = ("useSessions", "useAuth", "useInsights", "usePagination", "useTheme", "useWebSocket")
    apis = ("client", "sessions", "insights", "errors", "agents", "auth")
    out = [f"src/components/{c}.tsx" for c in comps]
    out += [f"src/components/__tests__/{c}.test.tsx" for c in comps]
    out += [f"src/hooks/{h}.ts" for h in hooks] + [f"src/hooks/{h}.test.ts" for h in hooks]
    out += [f"src/api/{a}.ts" for a in apis] + [f"src/api/{a}.test.ts" for a in apis]
    out += [
        f"src/pages/{p}.tsx"
        for p in ("index", "sessions/[id]", "agents", "settings", "errors/[clusterId]")
    ]
    out += [
        "src/utils/format.ts",
        "src/utils/time.ts",
        "src/store.ts",
        "package.json",
        "tsconfig.json",
        "jest.config.ts",
        "next.config.js",
        "src/styles/theme.ts",
    ]
    return out


def _files_go() -> list[str]:
    pkgs = ("queue", "auth", "ratelimit", "storage", "server", "metrics", "config", "decoder")
    names = ("handler", "client", "store", "worker", "types")
    out = []
    for i, p in enumerate(pkgs):
        for j, n in enumerate(names):
            if (i + j) % 3 != 2:
                out.append(f"internal/{p}/{n}.go")
                out.append(f"internal/{p}/{n}_test.go")
    out += [
        "cmd/gateway/main.go",
        "go.mod",
        "internal/server/routes.go",
        "pkg/otlp/convert.go",
        "pkg/otlp/convert_test.go",
    ]
    return out


def _files_rust() -> list[str]:
    mods = (
        "index/hnsw",
        "index/flat",
        "index/ivf",
        "storage/segment",
        "storage/wal",
        "storage/mmap",
        "query/planner",
        "query/filter",
        "server/grpc",
        "server/http",
        "distance",
        "quantize",
        "compaction",
        "config",
        "error",
        "metrics",
    )
    out = [f"src/{m}.rs" for m in mods]
    out += [f"tests/{m.replace('/', '_')}_test.rs" for m in mods[:10]]
    out += ["src/lib.rs", "src/main.rs", "Cargo.toml", "benches/search.rs", "build.rs"]
    return out


# repo -> (language, files, test commands, runner, hook tools)
REPOS: dict[str, tuple[str, list[str], tuple[str, ...], str, tuple[str, ...]]] = {
    "payments-api": (
        "py",
        _files_python(),
        (
            "pytest -x -q {test}",
            "uv run pytest {test}",
            "python -m pytest tests/ -q",
            "pytest -k {stem} -x",
        ),
        "pytest",
        ("ruff", "mypy"),
    ),
    "web-dashboard": (
        "ts",
        _files_ts(),
        (
            "npx jest {test}",
            "npm test -- --watch=false",
            "pnpm vitest run {test}",
            "npx jest -t {stem}",
        ),
        "jest",
        ("tsc", "eslint"),
    ),
    "ingest-gateway": (
        "go",
        _files_go(),
        (
            "go test ./internal/...",
            "go test -run Test{Stem} ./...",
            "go test -race ./...",
            "make test",
        ),
        "go-test",
        ("go-vet", "gopls"),
    ),
    "vecdb": (
        "rs",
        _files_rust(),
        ("cargo test", "cargo test {stem}", "cargo nextest run", "cargo test --release -q"),
        "cargo-test",
        ("rustc", "clippy"),
    ),
}
SERVICES = {
    "py": (
        "uvicorn payments.main:app --reload",
        "uvicorn",
        "celery -A payments.workers worker",
        "celery",
    ),
    "ts": ("npm run dev", "next-dev", "node dist/server.js", "node"),
    "go": ("go run ./cmd/gateway", "gateway", "./bin/gateway --config dev.yaml", "gateway"),
    "rs": ("cargo run --bin vecdb-server", "vecdb-server", "./target/release/vecdb", "vecdb"),
}

# ---------------------------------------------------------------------------
# Error message kinds. `{v}` is filled once per kind (a few hundred kinds);
# the other placeholders are volatile and filled per occurrence.
# kind: (language, role, error_type, severity, template, variants)
# role: test (from a test run), hook (lint/type check right after an edit),
#       crash (a process dying), tool (an agent tool call failing), any.
# ---------------------------------------------------------------------------

_PY_TB = (
    'Traceback (most recent call last):\n  File "{path}", line {line}, in {{fn}}\n    {{code}}\n'
    '  File "{path2}", line {line2}, in {{fn2}}\n    raise\n'
)
_KIND_SPECS: list[tuple[str, str, str, str, str, tuple[str, ...]]] = [
    # ---- Python
    (
        "py",
        "test",
        "ModuleNotFoundError",
        "error",
        _PY_TB + "ModuleNotFoundError: No module named '{v}'",
        (
            "pydantic_settings",
            "httpx",
            "payments.services.fx",
            "stripe",
            "orjson",
            "tenacity",
            "psycopg",
            "blindoracle_client",
            "payments.utils.money",
        ),
    ),
    (
        "py",
        "test",
        "KeyError",
        "error",
        _PY_TB + "KeyError: '{v}'",
        (
            "currency",
            "customer_id",
            "amount_cents",
            "idempotency_key",
            "webhook_secret",
            "status",
            "refund_reason",
            "DATABASE_URL",
        ),
    ),
    (
        "py",
        "test",
        "AttributeError",
        "error",
        _PY_TB + "AttributeError: 'NoneType' object has no attribute '{v}'",
        ("amount", "customer", "id", "json", "settle", "created_at", "items"),
    ),
    (
        "py",
        "test",
        "TypeError",
        "error",
        _PY_TB + "TypeError: {v}() missing 1 required positional argument: 'session'",
        ("create_refund", "get_order", "apply_fx", "send_webhook", "reconcile_ledger"),
    ),
    (
        "py",
        "test",
        "TypeError",
        "error",
        _PY_TB + "TypeError: Object of type {v} is not JSON serializable",
        ("Decimal", "datetime", "UUID", "Money", "set"),
    ),
    (
        "py",
        "test",
        "ValueError",
        "error",
        _PY_TB + "ValueError: invalid literal for int() with base 10: '{v}'",
        ("12.50", "", "N/A", "0x1F", "EUR"),
    ),
    (
        "py",
        "test",
        "ZeroDivisionError",
        "error",
        _PY_TB + "ZeroDivisionError: division by zero",
        ("",),
    ),
    (
        "py",
        "test",
        "RecursionError",
        "error",
        _PY_TB + "RecursionError: maximum recursion depth exceeded while calling a Python object",
        ("",),
    ),
    (
        "py",
        "test",
        "AssertionError",
        "error",
        "{path}:{line}: in test_{v}\n    assert response.status_code == 200\n"
        "E       assert {n} == 200\nE        +  where {n} = <Response [{n}]>.status_code\n"
        "FAILED tests/test_{v}.py::test_{v} - AssertionError",
        (
            "create_refund",
            "list_orders",
            "webhook_signature",
            "idempotent_retry",
            "partial_capture",
            "currency_rounding",
            "auth_expired_token",
            "settlement_batch",
        ),
    ),
    (
        "py",
        "test",
        "AssertionError",
        "error",
        "{path}:{line}: AssertionError\nE       AssertionError: assert Decimal('{n}.00') == "
        "Decimal('{n2}.00')\nFAILED {path} - test_{v}",
        ("ledger_balance", "refund_total", "fx_conversion", "invoice_sum"),
    ),
    (
        "py",
        "test",
        "OperationalError",
        "error",
        _PY_TB + 'psycopg.OperationalError: connection failed: connection to server at "{v}" '
        "(127.0.0.1), port {port} failed: Connection refused\n\tIs the server running on that "
        "host and accepting TCP/IP connections?",
        ("localhost", "db", "postgres.internal"),
    ),
    (
        "py",
        "any",
        "ConnectionRefusedError",
        "error",
        _PY_TB + "ConnectionRefusedError: [Errno 111] Connect call failed ('{v}', {port})",
        ("127.0.0.1", "::1", "10.0.3.17"),
    ),
    (
        "py",
        "test",
        "FileNotFoundError",
        "error",
        _PY_TB + "FileNotFoundError: [Errno 2] No such file or directory: '{tmp}/{v}'",
        ("fixture.json", "stripe_event.json", "snapshot.bin", "config.toml"),
    ),
    (
        "py",
        "test",
        "IntegrityError",
        "error",
        _PY_TB
        + "sqlalchemy.exc.IntegrityError: (psycopg.errors.UniqueViolation) duplicate key value "
        'violates unique constraint "{v}_pkey"\nDETAIL:  Key (id)=({uuid}) already exists.',
        ("orders", "refunds", "customers", "ledger_entries"),
    ),
    (
        "py",
        "test",
        "DetachedInstanceError",
        "error",
        _PY_TB
        + "sqlalchemy.orm.exc.DetachedInstanceError: Instance <{v} at 0x7f{hex}> is not bound "
        "to a Session; attribute refresh operation cannot proceed",
        ("Order", "Refund", "Customer", "Invoice"),
    ),
    (
        "py",
        "test",
        "RuntimeError",
        "error",
        _PY_TB + "RuntimeError: Task <Task pending name='Task-{n}' coro=<{v}() running at "
        "{path}:{line}>> got Future <Future pending> attached to a different loop",
        ("process_webhook", "settle_batch", "poll_refunds"),
    ),
    (
        "py",
        "test",
        "ValidationError",
        "error",
        "pydantic_core._pydantic_core.ValidationError: 1 validation error for {v}\namount\n  "
        "Input should be greater than 0 [type=greater_than, input_value=-{n}, input_type=int]",
        ("RefundRequest", "OrderCreate", "WebhookPayload", "Settings"),
    ),
    (
        "py",
        "test",
        "TimeoutError",
        "error",
        _PY_TB + "httpx.ReadTimeout: timed out while reading from {v}:{port}",
        ("api.stripe.com", "fx.internal", "localhost"),
    ),
    (
        "py",
        "hook",
        "mypy",
        "error",
        '{path}:{line}: error: Incompatible types in assignment (expression has type "{v}", '
        'variable has type "Decimal")  [assignment]',
        ("float", "str | None", "int", "Money"),
    ),
    (
        "py",
        "hook",
        "mypy",
        "error",
        '{path}:{line}: error: Item "None" of "{v} | None" has no attribute "id"  [union-attr]',
        ("Order", "Customer", "Refund"),
    ),
    (
        "py",
        "hook",
        "ruff",
        "warning",
        "{path}:{line}:{col}: F401 [*] `{v}` imported but unused",
        ("os", "typing.Any", "datetime.timezone", "json", "payments.db.session"),
    ),
    (
        "py",
        "hook",
        "ruff",
        "warning",
        "{path}:{line}:{col}: F821 Undefined name `{v}`",
        ("refund", "settings", "logger", "Decimal"),
    ),
    (
        "py",
        "hook",
        "SyntaxError",
        "error",
        '  File "{path}", line {line}\n    {v}\n    ^\nSyntaxError: invalid syntax',
        ("def refund(self, amount)", "return {{**payload", "except Exception, e:"),
    ),
    (
        "py",
        "hook",
        "IndentationError",
        "error",
        '  File "{path}", line {line}\n    {v}\nIndentationError: unexpected indent',
        ("return total", "self.session.commit()"),
    ),
    (
        "py",
        "crash",
        "MemoryError",
        "fatal",
        "[{pid}] worker (pid:{pid}) was sent SIGKILL! Perhaps out of memory?\n{v}: Out of memory: "
        "Killed process {pid} (python3) total-vm:{n}kB, anon-rss:{n2}kB",
        ("kernel", "oom-killer"),
    ),
    (
        "py",
        "crash",
        "ImportError",
        "fatal",
        _PY_TB + "ImportError: cannot import name '{v}' from partially initialized module "
        "'payments.services' (most likely due to a circular import) ({path})",
        ("RefundService", "LedgerService", "get_session"),
    ),
    (
        "py",
        "crash",
        "OSError",
        "fatal",
        "ERROR:    [Errno 98] error while attempting to bind on address ('{v}', {port}): "
        "address already in use",
        ("127.0.0.1", "0.0.0.0"),
    ),
    # ---- TypeScript / Jest / Node
    (
        "ts",
        "test",
        "TypeError",
        "error",
        "TypeError: Cannot read properties of undefined (reading '{v}')\n    at {{fn}} ({path}:{line}:"
        "{col})\n    at renderWithHooks (node_modules/react-dom/cjs/react-dom.development.js:{n}:18)",
        ("map", "length", "id", "sessionId", "data", "user", "then"),
    ),
    (
        "ts",
        "test",
        "JestAssertionError",
        "error",
        "● {{suite}} › {v}\n\n    expect(received).toBe(expected) // Object.is equality\n\n    "
        "Expected: {n}\n    Received: {n2}\n\n      at Object.<anonymous> ({path}:{line}:{col})",
        (
            "renders rows",
            "paginates forward",
            "shows error toast",
            "sorts by date",
            "filters by agent",
            "debounces search",
        ),
    ),
    (
        "ts",
        "test",
        "JestAssertionError",
        "error",
        "● {{suite}} › {v}\n\n    TestingLibraryElementError: Unable to find an element with the "
        "text: {v}. This could be because the text is broken up by multiple elements.\n\n      at "
        "Object.getElementError ({path}:{line}:{col})",
        ("Loading…", "No sessions", "Retry", "Sign in"),
    ),
    (
        "ts",
        "test",
        "Error",
        "error",
        "Error: Cannot find module '{v}' from '{path}'\n\n    Require stack:\n      {path2}",
        ("@/api/client", "../hooks/useAuth", "date-fns/format", "./Timeline.module.css"),
    ),
    (
        "ts",
        "test",
        "ReferenceError",
        "error",
        "ReferenceError: {v} is not defined\n    at Object.<anonymous> ({path}:{line}:{col})",
        ("fetch", "window", "TextEncoder", "structuredClone", "ResizeObserver"),
    ),
    (
        "ts",
        "any",
        "ECONNREFUSED",
        "error",
        "Error: connect ECONNREFUSED {v}:{port}\n    at TCPConnectWrap.afterConnect [as oncomplete] "
        "(node:net:{n}:16)",
        ("127.0.0.1", "::1"),
    ),
    (
        "ts",
        "test",
        "SyntaxError",
        "error",
        "SyntaxError: Unexpected token '<', \"<!DOCTYPE \"... is not valid JSON\n    at JSON.parse "
        "(<anonymous>)\n    at {v} ({path}:{line}:{col})",
        ("fetchSessions", "loadInsights", "parseResponse"),
    ),
    (
        "ts",
        "test",
        "UnhandledPromiseRejection",
        "error",
        "Error: Request failed with status code {v}\n    at settle ({path}:{line}:{col})\n    "
        "at XMLHttpRequest.onloadend ({path2}:{line2}:{col})",
        ("401", "404", "500", "502", "429"),
    ),
    (
        "ts",
        "hook",
        "tsc",
        "error",
        "{path}({line},{col}): error TS2339: Property '{v}' does not exist on type '{{type}}'.",
        ("sessionId", "agentName", "createdAt", "errorCount", "onClose", "variant"),
    ),
    (
        "ts",
        "hook",
        "tsc",
        "error",
        "{path}({line},{col}): error TS2322: Type '{v}' is not assignable to type 'number'.",
        ("string", "string | undefined", "null", "Date"),
    ),
    (
        "ts",
        "hook",
        "tsc",
        "error",
        "{path}({line},{col}): error TS2307: Cannot find module '{v}' or its corresponding type "
        "declarations.",
        ("@/api/insights", "recharts", "zustand/middleware", "../utils/time"),
    ),
    (
        "ts",
        "hook",
        "tsc",
        "error",
        "{path}({line},{col}): error TS7006: Parameter '{v}' implicitly has an 'any' type.",
        ("row", "event", "e", "props"),
    ),
    (
        "ts",
        "hook",
        "eslint",
        "warning",
        "{path}\n  {line}:{col}  error  '{v}' is assigned a value but never used  "
        "@typescript-eslint/no-unused-vars",
        ("setPage", "error", "theme", "unused"),
    ),
    (
        "ts",
        "hook",
        "eslint",
        "warning",
        "{path}\n  {line}:{col}  warning  React Hook useEffect has a missing dependency: '{v}'. "
        "Either include it or remove the dependency array  react-hooks/exhaustive-deps",
        ("fetchData", "sessionId", "filters"),
    ),
    (
        "ts",
        "crash",
        "HeapOutOfMemory",
        "fatal",
        "<--- Last few GCs --->\n[{pid}:0x{hex}] {n} ms: Mark-Compact {v} (2083.5) -> 2047.1 "
        "(2083.8) MB\nFATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of "
        "memory",
        ("2047.9", "4095.2"),
    ),
    (
        "ts",
        "crash",
        "EADDRINUSE",
        "fatal",
        "Error: listen EADDRINUSE: address already in use {v}:{port}\n    at Server.setupListenHandle "
        "[as _listen2] (node:net:{n}:16)",
        (":::", "127.0.0.1"),
    ),
    (
        "ts",
        "crash",
        "ModuleBuildError",
        "fatal",
        "Module build failed (from ./node_modules/next/dist/build/webpack/loaders/next-swc-loader.js):"
        "\nError: \n  x Expected '{v}', got '<eof>'\n   ,-[{path}:{line}:{col}]",
        ("}}", ")", "</div>"),
    ),
    # ---- Go
    (
        "go",
        "test",
        "panic",
        "fatal",
        "panic: runtime error: invalid memory address or nil pointer dereference\n[signal SIGSEGV: "
        "segmentation violation code=0x1 addr=0x{hex} pc=0x{hex2}]\n\ngoroutine {n} [running]:\n"
        "{v}(0xc000{hex})\n\t{path}:{line} +0x{hex2}",
        (
            "github.com/acme/ingest-gateway/internal/queue.(*Worker).Run",
            "github.com/acme/ingest-gateway/internal/storage.(*Store).Put",
            "github.com/acme/ingest-gateway/internal/auth.(*Verifier).Check",
            "main.main",
        ),
    ),
    (
        "go",
        "test",
        "panic",
        "fatal",
        "panic: runtime error: index out of range [{n}] with length {v}\n\ngoroutine {n2} "
        "[running]:\n\t{path}:{line} +0x{hex2}",
        ("0", "1", "4", "16"),
    ),
    (
        "go",
        "test",
        "GoTestFailure",
        "error",
        "--- FAIL: Test{v} ({secs}s)\n    {file}:{line}: expected {n}, got {n2}\nFAIL\nFAIL\t"
        "github.com/acme/ingest-gateway/internal/{{pkg}}\t{secs}s",
        (
            "RateLimiterAllow",
            "QueueDrain",
            "DecodeBatch",
            "AuthExpiredToken",
            "StorePut",
            "RetryBackoff",
            "ConvertSpans",
        ),
    ),
    (
        "go",
        "test",
        "DataRace",
        "error",
        "==================\nWARNING: DATA RACE\nWrite at 0x00c000{hex} by goroutine {n}:\n  "
        "{v}()\n      {path}:{line} +0x{hex2}\n==================",
        (
            "github.com/acme/ingest-gateway/internal/metrics.(*Registry).Inc",
            "github.com/acme/ingest-gateway/internal/queue.(*Queue).Push",
        ),
    ),
    (
        "go",
        "hook",
        "compile",
        "error",
        "{path}:{line}:{col}: undefined: {v}",
        ("ratelimit.NewBucket", "ctx", "storage.ErrNotFound", "cfg", "decodeSpan"),
    ),
    (
        "go",
        "hook",
        "compile",
        "error",
        "{path}:{line}:{col}: cannot use {v} (variable of type int) as int64 value in argument to "
        "{{fn}}",
        ("n", "size", "offset"),
    ),
    (
        "go",
        "hook",
        "vet",
        "warning",
        "{path}:{line}:{col}: {v} call has arguments but no formatting directives",
        ("fmt.Println", "log.Printf", "t.Errorf"),
    ),
    (
        "go",
        "any",
        "ConnectionRefused",
        "error",
        "dial tcp {v}:{port}: connect: connection refused",
        ("127.0.0.1", "[::1]", "10.0.3.17"),
    ),
    (
        "go",
        "test",
        "ContextDeadline",
        "error",
        'Post "http://{v}:{port}/v1/traces": context deadline exceeded (Client.Timeout exceeded '
        "while awaiting headers)",
        ("localhost", "collector"),
    ),
    (
        "go",
        "test",
        "PathError",
        "error",
        "open {tmp}/{v}: no such file or directory",
        ("batch-0001.json", "testdata.golden", "wal.log"),
    ),
    (
        "go",
        "crash",
        "FatalError",
        "fatal",
        "fatal error: {v}\n\ngoroutine {n} [running]:\n\t{path}:{line} +0x{hex2}",
        (
            "concurrent map writes",
            "runtime: out of memory",
            "all goroutines are asleep - deadlock!",
        ),
    ),
    # ---- Rust
    (
        "rs",
        "test",
        "panic",
        "fatal",
        "thread '{{test}}' panicked at {path}:{line}:{col}:\ncalled `{v}::unwrap()` on a{{n_}} "
        "value\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace",
        ("Option", "Result"),
    ),
    (
        "rs",
        "test",
        "AssertionFailed",
        "error",
        "thread '{v}' panicked at {path}:{line}:{col}:\nassertion `left == right` failed\n  left: "
        "{n}\n right: {n2}",
        (
            "index::hnsw::tests::recall_at_10",
            "storage::wal::tests::replay",
            "query::filter::tests::and",
            "quantize::tests::roundtrip",
            "compaction::tests::merge_segments",
        ),
    ),
    (
        "rs",
        "hook",
        "rustc",
        "error",
        "error[E0382]: borrow of moved value: `{v}`\n --> {path}:{line}:{col}\n  |\n  = note: move "
        "occurs because `{v}` has type `Vec<f32>`, which does not implement the `Copy` trait",
        ("vector", "segment", "buf", "query"),
    ),
    (
        "rs",
        "hook",
        "rustc",
        "error",
        "error[E0308]: mismatched types\n --> {path}:{line}:{col}\n  |\n  = note: expected `{v}`, "
        "found `usize`",
        ("u32", "f32", "Option<usize>", "&str"),
    ),
    (
        "rs",
        "hook",
        "rustc",
        "error",
        "error[E0425]: cannot find value `{v}` in this scope\n --> {path}:{line}:{col}",
        ("dim", "ef_search", "segment_id", "wal"),
    ),
    (
        "rs",
        "hook",
        "clippy",
        "warning",
        "warning: {v}\n --> {path}:{line}:{col}\n  |\n  = note: `#[warn(clippy::all)]` on by default",
        (
            "this `if` has identical blocks",
            "redundant clone",
            "needless borrow",
            "use of `unwrap` on a `Result` value",
        ),
    ),
    (
        "rs",
        "test",
        "IoError",
        "error",
        "called `Result::unwrap()` on an `Err` value: Os {{ code: 2, kind: NotFound, message: "
        '"No such file or directory" }} ({tmp}/{v}-{uuid}.bin)',
        ("segment", "wal", "snapshot"),
    ),
    (
        "rs",
        "any",
        "ConnectionRefused",
        "error",
        'Error: Os {{ code: 111, kind: ConnectionRefused, message: "Connection refused" }} '
        "connecting to {v}:{port}",
        ("127.0.0.1", "localhost"),
    ),
    (
        "rs",
        "crash",
        "AllocError",
        "fatal",
        "memory allocation of {n}{v} bytes failed\nAborted (core dumped)",
        ("000", "4096", ""),
    ),
    (
        "rs",
        "crash",
        "panic",
        "fatal",
        "thread 'main' panicked at {path}:{line}:{col}:\n{v}",
        (
            "failed to bind 0.0.0.0:6333: Address already in use (os error 98)",
            "WAL corrupted: checksum mismatch",
            "index dimension mismatch: expected 768",
        ),
    ),
    # ---- agent tool failures (any repo)
    (
        "any",
        "tool",
        "ToolError",
        "error",
        "<tool_use_error>{v}</tool_use_error>",
        (
            "File does not exist.",
            "File has not been read yet. Read it first before writing to it.",
            "Sibling tool call errored",
            "File has been modified since read, either by the user or by "
            "a linter. Read it again before attempting to write it.",
        ),
    ),
    (
        "any",
        "tool",
        "ToolError",
        "error",
        "<tool_use_error>String to replace not found in file.\nString: {v}</tool_use_error>",
        ("    return total", "def refund(", "export default function", "fn search("),
    ),
    ("any", "tool", "CommandFailed", "error", "Exit code {v}\n{{cmd_out}}", ("1", "2", "127")),
    ("any", "tool", "Timeout", "error", "Command timed out after {v}", ("2m 0.0s", "10m 0.0s")),
    (
        "any",
        "tool",
        "ToolRejected",
        "warning",
        "The user doesn't want to proceed with this tool use. The tool use was rejected (eg. if it "
        "was a file edit, the new_string was NOT written to the file). {v}",
        ("STOP what you are doing and wait for the user to tell you how to proceed.", ""),
    ),
    (
        "any",
        "tool",
        "PermissionDenied",
        "error",
        "bash: {tmp}/{v}: Permission denied",
        ("run.sh", "hooks/pre-commit"),
    ),
    (
        "any",
        "test",
        "RateLimited",
        "error",
        'API Error: 429 {{"type":"error","error":{{"type":"rate_limit_error",'
        '"message":"{v}"}},"request_id":"req_{hex}"}}',
        (
            "Number of request tokens has exceeded your per-minute rate limit",
            "This request would exceed the rate limit for your organization",
        ),
    ),
]

_FILLERS = {
    "{fn}": ("handle", "create_refund", "process", "run", "settle", "render", "apply"),
    "{fn2}": ("_call", "execute", "__call__", "send", "_request", "wrapper"),
    "{code}": (
        "return self.service.create_refund(order, amount)",
        "resp = client.post(url, json=body)",
        "total = sum(i.amount for i in items)",
        "data = json.loads(raw)",
        "await queue.put(event)",
    ),
    "{suite}": ("SessionTable", "ErrorList", "Dashboard", "useSessions", "LoginForm", "api/client"),
    "{type}": ("Session", "Props", "InsightCardProps", "AgentStats", "Readonly<Session>"),
    "{pkg}": ("queue", "auth", "ratelimit", "storage", "decoder"),
    "{test}": (
        "main",
        "tokio-runtime-worker",
        "index::hnsw::tests::insert",
        "storage::wal::tests::open",
    ),
    "{n_}": ("n `None`", "n `Err`"),
    "{cmd_out}": (
        "npm ERR! code ELIFECYCLE",
        "make: *** [Makefile:14: test] Error 1",
        "error: could not compile `vecdb` (lib) due to 2 previous errors",
        "FAILED (errors=1)",
        "zsh: command not found: pnpm",
    ),
}


@dataclass(frozen=True, slots=True)
class _Kind:
    lang: str
    role: str
    error_type: str
    severity: str
    template: str  # str.format template over the volatile fields
    has_path: bool


def _build_kinds() -> list[_Kind]:
    kinds = []
    for lang, role, etype, sev, tmpl, variants in _KIND_SPECS:
        for i, v in enumerate(variants):
            t = tmpl.replace("{v}", v)
            # One fixed filler per kind: the same kind always reads the same way.
            for key, options in _FILLERS.items():
                escaped = key.replace("{", "{{").replace("}", "}}")
                if escaped in t:
                    t = t.replace(escaped, options[(i * 7 + len(v)) % len(options)])
            kinds.append(_Kind(lang, role, etype, sev, t, "{path}" in t or "{file}" in t))
    return kinds


KINDS = _build_kinds()


def _kinds_by(lang: str, role: str) -> list[_Kind]:
    out = [k for k in KINDS if k.lang in (lang, "any") and k.role in (role, "any")]
    if role == "test":
        out = [k for k in out if k.lang == lang] + [k for k in out if k.lang == "any"][:2]
    return out


_KIND_POOL = {
    (lang, role): _kinds_by(lang, role)
    for lang in ("py", "ts", "go", "rs")
    for role in ("test", "hook", "crash", "tool")
}

_HOMES = ("/home/dev", "/home/runner/work", "/Users/sam/code", "/workspace", "/srv/ci/builds/7")
_WIN_HOMES = ("C:\\Users\\dev\\source\\repos", "D:\\work", "C:\\Users\\noahm\\Project")
_TMPS = (
    "/tmp/pytest-of-dev/pytest-{n}/test_{w}0",
    "/tmp/tmp{w}",
    "/var/folders/{w2}/{w}/T/tmp{w3}",
    "C:\\Users\\dev\\AppData\\Local\\Temp\\tmp{w}",
    "/tmp/go-build{n}/b001",
    "/private/var/folders/{w2}/{w}/T/.tmp{w3}",
)
_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789_"


def _pick(rng: random.Random, seq):  # noqa: ANN001 - rng.choice without its overhead
    return seq[int(rng.random() * len(seq))]


def _ri(rng: random.Random, a: int, b: int) -> int:
    """rng.randint without its overhead (same range, different stream)."""
    return a + int(rng.random() * (b - a + 1))


def _word(rng: random.Random, n: int) -> str:
    return "".join(rng.choices(_ALNUM, k=n))


def _styled_path(rng: random.Random, repo: str, rel: str) -> str:
    r = rng.random()
    if r < 0.35:
        return rel
    if r < 0.45:
        return "./" + rel
    if r < 0.85:
        return f"{_pick(rng, _HOMES)}/{repo}/{rel}"
    return f"{_pick(rng, _WIN_HOMES)}\\{repo}\\" + rel.replace("/", "\\")


def _render(kind: _Kind, rng: random.Random, repo: str, rel: str, other: str) -> str:
    n = _ri(rng, 1, 99999)
    tmp = _pick(rng, _TMPS).format(n=n, w=_word(rng, 8), w2=_word(rng, 2), w3=_word(rng, 6))
    return kind.template.format(
        path=_styled_path(rng, repo, rel),
        path2=_styled_path(rng, repo, other),
        file=rel.rsplit("/", 1)[-1],
        line=_ri(rng, 3, 900),
        line2=_ri(rng, 3, 900),
        col=_ri(rng, 1, 80),
        hex=f"{rng.getrandbits(40):010x}",
        hex2=f"{rng.getrandbits(20):05x}",
        uuid=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        tmp=tmp,
        port=_pick(rng, (5432, 6379, 8000, 8080, 3000, 9092, 4317, 6333, 50051)),
        pid=_ri(rng, 1200, 65000),
        n=n,
        n2=_ri(rng, 1, 99999),
        secs=f"{rng.uniform(0.01, 30):.2f}",
    )


_PROMPTS = (
    "fix the failing tests in {file}",
    "add retries with backoff to {file}",
    "refactor {file} to remove the duplication",
    "why is CI red? look at {file}",
    "implement pagination, start in {file}",
    "the dev server keeps crashing, can you check {file}",
    "write tests for {file}",
    "bump the dependencies and fix what breaks",
    "make the p95 faster, profile {file}",
    "review my change to {file}",
    "continue",
    "yes, go ahead",
    "that broke the build again, please revert the last change to {file}",
)
_READ_TOOLS = ("Read", "Grep", "Glob", "LS")


# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------


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


_TS_TYPE = SCHEMA.field("timestamp").type


class _Sink:
    """Collects one session's rows and lands them in chunks of `chunk_rows`."""

    def __init__(self, zone: LandingZone, seed: int, session_id: str, chunk_rows: int):
        self.zone = zone
        self.seed = seed
        self.sid = session_id
        self.chunk_rows = chunk_rows
        self.rows: list[tuple] = []
        self.count = 0
        self.chunks = 0
        self.files: list[Path] = []
        self.types: Counter[str] = Counter()
        self.min_ts: int | None = None
        self.max_ts: int | None = None

    def emit(
        self,
        ts: int,
        event_type: str,
        source_type: str,
        actor: str | None = None,
        file_path: str | None = None,
        message: str | None = None,
        error_type: str | None = None,
        severity: str | None = None,
        status: str | None = None,
        parent_id: str | None = None,
        trace_id: str | None = None,
        span_id: str | None = None,
        model: str | None = None,
        input_tokens: int | None = None,
        output_tokens: int | None = None,
        cost_usd: float | None = None,
        attributes: dict | None = None,
        client_id: str | None = None,
    ) -> None:
        c: dict[str, Any] = {"event_type": event_type, "source_type": source_type}
        if actor is not None:
            c["actor"] = actor
        if file_path is not None:
            c["file_path"] = file_path
        if message is not None:
            c["message"] = message
        if error_type is not None:
            c["error_type"] = error_type
        if severity is not None:
            c["severity"] = severity
        if status is not None:
            c["status"] = status
        if parent_id is not None:
            c["parent_id"] = parent_id
        if trace_id is not None:
            c["trace_id"] = trace_id
        if span_id is not None:
            c["span_id"] = span_id
        if model is not None:
            c["model"] = model
        if input_tokens is not None:
            c["input_tokens"] = input_tokens
        if output_tokens is not None:
            c["output_tokens"] = output_tokens
        if cost_usd is not None:
            c["cost_usd"] = cost_usd
        if attributes is not None:
            attrs_json = _dumps(attributes, option=_SORT)
            c["attributes"] = _Fragment(attrs_json)
            attrs_text = attrs_json.decode()
        else:
            attrs_text = None
        ehash = _sha256(_dumps(c, option=_SORT)).hexdigest()
        if client_id is None:
            eid = "h-" + _sha256(f"{self.sid}|{ehash}|{ts}".encode()).hexdigest()[:32]
            src = "derived"
        else:
            eid, src = client_id, "client"
        self.rows.append(
            (
                eid,
                src,
                event_type,
                source_type,
                ts,
                actor,
                file_path,
                message,
                error_type,
                severity,
                status,
                parent_id,
                trace_id,
                span_id,
                model,
                input_tokens,
                output_tokens,
                cost_usd,
                attrs_text,
                ehash,
            )
        )
        if len(self.rows) >= self.chunk_rows:
            self.flush()

    def flush(self) -> None:
        rows = self.rows
        if not rows:
            return
        self.rows = []
        n = len(rows)
        self.count += n
        cols = list(zip(*rows, strict=True))
        stamps = cols[4]
        lo, hi = min(stamps), max(stamps)
        self.min_ts = lo if self.min_ts is None else min(self.min_ts, lo)
        self.max_ts = hi if self.max_ts is None else max(self.max_ts, hi)
        self.types.update(cols[2])
        # The API stamps arrival; here: a little after the chunk's last event.
        received = (
            hi
            + 1_500_000
            + (
                int(hashlib.sha256(f"{self.sid}|{self.chunks}".encode()).hexdigest()[:6], 16)
                % 3_000_000
            )
        )
        batch_id = hashlib.sha256(
            f"achilles-generate|{self.seed}|{self.sid}|{self.chunks}".encode()
        ).hexdigest()[:32]
        self.chunks += 1
        arrays = [
            pa.array(cols[0], type=pa.string()),
            pa.array(cols[1], type=pa.string()),
            pa.repeat(pa.scalar(self.sid, type=pa.string()), n),
        ]
        for i, name in enumerate(SCHEMA.names[3:21], start=2):
            arrays.append(pa.array(cols[i], type=SCHEMA.field(name).type))
        arrays.append(pa.array([received] * n, type=_TS_TYPE))
        arrays.append(pa.array([batch_id] * n, type=pa.string()))
        arrays.append(pa.array(range(n), type=pa.int32()))
        table = pa.Table.from_arrays(arrays, schema=SCHEMA)
        received_dt = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=received)
        self.files.append(self.zone.write_table(self.sid, table, received_dt))

    @property
    def total(self) -> int:
        return self.count + len(self.rows)


# ---------------------------------------------------------------------------
# Session simulation
# ---------------------------------------------------------------------------


# exp(z) for 65,536 fixed standard normal deviates: a lognormal draw is one
# getrandbits and one pow (random.gauss is several times slower).
_EXP_Z = tuple(math.exp(random.Random("achilles-normals").gauss(0.0, 1.0)) for _ in range(65536))


def _lognormal_s(rng: random.Random, median_s: float, sigma: float, lo: float, hi: float) -> int:
    """A lognormal duration in micros, clamped to [lo, hi] seconds."""
    x = median_s * _EXP_Z[rng.getrandbits(16)] ** sigma
    return int((lo if x < lo else hi if x > hi else x) * _S)


def _weighted_table(items: list, weights: list[float], size: int = 200) -> list:
    """A lookup list in which each item appears in proportion to its weight."""
    total = sum(weights)
    out: list = []
    for item, w in zip(items, weights, strict=True):
        out.extend([item] * max(1, round(size * w / total)))
    return out


class _Session:
    def __init__(
        self,
        sink: _Sink,
        rng: random.Random,
        start_us: int,
        budget: int,
        agent: str | None,
        human: str,
        repo: str,
        branch: str,
        break_fix: bool,
        crash_loop: bool,
        seed: int,
    ):
        self.sink = sink
        self.emit = sink.emit
        self.rng = rng
        self.t = start_us
        self.budget = budget
        self.agent = agent
        self.human = human
        self.repo = repo
        self.branch = branch
        self.lang, self.files, self.test_cmds, self.runner, self.hooks = REPOS[repo]
        self.tests = [f for f in self.files if "test" in f.rsplit("/", 1)[-1]]
        self.sources = [f for f in self.files if f not in self.tests]
        # A session works on a focus set of files, not on the whole repo.
        self.focus = rng.sample(self.sources, min(len(self.sources), _ri(rng, 3, 14)))
        self.trace = f"{rng.getrandbits(128):032x}"
        self.root = self._span()
        self.seed = seed
        if agent is not None:
            _w, self.fail_bias, models, self.client_ids = AGENTS[agent]
            self.models = _weighted_table([m[:3] for m in models], [m[3] for m in models])
            self.ctx_tokens = _ri(rng, 8_000, 30_000)
        else:
            self.fail_bias, self.client_ids = 0.30, False
        self.break_fix = break_fix
        self.bf_fails_left = _ri(rng, 3, 4) if break_fix else 0
        self.bf_kind: _Kind | None = None
        self.bf_message: str | None = None
        self.bf_file: str | None = None
        self.crash_loop = crash_loop
        self.crash_at = int(budget * rng.uniform(0.2, 0.7)) if crash_loop else -1
        self.last_edit: tuple[int, str] | None = None
        self.last_failed: tuple[str, _Kind] | None = None
        self.outcome = "completed"

    # -- helpers
    def _span(self) -> str:
        return f"{self.rng.getrandbits(64):016x}"

    def _advance(
        self, median_s: float, sigma: float = 0.7, lo: float = 0.05, hi: float = 900.0
    ) -> int:
        self.t += _lognormal_s(self.rng, median_s, sigma, lo, hi)
        return self.t

    def _cid(self, span: str) -> str | None:
        return f"otel-{self.trace[:16]}-{span}" if self.client_ids else None

    def _file(self) -> str:
        pool = self.focus if self.rng.random() < 0.85 else self.files
        return pool[int(self.rng.random() * len(pool))]

    def _test_for(self, path: str) -> str:
        stem = path.rsplit("/", 1)[-1].split(".", 1)[0]
        for t in self.tests:
            if stem and stem in t:
                return t
        return _pick(self.rng, self.tests)

    def _command(self, path: str) -> str:
        test = self._test_for(path)
        stem = test.rsplit("/", 1)[-1].split(".", 1)[0].removeprefix("test_")
        stem = stem.removesuffix("_test").removesuffix(".test")
        return _pick(self.rng, self.test_cmds).format(
            test=test, stem=stem, Stem="".join(p.title() for p in stem.split("_"))
        )

    # -- event makers
    def llm_call(self, parent: str, median_s: float = 5.0) -> None:
        rand = self.rng.random
        models = self.models
        model, p_in, p_out = models[int(rand() * len(models))]
        ctx = self.ctx_tokens + 200 + int(rand() * 3800)
        if ctx > 190_000 or rand() < 0.02:  # the agent compacts its context
            ctx = 8_000 + int(rand() * 12_000)
        self.ctx_tokens = ctx
        cached = int(ctx * (0.6 + 0.35 * rand()))
        out = min(int(240 * _EXP_Z[self.rng.getrandbits(16)]) + 1, 16_000)
        cost = round(((ctx - cached) * p_in + cached * p_in * 0.1 + out * p_out) / 1_000_000, 6)
        self.t += _lognormal_s(self.rng, median_s, 0.8, 0.4, 180.0)
        span = f"{self.rng.getrandbits(64):016x}"
        self.emit(
            self.t,
            "llm_call",
            "agent",
            self.agent,
            None,
            None,
            None,
            None,
            "ok",
            parent,
            self.trace,
            span,
            model,
            ctx,
            out,
            cost,
            {
                "cache_read_input_tokens": cached,
                "request_id": "req_" + span,
                "stop_reason": "tool_use" if rand() < 0.85 else "end_turn",
            },
            ("otel-" + self.trace[:16] + "-" + span) if self.client_ids else None,
        )

    def action(
        self, tool: str, parent: str, path: str | None, message: str, extra: dict | None = None
    ) -> str:
        self.t += _lognormal_s(self.rng, 0.8, 0.8, 0.05, 30.0)
        span = f"{self.rng.getrandbits(64):016x}"
        attrs = {"tool": tool, "tool_use_id": "toolu_" + span}
        if extra:
            attrs.update(extra)
        self.emit(
            self.t,
            "agent_action",
            "agent",
            self.agent,
            path,
            message,
            None,
            None,
            "ok",
            parent,
            self.trace,
            span,
            None,
            None,
            None,
            None,
            attrs,
            ("otel-" + self.trace[:16] + "-" + span) if self.client_ids else None,
        )
        return span

    def error(
        self,
        ts: int,
        kind: _Kind,
        path: str,
        parent: str | None,
        source: str,
        actor: str | None,
        message: str | None = None,
    ) -> None:
        rng = self.rng
        if message is None:
            other = _pick(rng, self.files)
            message = _render(kind, rng, self.repo, path, other)
        span = self._span()
        self.emit(
            ts,
            "error",
            source,
            actor,
            file_path=path if kind.has_path else None,
            message=message,
            error_type=kind.error_type,
            severity=kind.severity,
            parent_id=parent,
            trace_id=self.trace,
            span_id=span,
            attributes={"language": self.lang, "repo": self.repo},
        )

    def human_prompt(self) -> str:
        rng = self.rng
        span = self._span()
        ts = self._advance(25.0, 1.0, 2.0, 1800.0)
        text = _pick(rng, _PROMPTS).format(file=_pick(rng, self.focus))
        self.emit(
            ts,
            "human_action",
            "human",
            self.human,
            message=text,
            status="prompt",
            parent_id=self.root,
            trace_id=self.trace,
            span_id=span,
            attributes={"kind": "prompt", "chars": len(text)},
        )
        return span

    def human_edit(self, path: str, reason: str) -> None:
        rng = self.rng
        ts = self._advance(40.0, 0.9, 3.0, 1800.0)
        span = self._span()
        self.emit(
            ts,
            "human_action",
            "human",
            self.human,
            file_path=path,
            message=f"{reason} {path}",
            status="edit",
            parent_id=self.root,
            trace_id=self.trace,
            span_id=span,
            attributes={
                "kind": "edit",
                "editor": _pick(rng, ("vscode", "vim", "jetbrains")),
                "lines_added": _ri(rng, 1, 40),
                "lines_removed": _ri(rng, 0, 25),
            },
        )
        self.last_edit = (ts, path)

    def edit(self, parent: str, path: str) -> None:
        rng = self.rng
        tool = "Write" if rng.random() < 0.18 else "Edit"
        self.action(
            tool,
            parent,
            path,
            f"{tool} {path}",
            {"lines_added": _ri(rng, 1, 120), "lines_removed": _ri(rng, 0, 60)},
        )
        self.last_edit = (self.t, path)
        # Editor hooks / type checkers: an error within 10 s of the edit, same file.
        if rng.random() < 0.025 and path.split(".")[-1] in ("py", "ts", "tsx", "go", "rs"):
            kind = _pick(rng, _KIND_POOL[(self.lang, "hook")])
            ts = self.t + _lognormal_s(rng, 2.5, 0.6, 0.3, 9.5)
            self.error(ts, kind, path, None, "system", _pick(rng, self.hooks))
            self.t = ts

    def run_tests(self, parent: str | None, by_human: bool = False) -> bool:
        """A test command, its run and (on failure) its errors. Returns passed."""
        rng = self.rng
        target = self.last_edit[1] if self.last_edit else _pick(rng, self.focus)
        duration = _lognormal_s(rng, 7.0, 0.9, 0.4, 400.0)
        if self.last_edit and not by_human:
            # The model thinks after editing; the run ends ~47 s (median) after the edit.
            quick = rng.random() < 0.06
            gap = _lognormal_s(rng, 6.0 if quick else 47.0, 0.35 if quick else 0.6, 2.0, 900.0)
            start = self.last_edit[0] + gap - duration
            while self.t + 9 * _S < start and parent is not None and rng.random() < 0.8:
                self.llm_call(parent, median_s=min(8.0, (start - self.t) / _S / 2))
            self.t = max(self.t + 200_000, start)
        else:
            self._advance(3.0, 0.6, 0.3, 60.0)
        cmd = self._command(target)
        cmd_ts = self.t
        if by_human or parent is None:
            actor = self.human
            span = self._span()
            self.emit(
                cmd_ts,
                "human_action",
                "human",
                actor,
                message=cmd,
                status="command",
                parent_id=self.root,
                trace_id=self.trace,
                span_id=span,
                attributes={"kind": "command", "shell": "zsh"},
            )
        else:
            span = self.action("Bash", parent, None, cmd, {"command": cmd})
            cmd_ts = self.t
        end = cmd_ts + duration
        # Outcome.
        forced: _Kind | None = None
        if self.bf_fails_left > 0 and self.last_failed is None:
            passed = False
            if self.bf_kind is None:
                self.bf_kind = _pick(rng, _KIND_POOL[(self.lang, "test")])
                self.bf_file = target
                self.bf_message = _render(self.bf_kind, rng, self.repo, target, target)
            forced = self.bf_kind
            self.bf_fails_left -= 1
        elif self.bf_fails_left > 0:
            passed = True  # the fix "works"… until the next change breaks it again
        elif self.last_failed is not None:
            passed = rng.random() < 0.72
        else:
            passed = rng.random() >= self.fail_bias
        total = _ri(rng, 4, 400)
        n_fail = 0 if passed else _ri(rng, 1, min(total, 6))
        t_span = self._span()
        ci = rng.random() < 0.08
        self.emit(
            end,
            "test_run",
            "ci" if ci else "system",
            "github-actions" if ci else self.runner,
            file_path=self._test_for(target),
            message=cmd,
            severity="info" if passed else "error",
            status="passed" if passed else "failed",
            parent_id=span,
            trace_id=self.trace,
            span_id=t_span,
            attributes={
                "command": cmd,
                "tests": total,
                "failed": n_fail,
                "duration_ms": duration // 1000,
                "exit_code": 0 if passed else 1,
            },
        )
        self.t = end
        if passed:
            self.last_failed = None
            return True
        n_err = 1 if forced else min(n_fail, _pick(rng, (1, 1, 1, 2, 2, 3)))
        for i in range(n_err):
            if forced is not None and i == 0:
                kind, path = forced, self.bf_file or target
                msg = self.bf_message if rng.random() < 0.6 else None
            else:
                kind = _pick(rng, _KIND_POOL[(self.lang, "test")])
                path = target if rng.random() < 0.6 else self._file()
                msg = None
            ts = end - _ri(rng, 1_000, max(2_000, duration // 3))
            self.error(ts, kind, path, t_span, "system", self.runner, msg)
            self.last_failed = (path, kind)
        return False

    def crash_loop_episode(self, parent: str | None) -> None:
        rng = self.rng
        cmd, name, _cmd2, _name2 = SERVICES[self.lang]
        if parent is not None:
            self.action("Bash", parent, None, cmd, {"command": cmd, "run_in_background": True})
        kind = _pick(rng, _KIND_POOL[(self.lang, "crash")])
        path = self.last_edit[1] if self.last_edit else _pick(rng, self.focus)
        message = _render(kind, rng, self.repo, path, path)
        pid = _ri(rng, 2000, 60000)
        proc_span = self._span()
        self.emit(
            self._advance(0.5, 0.5),
            "process",
            "system",
            name,
            message=cmd,
            status="spawned",
            parent_id=parent,
            trace_id=self.trace,
            span_id=proc_span,
            attributes={"pid": pid, "command": cmd, "restart_count": 0},
        )
        crashes = _ri(rng, 3, 6)
        backoff = 1.0
        for i in range(crashes):
            ts = self._advance(2.0 + 3 * rng.random(), 0.6, 0.3, 60.0)
            self.error(
                ts, kind, path, proc_span, "system", name, message if rng.random() < 0.5 else None
            )
            code = (
                137
                if "memory" in kind.template.lower()
                or kind.error_type in ("MemoryError", "HeapOutOfMemory", "AllocError")
                else _pick(rng, (1, 2, 101, 134))
            )
            self.emit(
                self.t + _ri(rng, 1_000, 50_000),
                "process",
                "system",
                name,
                message=f"{cmd} exited with code {code}",
                severity="error",
                status="crashed",
                parent_id=proc_span,
                trace_id=self.trace,
                span_id=self._span(),
                attributes={"pid": pid, "exit_code": code, "restart_count": i},
            )
            self.t += int(backoff * _S) + _ri(rng, 0, 300_000)
            backoff = min(backoff * 2, 30.0)
            if i < crashes - 1:
                pid = _ri(rng, 2000, 60000)
                self.emit(
                    self.t,
                    "process",
                    "system",
                    name,
                    message=cmd,
                    status="restarted",
                    parent_id=proc_span,
                    trace_id=self.trace,
                    span_id=self._span(),
                    attributes={"pid": pid, "restart_count": i + 1, "backoff_s": backoff},
                )
        if rng.random() < 0.5:
            self.emit(
                self._advance(4.0),
                "alert",
                "external",
                "alertmanager",
                message=f"[FIRING:1] CrashLooping {name} ({self.repo}-dev)",
                severity="critical",
                status="firing",
                trace_id=self.trace,
                span_id=self._span(),
                attributes={
                    "alertname": "CrashLooping",
                    "service": name,
                    "namespace": f"{self.repo}-dev",
                    "fingerprint": f"{rng.getrandbits(64):016x}",
                },
            )
        if rng.random() < 0.45:
            self.emit(
                self._advance(20.0),
                "process",
                "system",
                name,
                message=f"rolled back {self.repo} to previous build",
                severity="warning",
                status="rolled_back",
                parent_id=proc_span,
                trace_id=self.trace,
                span_id=self._span(),
                attributes={"pid": pid, "restart_count": crashes},
            )
        else:
            # Fixed: an edit to the crashing file, one clean start, a clean stop later.
            if parent is not None:
                self.llm_call(parent)
                self.edit(parent, path)
            else:
                self.human_edit(path, "fix crash in")
            pid = _ri(rng, 2000, 60000)
            self.emit(
                self._advance(2.0),
                "process",
                "system",
                name,
                message=cmd,
                status="spawned",
                trace_id=self.trace,
                span_id=self._span(),
                attributes={"pid": pid, "command": cmd, "restart_count": 0},
            )
            self.emit(
                self._advance(120.0, 1.0, 5.0, 3600.0),
                "process",
                "system",
                name,
                message=f"{cmd} exited with code 0",
                severity="info",
                status="exited",
                trace_id=self.trace,
                span_id=self._span(),
                attributes={"pid": pid, "exit_code": 0},
            )

    # -- turns
    def agent_turn(self, first: bool) -> None:
        rng = self.rng
        sink = self.sink
        # A turn starts with a human prompt, or is an autonomous continuation.
        turn = self.human_prompt() if first or rng.random() < 0.35 else self._span()
        steps = _ri(rng, 1, 9)
        for _ in range(steps):
            if sink.total >= self.budget:
                return
            if self.crash_at >= 0 and sink.total >= self.crash_at:
                self.crash_at = -1
                self.crash_loop_episode(turn)
                continue
            self.llm_call(turn)
            r = rng.random()
            if self.last_failed is not None and r < 0.5:
                # Fix attempt on the failing file (by the agent, or a human steps in).
                path = self.last_failed[0]
                if rng.random() < 0.22:
                    self.human_edit(path, "manual fix in")
                    self.run_tests(None, by_human=True)
                else:
                    self.action("Read", turn, path, f"Read {path}")
                    self.llm_call(turn)
                    self.edit(turn, path)
                    self.run_tests(turn)
            elif r < 0.40:
                tool = _pick(rng, _READ_TOOLS)
                path = self._file()
                self.action(tool, turn, path, f"{tool} {path}")
            elif r < 0.70:
                for _ in range(_pick(rng, (1, 1, 1, 2, 3))):
                    self.edit(turn, self._file())
                    if rng.random() < 0.5:
                        self.llm_call(turn, 3.0)
            elif r < 0.80:
                cmd = _pick(
                    rng,
                    (
                        "git status",
                        "git diff --stat",
                        "ls -la",
                        "rg TODO",
                        f"cat {self._file()}",
                        "git log --oneline -5",
                    ),
                )
                self.action("Bash", turn, None, cmd, {"command": cmd})
                if rng.random() < 0.02:
                    kind = _pick(rng, _KIND_POOL[(self.lang, "tool")])
                    self.error(
                        self.t + _ri(rng, 50_000, 2_000_000),
                        kind,
                        self._file(),
                        None,
                        "agent",
                        self.agent,
                    )
            elif r < 0.99 or self.bf_fails_left > 0:
                self.run_tests(turn)
            else:
                kind = _pick(rng, _KIND_POOL[(self.lang, "tool")])
                path = self._file()
                span = self.action("Edit", turn, path, f"Edit {path}")
                self.error(
                    self.t + _ri(rng, 20_000, 900_000), kind, path, span, "agent", self.agent
                )
        if rng.random() < 0.12:  # the human reviews and steps in
            self.human_edit(self._file(), "tweak")

    def human_turn(self) -> None:
        rng = self.rng
        for _ in range(_ri(rng, 1, 4)):
            self.human_edit(self._file(), "edit")
        if self.crash_at >= 0 and self.sink.total >= self.crash_at:
            self.crash_at = -1
            self.crash_loop_episode(None)
        if rng.random() < 0.7 or self.bf_fails_left > 0:
            passed = self.run_tests(None, by_human=True)
            tries = 0
            while not passed and tries < 3 and self.sink.total < self.budget:
                self.human_edit(self.last_failed[0] if self.last_failed else self._file(), "fix")
                passed = self.run_tests(None, by_human=True)
                tries += 1

    def run(self) -> None:
        rng = self.rng
        agent = self.agent
        session_span = self.root
        self.emit(
            self.t,
            "session_start",
            "system",
            agent or self.human,
            message=None,
            trace_id=self.trace,
            span_id=session_span,
            attributes={
                "agent": agent,
                "repo": self.repo,
                "branch": self.branch,
                "metadata": {
                    "generator": GENERATOR,
                    "seed": self.seed,
                    "user": self.human,
                    "os": _pick(rng, ("linux", "darwin", "win32")),
                },
            },
            client_id="session_start",
        )
        first = True
        while self.sink.total < self.budget:
            if agent is not None:
                self.agent_turn(first)
            else:
                self.human_turn()
            first = False
            if self.break_fix and self.bf_fails_left > 0 and self.sink.total >= self.budget - 12:
                self.budget += 12  # let the cycle finish
        if self.last_failed is not None:
            self.outcome = "failed" if rng.random() < 0.6 else "abandoned"
        elif rng.random() < 0.04:
            self.outcome = "abandoned"
        self._advance(10.0, 1.0, 1.0, 600.0)
        self.emit(
            self.t,
            "session_end",
            "system",
            agent or self.human,
            status=self.outcome,
            trace_id=self.trace,
            span_id=self._span(),
            attributes={"agent": agent, "repo": self.repo, "branch": self.branch},
            client_id="session_end",
        )
        self.sink.flush()


# ---------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------


def _session_plan(seed: int, sessions: int, target_events: int | None, start_us: int):
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
        t += int(master.expovariate(1.0 / mean_gap_s) * _S) + _S
    return budgets, starts


def _one_session(
    events_dir: Path, seed: int, i: int, budget: int, start_us: int, chunk_rows: int
) -> tuple:
    """Simulate and land session `i`; returns its numbers for GenerateStats."""
    rng = random.Random(f"achilles-generate|{seed}|{i}")
    sid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    agent = None if rng.random() < HUMAN_SESSION_SHARE else _pick(rng, _AGENT_TABLE)
    human = _pick(rng, HUMANS)
    repo = _pick(rng, _REPO_NAMES)
    branch = _pick(
        rng,
        (
            "main",
            f"feat/{_pick(rng, BRANCH_TOPICS)}",
            f"fix/{_pick(rng, BRANCH_TOPICS)}",
            f"{human.split('.')[0]}/{_pick(rng, BRANCH_TOPICS)}",
        ),
    )
    break_fix = budget >= 40 and (rng.random() < 0.15 or i % 10 == 1)
    crash_loop = budget >= 60 and (rng.random() < 0.10 or i % 10 == 2)
    sink = _Sink(LandingZone(events_dir), seed, sid, chunk_rows)
    sess = _Session(
        sink, rng, start_us, budget, agent, human, repo, branch, break_fix, crash_loop, seed
    )
    sess.run()
    return (
        sink.count,
        len(sink.files),
        sum(f.stat().st_size for f in sink.files),
        dict(sink.types),
        agent or "human",
        bool(break_fix and sess.bf_kind is not None),
        bool(crash_loop and sess.crash_at == -1),
        sink.min_ts,
        sink.max_ts,
        time.process_time(),
    )


def _one_session_star(args: tuple) -> tuple:
    return _one_session(*args)


_AGENT_TABLE = _weighted_table(list(AGENTS), [w[0] for w in AGENTS.values()])
_REPO_NAMES = list(REPOS)


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
    jobs = [(events_dir, seed, i, budgets[i], starts[i], chunk_rows) for i in range(sessions)]
    stats = GenerateStats()
    types: Counter[str] = Counter()
    agents: Counter[str] = Counter()
    lo = hi = None
    child_cpu, child0 = 0.0, sum(os.times()[2:4])
    if workers == 1 or sessions < 2:
        results: Iterator[tuple[Any, ...]] = map(_one_session_star, jobs)
        pool = None
    else:
        import multiprocessing

        LandingZone(events_dir).events_dir.mkdir(parents=True, exist_ok=True)
        pool = multiprocessing.get_context("fork").Pool(min(workers, sessions))
        results = pool.imap(_one_session_star, jobs, chunksize=1)
    try:
        for count, nfiles, nbytes, tcounts, agent, bf, cl, s_lo, s_hi, _cpu in results:
            stats.sessions += 1
            stats.events += count
            stats.files += nfiles
            stats.bytes_written += nbytes
            types.update(tcounts)
            agents[agent] += 1
            stats.break_fix_sessions += bf
            stats.crash_loop_sessions += cl
            if s_lo is not None:
                lo = s_lo if lo is None else min(lo, s_lo)
                hi = s_hi if hi is None else max(hi, s_hi)
    finally:
        if pool is not None:
            pool.close()
            pool.join()
            child_cpu = sum(os.times()[2:4]) - child0
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    stats.first_timestamp = None if lo is None else epoch + timedelta(microseconds=lo)
    stats.last_timestamp = None if hi is None else epoch + timedelta(microseconds=hi)
    stats.event_types = dict(sorted(types.items()))
    stats.agents = dict(sorted(agents.items()))
    stats.elapsed_s = time.perf_counter() - t0
    stats.cpu_s = time.process_time() - c0 + child_cpu
    stats.events_per_s = stats.events / stats.elapsed_s if stats.elapsed_s > 0 else 0.0
    return stats
