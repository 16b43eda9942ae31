"""The error message catalogue: a few dozen templates, each with variants, that
`error_kinds.py` expands into a few hundred kinds. Plain data.

`{v}` is filled once per kind; `{{fn}}`-style fillers are fixed per kind from
FILLERS; the other placeholders (paths, line numbers, addresses, ids, temp dirs,
ports) are volatile and filled per occurrence by `error_kinds.render`.

A spec is (language, role, error_type, severity, template, variants). The role
says where the error shows up: test (a test run), hook (a lint or type check
right after an edit), crash (a process dying), tool (an agent tool call
failing), any.
"""

from __future__ import annotations

_PY_TB = (
    'Traceback (most recent call last):\n  File "{path}", line {line}, in {{fn}}\n    {{code}}\n'
    '  File "{path2}", line {line2}, in {{fn2}}\n    raise\n'
)
KIND_SPECS: list[tuple[str, str, str, str, str, tuple[str, ...]]] = [
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
        "TypeError: Cannot read properties of undefined (reading '{v}')\n"
        "    at {{fn}} ({path}:{line}:{col})\n"
        "    at renderWithHooks (node_modules/react-dom/cjs/react-dom.development.js:{n}:18)",
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
        "● {{suite}} › {v}\n\n"
        "    TestingLibraryElementError: Unable to find an element with the "
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
        "Error: connect ECONNREFUSED {v}:{port}\n"
        "    at TCPConnectWrap.afterConnect [as oncomplete] "
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
        "Error: listen EADDRINUSE: address already in use {v}:{port}\n"
        "    at Server.setupListenHandle "
        "[as _listen2] (node:net:{n}:16)",
        (":::", "127.0.0.1"),
    ),
    (
        "ts",
        "crash",
        "ModuleBuildError",
        "fatal",
        "Module build failed "
        "(from ./node_modules/next/dist/build/webpack/loaders/next-swc-loader.js):"
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
        "warning: {v}\n --> {path}:{line}:{col}\n"
        "  |\n  = note: `#[warn(clippy::all)]` on by default",
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

FILLERS = {
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


HOMES = ("/home/dev", "/home/runner/work", "/Users/sam/code", "/workspace", "/srv/ci/builds/7")
WIN_HOMES = ("C:\\Users\\dev\\source\\repos", "D:\\work", "C:\\Users\\noahm\\Project")
TMPS = (
    "/tmp/pytest-of-dev/pytest-{n}/test_{w}0",
    "/tmp/tmp{w}",
    "/var/folders/{w2}/{w}/T/tmp{w3}",
    "C:\\Users\\dev\\AppData\\Local\\Temp\\tmp{w}",
    "/tmp/go-build{n}/b001",
    "/private/var/folders/{w2}/{w}/T/.tmp{w3}",
)
