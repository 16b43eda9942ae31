{#
  normalize_error_message(expr): the error message with its volatile parts replaced,
  so the same error from two sessions (other checkout, other temp dir, other line,
  other run time, other seed, other branch) lands in one cluster. Case is kept. Steps,
  in order (order matters: timestamps go before paths so "2026/01/02" is no path, paths
  go before UUIDs and hex so one inside a path disappears with the path):

    1. ISO timestamps and dates (2026-02-11T21:06:43.123Z, 2026-02-11)  -> <ts> / <date>
    2. Windows temp dirs (C:\Users\<name>\AppData\Local\Temp\...), even with a
       space in the user name                                     -> <path>
    3. Windows absolute paths (C:\x\y.py, C:/x/y.py, \\server\share\x) -> <path>
    4. POSIX absolute paths (/tmp/pytest-of-u/pytest-3/..., /var/folders/...,
       /home/u/app.py, ~/x)                                        -> <path>
    5. Relative paths starting with ./ or ../ (either separator)  -> <path>
    6. Relative paths with a separator ending in a file name with an
       extension (src/app.py, pkg\mod.py)                          -> <path>
    7. Bare file names with a common source/data extension (app.py) -> <path>
    8. UUIDs                                                        -> <uuid>
    9. Hex literals (0x7ffee3b2a9c0)                                -> <hex>
   10. git refs and branch names: origin/x, refs/heads/x, and after the word
       "branch" a quoted name or one with - / _ or a digit in it (plain "main" is
       kept: it is the same everywhere)                            -> <branch>
   11. host:port (localhost:4002, 127.0.0.1:5432) and "port 4002"  -> <port>
   12. PIDs: "pid 123", "process 123", Erlang #PID<0.1.0> / <0.1.0> -> <pid>
   13. Seeds: "seed 48213", "--seed=7", "Randomized with seed 1"    -> seed <n>
       (11-13 go before 14, which would take a long number for a sha)
   14. Bare hex runs of 7+ with a digit (commit shas, object ids)   -> <hex>
   15. Token-like runs (CSRF, base64, API keys): 6+ token characters, a digit,
       6+ more                                                      -> <token>
   16. eslint positions ("12:5  error")                             -> <n>:<n> error
   17. Durations in every form: 0m12.09s, 1h2m3s, 0.08 seconds, 12ms, 1.5 s,
       500us, 3 minutes                                             -> <duration>
   17b. Counts before a runner noun: "127 tests, 12 failures", "3 errors",
       "1 failed, 2 passed"                                          -> <n> tests...
   18. Line/column numbers after a path (<path>:42:7 -> <path>:<n>:<n>,
       tsc's <path>(12,5) -> <path>(<n>,<n>)), before a closing parenthesis
       (node:net:1234:16) -> (node:net:<n>:<n>)) and after the words
       line/lineno/column/col/char (line 42 -> line <n>); Go goroutine ids
   19. Times of day (21:06:43, 21:06:43.120)                        -> <time>
   20. Runs of whitespace collapse to one space; ends trimmed.

  Other numbers are kept on purpose ("expected 3 got 4" is part of the error).
  URLs are kept too. The regexes are RE2 (no look-around), so a leading boundary
  character is captured and written back as \1. Cases from real runner output
  (pytest, jest/vitest, mix test, go test, cargo, tsc, eslint, dialyzer, credo, git)
  are the unit tests in models/intermediate/_int_errors_normalized__unit_tests.yml.
#}
{% macro normalize_error_message(expr) -%}
    {%- set seg = "[\\w.@+~%$\\[\\]-]" -%}
    {%- set ext = source_file_extensions() -%}
    {%- set steps = [
        ["\\b\\d{4}-\\d{2}-\\d{2}[T ]\\d{2}:\\d{2}(:\\d{2}([.,]\\d+)?)?(Z|[+-]\\d{2}:?\\d{2}|\\b)", "<ts>", "g"],
        ["\\b\\d{4}-\\d{2}-\\d{2}\\b", "<date>", "g"],
        ["[A-Za-z]:[\\\\/]Users[\\\\/][^\\\\/]+[\\\\/]AppData[\\\\/]Local[\\\\/]Temp([\\\\/]" ~ seg ~ "*)*", "<path>", "g"],
        ["(^|[^\\w])([A-Za-z]:|\\\\\\\\[\\w.$-]+)([\\\\/]" ~ seg ~ "*)+", "\\1<path>", "g"],
        ["(^|[^\\w./~<>\\]-])~?(/" ~ seg ~ "+)+/?", "\\1<path>", "g"],
        ["(^|[^\\w./\\\\<>\\]-])\\.{1,2}([\\\\/]" ~ seg ~ "+)+[\\\\/]?", "\\1<path>", "g"],
        ["(^|[^\\w./\\\\<>\\]-])(" ~ seg ~ "+[\\\\/])+" ~ seg ~ "*\\.[A-Za-z][A-Za-z0-9]{0,9}\\b", "\\1<path>", "g"],
        ["(^|[^\\w./\\\\<>\\]-])\\w[\\w.-]*\\.(" ~ ext ~ ")\\b", "\\1<path>", "g"],
        ["[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", "<uuid>", "g"],
        ["\\b0[xX][0-9a-fA-F]+\\b", "<hex>", "g"],
        ["\\b(origin|upstream|refs/heads|refs/remotes/origin|refs/tags)/[\\w./-]*\\w", "\\1/<branch>", "g"],
        ["\\b(branch(es)?\\s+)(\\x27[^\\x27]+\\x27|\"[^\"]+\"|[A-Za-z0-9_.]*[-/_0-9][\\w./-]*\\w)", "\\1<branch>", "gi"],
        ["\\b(localhost|\\d{1,3}(\\.\\d{1,3}){3}|\\[::1?\\]|::1?):\\d{2,5}\\b", "\\1:<port>", "gi"],
        ["\\b(port)(\\s*[:=]?\\s*)\\d{2,5}\\b", "\\1\\2<port>", "gi"],
        ["#PID<\\d+\\.\\d+\\.\\d+>", "#PID<pid>", "g"],
        ["<\\d+\\.\\d+\\.\\d+>", "<pid>", "g"],
        ["\\b(pid|process)(\\s*[:=#]?\\s*)\\d+", "\\1\\2<pid>", "gi"],
        ["\\b(seed)(\\s*[:=]?\\s*)\\d+", "\\1\\2<n>", "gi"],
        ["\\b[a-fA-F]*[0-9][0-9a-fA-F]{5,}\\b", "<hex>", "g"],
        ["[A-Za-z0-9+/_-]{6,}[0-9][A-Za-z0-9+/_-]{6,}={0,2}", "<token>", "g"],
        ["\\b\\d+:\\d+(\\s+)(error|warning)\\b", "<n>:<n>\\1\\2", "g"],
        ["\\b(\\d+h)?\\d+m\\d+([.,]\\d+)?s\\b", "<duration>", "g"],
        ["\\b\\d+([.,]\\d+)?\\s?(ms|µs|us|ns|s|secs?|seconds?|minutes?|mins?|hours?|hrs?)\\b", "<duration>", "g"],
        ["\\b\\d+(\\s+)(tests?|failures?|failed|passed|errors?|warnings?|skipped|problems?|files?|examples?|assertions?|doctests?|propert(y|ies)|suites?|invalid|excluded|pending|todo|snapshots?|checks?|issues?)\\b", "<n>\\1\\2", "gi"],
        ["<path>:\\d+", "<path>:<n>", "g"],
        ["<path>:<n>:\\d+", "<path>:<n>:<n>", "g"],
        ["\\b(line|lineno|column|col|char)(\\s*[:=]?\\s*)\\d+", "\\1\\2<n>", "gi"],
        ["<path>\\(\\d+,\\d+\\)", "<path>(<n>,<n>)", "g"],
        [":\\d+:\\d+\\)", ":<n>:<n>)", "g"],
        ["\\bgoroutine \\d+", "goroutine <n>", "g"],
        ["\\b\\d{1,2}:\\d{2}:\\d{2}([.,]\\d+)?\\b", "<time>", "g"],
        ["\\s+", " ", "g"],
    ] -%}
    {%- set ns = namespace(sql="coalesce(" ~ expr ~ ", '')") -%}
    {%- for pattern, replacement, options in steps -%}
        {%- set ns.sql = regexp_replace_all(ns.sql, "'" ~ pattern ~ "'", "'" ~ replacement ~ "'", options == 'gi') -%}
    {%- endfor -%}
    trim({{ ns.sql }})
{%- endmacro %}


{#- The file extensions a bare file name is recognised by (normalization step 7, and the
    paths the change_set correlator reads out of failure text), as an RE2 alternation. -#}
{% macro source_file_extensions() -%}
    py|pyi|pyx|ipynb|js|mjs|cjs|jsx|ts|tsx|mts|cts|rb|go|rs|java|kt|kts|scala|c|h|cc|cpp|hpp|cs|php|swift|sh|sql|json|yaml|yml|toml|ini|cfg|txt|md|html|css|scss|vue|svelte|lock|xml|csv|parquet|log|ex|exs|heex|eex|leex|erl|hrl|gradle|dart|lua|pl|r|jl|zig|nim|tf|proto
{%- endmacro %}


{#- The failure line of an error: the first non-blank line of `expr`, the line a runner
    prints for the failure (the assertion or exception, not the test name or the
    stack under it). Clusters of test and check failures key on it. -#}
{% macro first_failure_line(expr) -%}
    split_part({{ regexp_replace_first("coalesce(" ~ expr ~ ", '')", "'^\\s+'", "''") }}, chr(10), 1)
{%- endmacro %}
