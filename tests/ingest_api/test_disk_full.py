"""A full disk is a 507 with Retry-After, never an acknowledgement (issue 13, part 4).

Two ways to fill the disk: a real 4 MB tmpfs (needs root; skipped otherwise), and
the test-only fault injection `ACHILLES_TEST_FAIL_WRITES=enospc`, which makes every
landing write fail with ENOSPC after writing some bytes.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from achilles_core.settings import Settings
from ingest_api.app import create_app

AUTH = {"Authorization": "Bearer dev-key"}


def event(ts: str, **over):
    return {"event_type": "agent_action", "source_type": "agent", "timestamp": ts, **over}


BATCH = {"session_id": "d", "events": [event("2026-11-21T10:00:01Z", message="m" * 2000)]}


def _temp_files(root: Path) -> list[Path]:
    return list(root.rglob(".tmp-*"))


def _assert_refused(r) -> None:
    assert r.status_code == 507, r.text
    assert int(r.headers["Retry-After"]) > 0
    assert "disk is full" in r.json()["detail"]


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mnt)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def _fill(folder: Path) -> Path:
    filler = folder / "filler"
    with open(filler, "wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass
    return filler


def test_full_tmpfs_gives_507_lands_nothing_and_recovers(tiny_disk):
    settings = Settings(data_dir=tiny_disk / "data", _env_file=None)
    with TestClient(create_app(settings), headers=AUTH) as c:
        first = {"session_id": "d", "events": [event("2026-11-21T10:00:00Z")]}
        assert c.post("/v1/events/batch", json=first).status_code == 200
        filler = _fill(tiny_disk)
        free_when_full = c.get("/health").json()["disk_free_bytes"]

        _assert_refused(c.post("/v1/events/batch", json=BATCH))
        _assert_refused(c.post("/v1/sessions/start", json={"session_id": "new", "agent": "x"}))
        assert _temp_files(tiny_disk) == []
        assert c.get("/v1/sessions/d/events").json()["total"] == 1  # nothing acknowledged

        filler.unlink()  # space returns: the same batch lands, as new, not a duplicate
        assert c.get("/health").json()["disk_free_bytes"] > free_when_full
        again = c.post("/v1/events/batch", json=BATCH)
        assert again.status_code == 200 and again.json()["accepted"] == 1
        assert c.get("/v1/sessions/d/events").json()["total"] == 2


def test_injected_enospc_gives_507_and_cleans_up(settings, monkeypatch):
    with TestClient(create_app(settings), headers=AUTH) as c:
        monkeypatch.setenv("ACHILLES_TEST_FAIL_WRITES", "enospc")
        _assert_refused(c.post("/v1/events/batch", json=BATCH))
        _assert_refused(c.post("/v1/sessions/start", json={"session_id": "s2"}))
        assert _temp_files(settings.data_dir) == []
        assert c.get("/v1/sessions/d").status_code == 404
        monkeypatch.delenv("ACHILLES_TEST_FAIL_WRITES")
        again = c.post("/v1/events/batch", json=BATCH)
        assert again.status_code == 200 and again.json()["accepted"] == 1
