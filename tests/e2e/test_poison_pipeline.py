"""A poison landing file does not stop the pipeline (issue 13, part 2).

Before: a non-Parquet file in one session folder failed every build, naming no file.
Now it is quarantined and reported by name; every other file is built and published.
"""

from __future__ import annotations

import json

import duckdb
import pytest
from typer.testing import CliRunner

from achilles.cli import app as cli
from achilles_core.landing import LandingZone
from achilles_core.settings import Settings
from tests.pipeline_fixtures import SAMPLES, land_sessions

pytestmark = pytest.mark.slow


def test_build_quarantines_a_bad_file_and_publishes_the_rest(tmp_path):
    from orchestration.pipeline import run_pipeline

    settings = Settings(data_dir=tmp_path / "data", _env_file=None)
    sessions = json.loads(SAMPLES.read_text())[:2]
    land_sessions(settings, sessions)
    sid = sessions[0]["start"]["session_id"]
    zone = LandingZone(settings.events_dir)
    bad = zone.session_dir(sid) / "00000000000000000001-junk.parquet"
    bad.write_bytes(b"PAR1 not really")

    assert run_pipeline(settings, quiet=True)

    assert [p.name for p in zone.quarantined()] == [bad.name]
    with duckdb.connect(str(settings.published_db), read_only=True) as db:
        built = {r[0] for r in db.execute("select session_id from sessions").fetchall()}
        events = db.execute("select count(*) from events where session_id = ?", [sid]).fetchone()
    assert built == {s["start"]["session_id"] for s in sessions}
    assert events[0] == len(sessions[0]["events"]) + 2  # + start and end
    out = CliRunner().invoke(cli, ["report", "--data-dir", str(settings.data_dir)])
    assert out.exit_code == 0, out.output
    assert "Quarantined landing files: 1" in out.output and bad.name in out.output
