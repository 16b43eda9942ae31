"""Shared fixtures: every test gets its own data dir; nothing touches ./data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from achilles_core.settings import Settings
from ingest_api.app import create_app

AUTH = {"Authorization": "Bearer dev-key"}


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("ACHILLES_API_KEYS", "ACHILLES_DATA_DIR"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", _env_file=None)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), headers=AUTH) as c:
        yield c


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory):
    """The sample sessions, landed and run through the whole pipeline once."""
    from tests.pipeline_fixtures import build_warehouse

    result = build_warehouse(tmp_path_factory.mktemp("built") / "data")
    assert result.run_ok, "the pipeline run over the sample sessions failed"
    return result


@pytest.fixture
def built_client(built) -> Iterator[TestClient]:
    with TestClient(create_app(built.settings), headers=AUTH) as c:
        yield c


@pytest.fixture(scope="session")
def real_warehouse(tmp_path_factory: pytest.TempPathFactory):
    """The real agent logs and hook payloads in tests/fixtures, imported and built once."""
    from tests.real_sessions import build_real_warehouse

    result = build_real_warehouse(tmp_path_factory.mktemp("real"))
    assert result.run_ok, "the pipeline run over the real sessions failed"
    return result
