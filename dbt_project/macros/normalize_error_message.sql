{#
  normalize_error_message(expr): the error message with its volatile parts replaced,
  so the same error from two sessions (other checkout, other temp dir, other line)
  lands in one cluster. Case is kept. Steps, in order (order matters: paths go
  first so a UUID or hex inside a path disappears with the path):

    1. Windows temp dirs (C:\Users\<name>\AppData\Local\Temp\...), even with a
       space in the user name                                     -> <path>
    2. Windows absolute paths (C:\x\y.py, C:/x/y.py, \\server\share\x) -> <path>
    3. POSIX absolute paths (/tmp/pytest-of-u/pytest-3/..., /var/folders/...,
       /home/u/app.py, ~/x)                                        -> <path>
    4. Relative paths starting with ./ or ../ (either separator)  -> <path>
    5. Relative paths with a separator ending in a file name with an
       extension (src/app.py, pkg\mod.py)                          -> <path>
    6. Bare file names with a common source/data extension (app.py) -> <path>
    7. UUIDs                                                        -> <uuid>
    8. Hex literals (0x7ffee3b2a9c0)                               -> <hex>
    9. Line/column numbers after a path (<path>:42:7 -> <path>:<n>:<n>,
       tsc's <path>(12,5) -> <path>(<n>,<n>)), before a closing parenthesis
       (node:net:1234:16) -> (node:net:<n>:<n>)) and after the words
       line/lineno/column/col/char (line 42 -> line <n>); also Go goroutine ids
       and decimal durations (9.02s -> <n>s), which change on every run
   10. Runs of whitespace collapse to one space; ends trimmed.

  Other numbers are kept on purpose ("expected 3 got 4" is part of the error).
  URLs are kept too. The regexes are RE2 (no look-behind), so a leading boundary
  character is captured and written back as \1.
#}
{% macro normalize_error_message(expr) -%}
    {%- set seg = "[\\w.@+~%$\\[\\]-]" -%}
    {%- set ext = "py|pyi|pyx|ipynb|js|mjs|cjs|jsx|ts|tsx|rb|go|rs|java|kt|scala|c|h|cc|cpp|hpp|cs|php|swift|sh|sql|json|yaml|yml|toml|ini|cfg|txt|md|html|css|scss|vue|lock|xml|csv|parquet|log" -%}
    {%- set steps = [
        ["[A-Za-z]:[\\\\/]Users[\\\\/][^\\\\/]+[\\\\/]AppData[\\\\/]Local[\\\\/]Temp([\\\\/]" ~ seg ~ "*)*", "<path>", "g"],
        ["(^|[^\\w])([A-Za-z]:|\\\\\\\\[\\w.$-]+)([\\\\/]" ~ seg ~ "*)+", "\\1<path>", "g"],
        ["(^|[^\\w./~<>\\]-])~?(/" ~ seg ~ "+)+/?", "\\1<path>", "g"],
        ["(^|[^\\w./\\\\<>\\]-])\\.{1,2}([\\\\/]" ~ seg ~ "+)+[\\\\/]?", "\\1<path>", "g"],
        ["(^|[^\\w./\\\\<>\\]-])(" ~ seg ~ "+[\\\\/])+" ~ seg ~ "*\\.[A-Za-z][A-Za-z0-9]{0,9}\\b", "\\1<path>", "g"],
        ["(^|[^\\w./\\\\<>\\]-])\\w[\\w.-]*\\.(" ~ ext ~ ")\\b", "\\1<path>", "g"],
        ["[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", "<uuid>", "g"],
        ["\\b0[xX][0-9a-fA-F]+\\b", "<hex>", "g"],
        ["<path>:\\d+", "<path>:<n>", "g"],
        ["<path>:<n>:\\d+", "<path>:<n>:<n>", "g"],
        ["\\b(line|lineno|column|col|char)(\\s*[:=]?\\s*)\\d+", "\\1\\2<n>", "gi"],
        ["<path>\\(\\d+,\\d+\\)", "<path>(<n>,<n>)", "g"],
        [":\\d+:\\d+\\)", ":<n>:<n>)", "g"],
        ["\\bgoroutine \\d+", "goroutine <n>", "g"],
        ["\\b\\d+\\.\\d+(ms|s)\\b", "<n>\\1", "g"],
        ["\\s+", " ", "g"],
    ] -%}
    {%- set ns = namespace(sql="coalesce(" ~ expr ~ ", '')") -%}
    {%- for pattern, replacement, options in steps -%}
        {%- set ns.sql = "regexp_replace(" ~ ns.sql ~ ", '" ~ pattern ~ "', '" ~ replacement ~ "', '" ~ options ~ "')" -%}
    {%- endfor -%}
    trim({{ ns.sql }})
{%- endmacro %}
