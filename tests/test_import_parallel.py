"""`achilles import` with worker processes lands what one process lands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from achilles.importer import TASK_FILES, Cursors, LocalSink, run_import
from achilles_core.landing import LandingZone
from achilles_core.settings import Settings
from benchmarks.import_bench import make_corpus


def landed(settings: Settings) -> list[tuple[Any, ...]]:
    zone = LandingZone(settings.events_dir)
    table = zone.read_files(list(zone.all_files()))
    table = table.drop_columns(["received_at", "batch_id", "batch_index"])
    return sorted(tuple(row.values()) for row in table.to_pylist())


def test_worker_processes_land_the_same_events_and_summary(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    files, _ = make_corpus(corpus, copies=10)  # the real transcripts under new session ids
    assert files > 2 * TASK_FILES  # enough for several tasks, so the workers share them
    out = {}
    for jobs in (1, 2):
        settings = Settings(data_dir=tmp_path / f"jobs{jobs}", _env_file=None)
        cursors = Cursors.load(tmp_path / f"jobs{jobs}.cursors")
        summary = run_import("claude-code", [corpus], LocalSink(settings), cursors, jobs=jobs)
        assert summary.files_read == files and not summary.files_failed
        # every file's cursor is kept: a second import reads nothing
        again = run_import(
            "claude-code",
            [corpus],
            LocalSink(settings),
            Cursors.load(tmp_path / f"jobs{jobs}.cursors"),
            jobs=jobs,
        )
        assert again.files_unchanged == files and again.files_read == 0
        out[jobs] = (summary.as_dict(), landed(settings))
    assert out[1][0] == out[2][0]
    assert out[1][1] == out[2][1] and len(out[1][1]) > 1000


def test_worker_processes_land_in_the_sinks_project(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    files, _ = make_corpus(corpus, copies=10)
    settings = Settings(data_dir=tmp_path / "data", _env_file=None)
    cursors = Cursors.load(tmp_path / "cursors")
    sink = LocalSink(settings, "team-b")
    summary = run_import("claude-code", [corpus], sink, cursors, jobs=2)
    assert summary.files_read == files
    assert not LandingZone(settings.events_dir).session_ids()  # nothing in `default`
    assert len(LandingZone(settings.project_events_dir("team-b")).session_ids()) > 10
    # the same files into the default project are not "unchanged": they land there too
    again = run_import("claude-code", [corpus], LocalSink(settings), cursors, jobs=2)
    assert again.files_read == files
    assert LandingZone(settings.events_dir).session_ids()
