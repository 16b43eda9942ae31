"""The real agent logs in tests/fixtures, laid out as the agents keep them, and a
warehouse built from them once per test session (import → `achilles run`).

The fixtures are copies of ../shared/realdata (see each folder's PROVENANCE.md);
the larger ones are gzipped and unpacked here.
"""

from __future__ import annotations

import gzip
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import orjson

from achilles_core.settings import Settings

FIXTURES = Path(__file__).resolve().parent / "fixtures"
AGENT_FOLDERS = {"claude-code": "claude-code", "codex": "codex", "gemini": "gemini"}


def unpack(folder: str, dest: Path) -> Path:
    """Copy one fixture folder's logs to `dest`, gunzipping the .gz ones."""
    dest.mkdir(parents=True, exist_ok=True)
    for src in sorted((FIXTURES / folder).iterdir()):
        if src.name == "PROVENANCE.md":
            continue
        if src.suffix == ".gz":
            (dest / src.stem).write_bytes(gzip.decompress(src.read_bytes()))
        else:
            shutil.copyfile(src, dest / src.name)
    return dest


def hook_payloads() -> list[tuple[str, bytes]]:
    """Every recorded hook payload as (file name, the JSON text Claude Code sent)."""
    out = []
    for src in sorted((FIXTURES / "claude-code-hooks").iterdir()):
        if src.name == "PROVENANCE.md":
            continue
        data = gzip.decompress(src.read_bytes()) if src.suffix == ".gz" else src.read_bytes()
        # The recordings are JSON arrays; re-encode each payload as its own body. The
        # standard json module keeps the escaped lone surrogates the recordings hold.
        for payload in json.loads(data):
            out.append((src.name, json.dumps(payload).encode()))
    return out


@dataclass
class RealWarehouse:
    settings: Settings
    logs: dict[str, Path]  # agent -> folder of its logs
    run_ok: bool


def build_real_warehouse(root: Path) -> RealWarehouse:
    """Import every real log and hook payload, then run the pipeline once."""
    from fastapi.testclient import TestClient

    from achilles.importer import Cursors, LocalSink, run_import
    from ingest_api.app import create_app
    from orchestration.pipeline import run_pipeline

    settings = Settings(data_dir=root / "data", _env_file=None)
    logs = {agent: unpack(folder, root / "logs" / agent) for agent, folder in AGENT_FOLDERS.items()}
    sink = LocalSink(settings)
    for agent, folder in logs.items():
        summary = run_import(agent, [folder], sink, Cursors(root / f"{agent}.cursors"))
        assert not summary.files_failed and not summary.bad_lines and not summary.rejected
    with TestClient(create_app(settings), headers={"Authorization": "Bearer dev-key"}) as api:
        for name, body in hook_payloads():
            r = api.post(
                "/v1/hooks/claude-code",
                content=body,
                headers={"Content-Type": "application/json"},
            )
            assert r.status_code == 200 and not r.json()["rejected"], (name, r.text)
    return RealWarehouse(settings, logs, run_pipeline(settings, quiet=True))


def records(path: Path) -> list[dict]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def gemini_jsonl(legacy: Path) -> list[bytes]:
    """A real legacy Gemini chat as the current CLI writes it (`session-*.jsonl`), one
    line each: the metadata, the messages, a `$set`, a `$rewindTo`. Its 4th message is
    first written unfinished (no tokens, its tool calls running, no results) and again
    whole after the 5th, as the CLI appends a message again when it changes."""
    doc = orjson.loads(legacy.read_bytes())
    meta = {k: doc[k] for k in ("sessionId", "projectHash", "startTime", "lastUpdated")}
    msgs = doc["messages"]
    unfinished = {k: v for k, v in msgs[3].items() if k != "tokens"}
    unfinished["toolCalls"] = [
        {k: v for k, v in c.items() if k not in ("result", "resultDisplay")}
        | {"status": "executing"}
        for c in msgs[3]["toolCalls"]
    ]
    out = [meta, *msgs[:3], unfinished, msgs[4], msgs[3], {"$set": {"summary": "a chat"}}]
    out += [*msgs[5:9], {"$rewindTo": msgs[7]["id"]}, *msgs[9:]]
    out.append({"$set": {"lastUpdated": doc["lastUpdated"]}})
    return [orjson.dumps(rec) + b"\n" for rec in out]
