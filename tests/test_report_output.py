"""The report `achilles run` and `achilles report` print: one line per insight cause,
identifiers whole on an 80-column terminal."""

from __future__ import annotations

import io

import duckdb
from rich.console import Console

from achilles.report import open_insight_causes, print_report
from ingest_api.warehouse import WarehouseReader


def _published(built, sql: str) -> list[tuple]:
    con = duckdb.connect(str(built.settings.published_db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_one_row_per_insight_cause(built):
    reader = WarehouseReader(built.settings.published_db)
    try:
        rows = open_insight_causes(reader, 1000)
    finally:
        reader.close()
    keys = [(r["session_id"], r["kind"], r["title"]) for r in rows]
    assert len(keys) == len(set(keys))
    (open_total,) = _published(built, "select count(*) from insights where status = 'open'")[0]
    assert sum(r["n"] for r in rows) == open_total == rows[0]["total"]
    # The sample sessions have agents that caused several errors each: counted, not repeated.
    assert any(r["n"] > 1 for r in rows) and len(rows) < open_total


def _report_text(built, width: int) -> str:
    """The report as printed on a terminal `width` columns wide."""
    buf = io.StringIO()
    reader = WarehouseReader(built.settings.published_db)
    try:
        print_report(reader, Console(file=buf, width=width, color_system=None))
    finally:
        reader.close()
    return buf.getvalue()


def test_report_shows_whole_session_ids_on_80_columns(built):
    text = _report_text(built, 80)
    assert "…" not in text.split("Top error clusters")[0]
    for (sid,) in _published(built, "select session_id from sessions"):
        assert sid in text
    assert max(len(line.rstrip()) for line in text.splitlines()) <= 80


def test_piped_report_keeps_whole_headers_and_values(built):
    from typer.testing import CliRunner

    from achilles.cli import app

    result = CliRunner().invoke(app, ["report", "--data-dir", str(built.settings.data_dir)])
    assert result.exit_code == 0, result.output
    sessions = result.stdout.split("Top error clusters")[0]
    # not a terminal: 160 columns, so no header is wrapped and no outcome cut
    assert "agent events" in sessions and "errors/100" in sessions
    outcomes = {o for (o,) in _published(built, "select outcome from sessions") if o}
    assert outcomes and all(o in sessions for o in outcomes)


def test_a_report_of_several_projects_names_each_rows_project(built):
    """The shared warehouse holds two projects, one session id in both: each row says
    whose it is, so the two rows of that session (and its agents) are told apart."""
    from tests.pipeline_fixtures import OTHER_PROJECT, SHARED_SESSION_ID

    sessions = _report_text(built, 160).split("Top error clusters")[0]
    assert "project_id" in sessions
    shared = [line for line in sessions.splitlines() if SHARED_SESSION_ID in line]
    assert len(shared) == 2
    assert sorted(line.split()[0] for line in shared) == sorted(["default", OTHER_PROJECT])


def test_report_of_one_project_shows_its_rows_only(built):
    from typer.testing import CliRunner

    from achilles.cli import app
    from tests.pipeline_fixtures import OTHER_AGENT, OTHER_PROJECT

    data_dir = str(built.settings.data_dir)
    result = CliRunner().invoke(app, ["report", "--project", OTHER_PROJECT, "--data-dir", data_dir])
    assert result.exit_code == 0, result.output
    (other_sessions,) = _published(
        built, f"select count(*) from sessions where project_id = '{OTHER_PROJECT}'"
    )[0]
    assert f"Sessions ({other_sessions})" in result.stdout
    assert OTHER_AGENT in result.stdout
    default_only = {
        sid
        for (sid,) in _published(
            built,
            "select session_id from sessions where project_id = 'default' except "
            f"select session_id from sessions where project_id = '{OTHER_PROJECT}'",
        )
    }
    assert default_only and not any(sid in result.stdout for sid in default_only)

    missing = CliRunner().invoke(app, ["report", "--project", "nope", "--data-dir", data_dir])
    assert missing.exit_code == 1
    assert "No project 'nope'" in missing.output and OTHER_PROJECT in missing.output
    bad = CliRunner().invoke(app, ["report", "--project", "no/pe", "--data-dir", data_dir])
    assert bad.exit_code == 2 and "--project" in bad.output
