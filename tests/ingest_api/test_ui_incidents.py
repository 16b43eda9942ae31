"""The incidents page over real Alertmanager and Sentry payloads, and its Markdown export."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from achilles_core.settings import Settings
from ingest_api.app import create_app
from tests.receivers.test_alertmanager import _feed

pytestmark = pytest.mark.slow
AUTH = {"Authorization": "Bearer dev-key"}


def test_incidents_page_filters_and_exports(tmp_path):
    from orchestration.pipeline import run_pipeline

    settings = Settings(data_dir=tmp_path / "data", _env_file=None)
    with TestClient(create_app(settings), headers=AUTH) as c:
        _feed(c)
    assert run_pipeline(settings, quiet=True)
    with TestClient(create_app(settings), headers=AUTH) as c:
        api = c.get("/v1/incidents", params={"limit": 500}).json()["incidents"]
        page = c.get("/ui/incidents").text
        links = re.findall(r'href="(/ui/incidents/[^"]+/export\.md)"', page)
        assert len(links) == len(api) == 6
        resolved = c.get("/ui/incidents", params={"incident_status": "resolved"}).text
        [link] = re.findall(r'href="(/ui/incidents/[^"]+/export\.md)"', resolved)
        [ping] = [i for i in api if i["status"] == "resolved"]
        assert link == f"/ui/incidents/{ping['incident_id']}/export.md"
        md = c.get(link)
        assert md.headers["content-type"].startswith("text/markdown")
        assert md.text == c.get(f"/v1/incidents/{ping['incident_id']}/export").text
        assert "ICMP ping failed" in md.text
        # the overview lists the open ones
        overview = c.get("/ui").text
        opened = re.findall(r'href="(/ui/incidents/[^"]+/export\.md)"', overview)
        assert len(opened) == sum(1 for i in api if i["status"] == "open")
