"""`achilles sql`: readable on an 80-column terminal, in every format, and where the data is."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import duckdb
import orjson
import pytest
from typer.testing import CliRunner

from achilles.cli import app
from achilles.sql_output import Format, render
from achilles_core.settings import Settings, find_data_dir

NAMES = ["session_id", "agent", "note", "event_count", "cost_usd"]
ROWS = [
    ("s-1", "claude-code", "a|b", 22, 0.1254),
    ("s-2", None, "two\nlines", 3, None),
]


def test_a_row_wider_than_the_terminal_turns_vertical():
    wide = [("x" * 60, "claude-code", "y" * 40, 1, 2.5)]
    text = render(NAMES, wide, Format.table, width=80)
    assert text.startswith("-[ RECORD 1 ]")
    assert "session_id  | " + "x" * 60 in text
    assert "…" not in text and "..." not in text
    narrow = render(NAMES, ROWS[:1], Format.table, width=200)
    assert narrow.splitlines()[0].split() == NAMES  # fits: columns side by side
    assert render(NAMES, ROWS[:1], Format.table, width=200, force_vertical=True).startswith(
        "-[ RECORD 1 ]"
    )
    assert (
        render(NAMES, wide, Format.table, width=80, force_vertical=False).splitlines()[0].split()
        == NAMES
    )


def test_vertical_keeps_multiline_values_under_their_column():
    text = render(NAMES, ROWS[1:], Format.table, width=80, force_vertical=True)
    assert "note        | two\n            | lines" in text
    assert "agent       | NULL" in text


def test_csv_json_and_markdown_keep_every_value():
    parsed = list(csv.reader(io.StringIO(render(NAMES, ROWS, Format.csv))))
    assert parsed[0] == NAMES
    assert parsed[1] == ["s-1", "claude-code", "a|b", "22", "0.1254"]
    assert parsed[2] == ["s-2", "", "two\nlines", "3", ""]

    records = orjson.loads(render(NAMES, ROWS, Format.json))
    assert records == [dict(zip(NAMES, row, strict=True)) for row in ROWS]

    md = render(NAMES, ROWS, Format.markdown).splitlines()
    assert md[0].startswith("| session_id") and set(md[1]) <= set("|-: ")
    assert "a\\|b" in md[2] and "two<br>lines" in md[3]
    assert len(md) == 4  # a newline in a value does not break the table


def test_readme_query_is_readable_on_80_columns(built, monkeypatch):
    """The README's first query printed a grid of "…" (issue 14)."""
    monkeypatch.setenv("COLUMNS", "80")
    result = CliRunner().invoke(
        app, ["sql", "select * from sessions", "--data-dir", str(built.settings.data_dir)]
    )
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "…" not in out
    assert max(len(line) for line in out.splitlines()) <= 80
    con = duckdb.connect(str(built.settings.published_db), read_only=True)
    try:
        ids = [r[0] for r in con.execute("select session_id from sessions").fetchall()]
        columns = [d[0] for d in con.execute("select * from sessions limit 0").description]
    finally:
        con.close()
    for sid in ids:
        assert sid in out
    for col in columns:
        assert f"\n{col} " in out
    assert f"{len(ids)} row(s)" in out


def test_output_file_gets_the_result_and_nothing_else(built, tmp_path):
    target = tmp_path / "sessions.csv"
    result = CliRunner().invoke(
        app,
        [
            "sql",
            "select session_id, event_count from sessions order by session_id",
            "--format",
            "csv",
            "--output",
            str(target),
            "--data-dir",
            str(built.settings.data_dir),
        ],
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(target.open()))
    assert rows[0] == ["session_id", "event_count"]
    assert len(rows) > 2 and all(r[1].isdigit() for r in rows[1:])
    assert "written to" in result.stderr and result.stdout == ""


def test_nothing_published_names_the_path_it_looked_in(tmp_path):
    result = CliRunner().invoke(app, ["sql", "select 1", "--data-dir", str(tmp_path / "d")])
    assert result.exit_code == 1
    assert str(tmp_path / "d" / "warehouse" / "achilles.duckdb") in result.stderr
    assert f"Data dir: {tmp_path / 'd'} (--data-dir)" in result.stderr


def _project(root: Path) -> Path:
    """A project folder whose data dir has been built into (the layout, not the data)."""
    (root / "data" / "warehouse").mkdir(parents=True)
    (root / "src" / "deep").mkdir(parents=True)
    return root / "data"


def test_a_subfolder_finds_the_projects_data_dir(tmp_path, monkeypatch):
    data = _project(tmp_path / "proj")
    monkeypatch.chdir(tmp_path / "proj" / "src" / "deep")
    assert find_data_dir()[0] == data
    assert Settings(_env_file=None).data_dir == data
    result = CliRunner().invoke(app, ["sql", "select 1"])
    assert f"Data dir: {data} (found in {tmp_path / 'proj'})" in result.stderr
    assert str(data / "warehouse" / "achilles.duckdb") in result.stderr


def test_a_checkout_without_data_yet_uses_its_own_data_folder(tmp_path, monkeypatch):
    (tmp_path / "repo" / "pkg").mkdir(parents=True)
    (tmp_path / "repo" / "pyproject.toml").write_text('[project]\nname = "achilles"\n')
    monkeypatch.chdir(tmp_path / "repo" / "pkg")
    assert find_data_dir() == (tmp_path / "repo" / "data", f"project at {tmp_path / 'repo'}")


def test_achilles_data_dir_always_wins(tmp_path, monkeypatch):
    _project(tmp_path / "proj")
    elsewhere = tmp_path / "elsewhere"
    monkeypatch.chdir(tmp_path / "proj" / "src")
    monkeypatch.setenv("ACHILLES_DATA_DIR", str(elsewhere))
    assert Settings(_env_file=None).data_dir == elsewhere
    result = CliRunner().invoke(app, ["sql", "select 1"])
    assert f"Data dir: {elsewhere} (ACHILLES_DATA_DIR)" in result.stderr


def test_the_default_data_dir_is_not_announced(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["sql", "select 1"])
    assert result.exit_code == 1
    assert "Data dir:" not in result.stderr
    assert str(tmp_path / "data" / "warehouse" / "achilles.duckdb") in result.stderr


@pytest.mark.parametrize("fmt", ["csv", "json", "markdown"])
def test_formats_from_the_command_line(built, fmt):
    result = CliRunner().invoke(
        app,
        [
            "sql",
            "select session_id from sessions order by 1 limit 1",
            "-f",
            fmt,
            "--data-dir",
            str(built.settings.data_dir),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "row(s)" not in result.stdout  # the count goes to stderr, off the result
    assert "1 row(s)" in result.stderr
