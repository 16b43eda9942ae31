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


def double_quote_hits(text: str) -> list[int]:
    """Line numbers of double quotes used as SQL identifier quotes in a dbt SQL file."""
    hits: list[int] = []
    pos = 0
    while pos < len(text):
        two = text[pos : pos + 2]
        if two == "{#":
            end = text.find("#}", pos + 2)
            pos = len(text) if end < 0 else end + 2
        elif two in ("{{", "{%"):
            end = _jinja_end(text, pos + 2, "}}" if two == "{{" else "%}")
            hits += _jinja_string_hits(text, pos + 2, end)
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
            if text[pos] == '"':
                hits.append(pos)
            pos += 1
    return sorted({_line(text, hit) for hit in hits})


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
