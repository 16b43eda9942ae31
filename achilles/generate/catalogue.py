"""Who works, on what: agents and their models, humans, repositories and their files,
services, prompts. Plain data; the simulation in `session.py` draws from it."""

from __future__ import annotations

from typing import NamedTuple


class Model(NamedTuple):
    name: str
    usd_per_mtok_in: float
    usd_per_mtok_out: float
    weight: float  # share of the agent's calls


class Agent(NamedTuple):
    weight: float  # share of agent sessions
    failure_bias: float  # chance that a test run fails
    models: list[Model]
    client_ids: bool  # sends its own event ids


AGENTS: dict[str, Agent] = {
    "claude-code": Agent(
        0.38,
        0.22,
        [
            Model("claude-opus-4-6", 5.0, 25.0, 0.45),
            Model("claude-sonnet-4-5-20250929", 3.0, 15.0, 0.45),
            Model("claude-haiku-4-5-20251001", 1.0, 5.0, 0.10),
        ],
        False,
    ),
    "codex": Agent(
        0.24,
        0.27,
        [Model("gpt-5.5", 1.25, 10.0, 0.6), Model("gpt-5.1-codex", 1.25, 10.0, 0.4)],
        False,
    ),
    "copilot": Agent(
        0.18,
        0.33,
        [Model("gpt-4.1", 2.0, 8.0, 0.5), Model("claude-sonnet-4-5", 3.0, 15.0, 0.5)],
        True,  # OpenTelemetry span ids
    ),
    "forge-agent": Agent(  # the in-house agent
        0.20,
        0.38,
        [
            Model("qwen2.5-coder-32b-instruct", 0.2, 0.6, 0.7),
            Model("llama-3.3-70b-instruct", 0.6, 0.6, 0.3),
        ],
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


class Repo(NamedTuple):
    lang: str  # py, ts, go, rs: picks the error kinds and services
    files: list[str]
    test_commands: tuple[str, ...]  # formatted with {test}, {stem}, {Stem}
    runner: str  # the actor of test runs
    hooks: tuple[str, ...]  # lint / type-check tools that report right after an edit


REPOS: dict[str, Repo] = {
    "payments-api": Repo(
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
    "web-dashboard": Repo(
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
    "ingest-gateway": Repo(
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
    "vecdb": Repo(
        "rs",
        _files_rust(),
        ("cargo test", "cargo test {stem}", "cargo nextest run", "cargo test --release -q"),
        "cargo-test",
        ("rustc", "clippy"),
    ),
}
# lang -> (command, process name, second command, second process name)
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

PROMPTS = (
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
READ_TOOLS = ("Read", "Grep", "Glob", "LS")
