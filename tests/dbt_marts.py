"""Marts built the way production builds them: events landed by the ingest service,
then the real `dbt build` over the landing zone.

For tests that need the real warehouse tables from a handful of hand-written events.
A build costs seconds (dbt start-up plus every model), so callers land many sessions
and build once; a later `build` after more landing is dbt's incremental run.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from achilles_core.settings import Settings
from ingest_api.service import ACCEPTED, IngestService
from orchestration.project import DBT_EXECUTABLE, DBT_PROJECT_DIR, dbt_env


class DbtMarts:
    """A data dir whose landing zone is written by `land` and built by `build`."""

    def __init__(self, data_dir: Path) -> None:
        self.settings = Settings(data_dir=data_dir, _env_file=None)
        # One service for the dir's lifetime, as in the API: its dedupe state spans calls.
        self.service = IngestService(self.settings)

    @property
    def build_db(self) -> Path:
        return self.settings.build_db

    def land(self, events: Iterable[Mapping[str, Any]]) -> None:
        """Ingest client events (one landing file per session); every one must be accepted."""
        batch = [dict(e) for e in events]
        results = self.service.ingest(batch)
        rejected = [(batch[r.index], r.reason) for r in results if r.status != ACCEPTED]
        assert not rejected, f"the ingest service did not accept: {rejected}"

    def build(self, data_tests: bool = True) -> None:
        """Run `dbt build` as the pipeline does (the first run builds everything, later
        ones are incremental); fail with dbt's output if it fails. `data_tests=False`
        skips the dbt data tests, which check the SQL rather than the caller's events and
        cost a fifth of a small build."""
        data_dir = Path(self.settings.data_dir).resolve()
        self.settings.warehouse_dir.mkdir(parents=True, exist_ok=True)
        env = {
            **dbt_env(self.settings),
            # dbt's artifacts stay with the data dir, not in the source tree.
            "DBT_TARGET_PATH": str(data_dir / "dbt_target"),
            "DBT_LOG_PATH": str(data_dir / "dbt_logs"),
        }
        windows = {
            "dedupe_window_s": self.settings.dedupe_window_s,
            "correlation_window_s": self.settings.correlation_window_s,
        }
        # Unit tests check the SQL on fixed inputs (tests/dbt runs them); the pipeline
        # skips them too.
        skip = ["unit_test"] if data_tests else ["unit_test", "test"]
        args = ["build", "--exclude-resource-type", *skip, "--vars", json.dumps(windows)]
        proc = subprocess.run(
            [str(DBT_EXECUTABLE), *args, "--project-dir", str(DBT_PROJECT_DIR)],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if proc.returncode != 0:
            raise AssertionError(
                f"dbt build failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
            )
