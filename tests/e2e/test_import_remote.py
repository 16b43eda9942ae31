"""`achilles import --url`: a developer's machine feeds a team's running server."""

from __future__ import annotations

import orjson
import pytest
from typer.testing import CliRunner

from achilles.cli import app
from achilles.client import AchillesClient
from achilles.server import ServerProcess
from tests.real_sessions import unpack
from tests.test_import import final_events, settings_at

pytestmark = pytest.mark.slow


def test_import_to_a_running_server_equals_a_local_import(tmp_path):
    logs = unpack("codex", tmp_path / "codex")
    local = settings_at(tmp_path / "local")
    runner = CliRunner()
    assert runner.invoke(app, ["import", "codex", str(logs), "--data-dir", str(local.data_dir)])

    with ServerProcess(tmp_path / "server" / "data") as server:
        args = ["import", "codex", str(logs), "--url", server.url, "--api-key", "dev-key"]
        args += ["--data-dir", str(tmp_path / "laptop"), "--json"]
        first = runner.invoke(app, args)
        assert first.exit_code == 0, first.output
        assert sum(orjson.loads(first.stdout)["events_accepted"].values()) > 100
        again = orjson.loads(runner.invoke(app, args).stdout)
        assert again["files_unchanged"] == 2 and again["events_accepted"] == {}

        with AchillesClient(server.url, "dev-key") as api:
            remote = {
                sid: [
                    {k: v for k, v in e.items() if k != "received_at"} for e in api.iter_events(sid)
                ]
                for sid in final_events(local)
            }
        bad_key = runner.invoke(app, [*args[:5], "--api-key", "wrong", *args[7:]])
        assert bad_key.exit_code == 2 and "refused the API key (401)" in bad_key.output

    expected = {
        sid: [{**e, "timestamp": e["timestamp"].isoformat().replace("+00:00", "Z")} for e in evs]
        for sid, evs in final_events(local).items()
    }
    assert remote == expected
