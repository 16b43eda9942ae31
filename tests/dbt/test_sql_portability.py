"""The dbt project's SQL stays portable to Spark (issue 17).

dbt-spark turns ANSI mode off, so a double-quoted name such as "timestamp" is a string
literal there: `min("timestamp")` silently returns the text 'timestamp'. Identifiers
are quoted through `adapter.quote()` instead, and this lint fails on any double quote
left in the SQL of dbt_project/ (models, macros, tests, analyses), naming file and line.

Only SQL text is checked: Jinja comments, SQL comments and single-quoted SQL strings
are skipped. Inside `{{ }}` and `{% %}` the Jinja string literals are checked for a
double-quoted identifier too (say `'"timestamp"'` handed to a macro as SQL).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"
SQL_FOLDERS = ("models", "macros", "tests", "analyses")
QUOTED_IDENTIFIER = re.compile(r'\\?"[A-Za-z_][A-Za-z0-9_]*\\?"')


def _line(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _jinja_end(text: str, pos: int, closer: str) -> int:
    """Where the Jinja block opened before `pos` closes; its string literals may hold `}}`."""
    while pos < len(text) and not text.startswith(closer, pos):
        if text[pos] in "'\"":
            quote, pos = text[pos], pos + 1
            while pos < len(text) and text[pos] != quote:
                pos += 2 if text[pos] == "\\" else 1
        pos += 1
    return pos


def _jinja_string_hits(text: str, start: int, end: int) -> list[int]:
    """Positions of double-quoted identifiers inside Jinja string literals of text[start:end]."""
    hits: list[int] = []
    pos = start
    while pos < end:
        char = text[pos]
        if char in "'\"":
            close = pos + 1
            while close < end and text[close] != char:
                close += 2 if text[close] == "\\" else 1
            literal = text[pos + 1 : close]
            # SQL strings inside the literal ('|', '$.a') are no identifiers.
            sql = re.sub(r"'[^']*'", lambda m: " " * len(m.group()), literal)
            hits += [pos + 1 + m.start() for m in QUOTED_IDENTIFIER.finditer(sql)]
            pos = close + 1
        else:
            pos += 1
    return hits


def sql_code(text: str) -> tuple[str, list[int]]:
    """The SQL of a dbt file with Jinja, comments and single-quoted strings blanked (lines
    kept), and where Jinja string literals hold a double-quoted identifier."""
    code = list(text)
    jinja_hits: list[int] = []

    def blank(start: int, end: int) -> None:
        for i in range(start, min(end, len(code))):
            if code[i] != "\n":
                code[i] = " "

    pos = 0
    while pos < len(text):
        two = text[pos : pos + 2]
        start = pos
        if two == "{#":
            end = text.find("#}", pos + 2)
            pos = len(text) if end < 0 else end + 2
        elif two in ("{{", "{%"):
            end = _jinja_end(text, pos + 2, "}}" if two == "{{" else "%}")
            jinja_hits += _jinja_string_hits(text, pos + 2, end)
            pos = end + 2
        elif two == "--":
            end = text.find("\n", pos)
            pos = len(text) if end < 0 else end
        elif two == "/*":
            end = text.find("*/", pos + 2)
            pos = len(text) if end < 0 else end + 2
        elif text[pos] == "'":
            # a SQL string; '' is an escaped quote inside it; Jinja may sit inside
            pos += 1
            while pos < len(text):
                if text.startswith("''", pos):
                    pos += 2
                elif text[pos] == "'":
                    break
                elif text.startswith(("{{", "{%"), pos):
                    pos = _jinja_end(text, pos + 2, "}}" if text[pos + 1] == "{" else "%}") + 2
                else:
                    pos += 1
            pos += 1
        else:
            pos += 1
            continue
        blank(start, pos)
    return "".join(code), jinja_hits


def double_quote_hits(text: str) -> list[int]:
    """Line numbers of double quotes used as SQL identifier quotes in a dbt SQL file."""
    code, hits = sql_code(text)
    hits += [pos for pos, char in enumerate(code) if char == '"']
    return sorted({_line(text, hit) for hit in hits})


# DuckDB-only SQL that models and singular tests reach through the macros of
# macros/portable.sql (and incidents.sql), never directly.
DUCKDB_ONLY = {
    r"\bepoch_us\s*\(": "timestamp_to_us",
    r"\bjson_extract(_string)?\s*\(": "json_text / json_string_list",
    r"\bregexp_(full_match|matches|escape|extract_all)\s*\(": "the regexp_* macros",
    r"\bregexp_replace\s*\(": "regexp_replace_all / regexp_replace_first",
    r"\b(list|list_concat|array_to_string|string_agg)\s*\(": "the list macros",
    r"\barg_min\s*\(": "struct_of_min",
    r"\*\s*exclude\b": "star_except",
    r"\bunion\s+all\s+by\s+name\b": "explicit columns",
    r"\bunnest\s*\(": "unnest_list",
    r"\b(read_parquet|glob|parse_filename|parse_dirpath)\s*\(": "the file macros",
    r"\bmake_timestamp\s*\(": "us_to_timestamp",
    r"\bends_with\s*\(": "has_suffix",
    r"\bmd5\s*\(": "dbt.hash",
    r"\bas\s+materialized\b": "materialized_cte",
    r"\b(varchar|timestamptz)\b|\btimestamp\s+with\s+time\s+zone\b": "the type macros",
}


def duckdb_only_hits(text: str) -> list[tuple[int, str]]:
    """(line, macro to use) of each DuckDB-only construct in the SQL of a dbt file."""
    code, _ = sql_code(text)
    return sorted(
        (_line(text, match.start()), use)
        for pattern, use in DUCKDB_ONLY.items()
        for match in re.finditer(pattern, code, re.IGNORECASE)
    )


def project_sql_files() -> list[Path]:
    return sorted(
        path
        for folder in SQL_FOLDERS
        if (PROJECT / folder).is_dir()
        for path in (PROJECT / folder).rglob("*.sql")
    )


def test_the_project_has_sql_to_check() -> None:
    files = project_sql_files()
    assert any(path.parent.name == "macros" for path in files)
    assert any("models" in path.parts for path in files)


def test_no_double_quoted_identifiers_in_dbt_sql() -> None:
    problems = [
        f"{path.relative_to(PROJECT)}:{line}: {path.read_text().splitlines()[line - 1].strip()}"
        for path in project_sql_files()
        for line in double_quote_hits(path.read_text())
    ]
    assert not problems, (
        "double-quoted identifiers (a string literal on Spark); "
        "quote through {{ adapter.quote('name') }}:\n" + "\n".join(problems)
    )


def test_models_reach_duckdb_only_sql_through_macros() -> None:
    problems = [
        f"{path.relative_to(PROJECT)}:{line}: use {use}"
        for path in project_sql_files()
        if path.parts[len(PROJECT.parts)] != "macros"
        for line, use in duckdb_only_hits(path.read_text())
    ]
    assert not problems, "DuckDB-only SQL outside macros/:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    ("sql", "hits"),
    [
        ("select epoch_us(t) from x", [(1, "timestamp_to_us")]),
        ("select\n  * exclude (a)\nfrom x", [(2, "star_except")]),
        ("select cast(a as VARCHAR) from x", [(1, "the type macros")]),
        ("select {{ timestamp_to_us('t') }}, 'list(a)' -- md5(x)\nfrom x", []),
        ("select count(*) filter (where a) as unpivoted_list from x", []),
    ],
)
def test_the_lint_finds_duckdb_only_sql(sql: str, hits: list[tuple[int, str]]) -> None:
    assert duckdb_only_hits(sql) == hits


@pytest.mark.parametrize(
    ("sql", "lines"),
    [
        ('select "timestamp" from t', [1]),
        ('select\n  min(events."timestamp")\nfrom t', [2]),
        ("select {{ adapter.quote('timestamp') }} from t", []),
        ('select {{ adapter.quote("timestamp") }} from t', []),
        ("{{ my_macro('events.\"timestamp\"') }}", [1]),
        ("select 'say \"hi\"' as greeting", []),
        ("select 'it''s \"x\"' as s", []),
        ('select 1 -- the "timestamp" column\n', []),
        ('/* "a"\n "b" */ select 1', []),
        ('{# "timestamp" #}\nselect 1', []),
        ('{%- set steps = ["\\\\b\\"[^\\"]+\\"", "g"] -%}', []),
        ("{{ qualified_in_project(\"scope || '|' || agent\") }}", []),
        ('{{ config(post_hook="{{ f(ref(\'" ~ p ~ "\')) }}") }}\nselect "x"', [2]),
        ('select \'{{ path | replace("\'", "\'\'") }}/x\' as p,\n "x"', [2]),
    ],
)
def test_the_lint_finds_double_quotes_in_sql_only(sql: str, lines: list[int]) -> None:
    assert double_quote_hits(sql) == lines
