"""Is there anything new to build? A cheap fingerprint of what a build reads.

The landing zone part is a directory walk with one stat per file (count, bytes,
newest change); no Parquet is opened. With the dbt project's digest and the
settings that change derived rows, it says whether a build could publish
anything different from the snapshot already published. `achilles run`, the
schedule and the sensor skip their build when it has not changed (issue 16:
no idle work).

No Dagster or dbt import here: `achilles run` answers "nothing to do" in well
under a second.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from achilles_core.settings import Settings

DBT_PROJECT_DIR = Path(__file__).resolve().parent.parent / "dbt_project"
# Written by the landing step of a run (after its compaction, before dbt reads), and
# promoted by the publish step: a failed run never records what it did not publish.
PENDING = "build.fingerprint.pending"
PUBLISHED = "published.fingerprint"


def project_files() -> list[Path]:
    paths = [DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "profiles.yml"]
    for folder in ("models", "macros", "tests"):
        paths += sorted(p for p in (DBT_PROJECT_DIR / folder).rglob("*") if p.is_file())
    return [p for p in paths if p.exists()]


# Data the models read besides the landing zone: llm_usage keeps the costs it computed
# with the prices of this package (int_model_prices), so new prices rebuild everything.
MODEL_DATA_PACKAGES = ("genai-prices",)


def project_digest() -> str:
    """A hash of the dbt project's SQL and YAML and of the versions of the data packages
    its models read: what the warehouse was built by."""
    digest = hashlib.sha256()
    for package in MODEL_DATA_PACKAGES:
        digest.update(f"{package}=={importlib.metadata.version(package)}\0".encode())
    for path in project_files():
        digest.update(str(path.relative_to(DBT_PROJECT_DIR)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def landing_state(landing_dir: Path) -> dict[str, int]:
    """Landed files, their bytes and the newest change among them and their folders
    (a landing, a compaction or a quarantine changes a folder), over every project's
    events and the metric points. Hidden names are writes in progress and are left out."""
    files = size = newest = 0
    for root, dirs, names in os.walk(landing_dir):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        try:
            newest = max(newest, os.stat(root).st_mtime_ns)
        except FileNotFoundError:  # compacted or quarantined away meanwhile
            continue
        for name in names:
            if name.startswith("."):
                continue
            try:
                st = os.stat(os.path.join(root, name))
            except FileNotFoundError:
                continue
            files += 1
            size += st.st_size
            newest = max(newest, st.st_mtime_ns)
    return {"files": files, "bytes": size, "newest_mtime_ns": newest}


def fingerprint(settings: Settings) -> dict[str, Any]:
    """What a build's output depends on: landed files, the dbt project, the rule knobs."""
    knobs = {
        "dedupe_window_s": settings.dedupe_window_s,
        "correlation_window_s": settings.correlation_window_s,
        "insight": settings.insight.model_dump(mode="json", exclude={"llm_api_key"}),
    }
    return {
        "landing": landing_state(settings.landing_dir),
        "dbt_project": project_digest(),
        "settings": hashlib.sha256(orjson.dumps(knobs, option=orjson.OPT_SORT_KEYS)).hexdigest(),
    }


def key(fp: dict[str, Any]) -> str:
    """A short stable name of a fingerprint (the sensor's run key)."""
    parts = {k: v for k, v in fp.items() if k not in ("recorded_at", "run_id")}
    return hashlib.sha256(orjson.dumps(parts, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


def _write(path: Path, fp: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(orjson.dumps(fp, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
    os.replace(tmp, path)


def record_pending(settings: Settings, run_id: str | None = None) -> dict[str, Any]:
    """The landing step: what run `run_id` is about to build from."""
    fp = {**fingerprint(settings), "recorded_at": datetime.now(UTC).isoformat(), "run_id": run_id}
    _write(settings.warehouse_dir / PENDING, fp)
    return fp


def pending(settings: Settings) -> dict[str, Any] | None:
    """What the run in progress (or the last one that did not publish) builds from."""
    return _read(settings.warehouse_dir / PENDING)


def promote_pending(settings: Settings) -> None:
    """The publish step, after the snapshot is in place: this run's input is published."""
    pending = settings.warehouse_dir / PENDING
    if pending.exists():
        os.replace(pending, settings.warehouse_dir / PUBLISHED)


def published(settings: Settings) -> dict[str, Any] | None:
    """The fingerprint of what the published snapshot was built from, if known."""
    if not settings.published_db.exists():
        return None
    return _read(settings.warehouse_dir / PUBLISHED)


def _read(path: Path) -> dict[str, Any] | None:
    try:
        data = orjson.loads(path.read_bytes())
    except (FileNotFoundError, orjson.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def unchanged_since_publish(
    settings: Settings, current: dict[str, Any] | None = None
) -> dict[str, Any] | None:
    """The published fingerprint when nothing changed since it, else None (build)."""
    last = published(settings)
    if last is None:
        return None
    return last if key(last) == key(current or fingerprint(settings)) else None
