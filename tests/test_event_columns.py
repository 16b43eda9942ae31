"""The event's columns are spelled out by hand where code cannot derive them (dbt SQL and
YAML, the hand-written benchmark SQL, the docs). Each such list must match the contract.

Python derives its lists: CONTENT_FIELDS from the Event model, the read columns from the
landing schema. The landing schema itself is checked against the contract here too.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from achilles_core.contract import CONTENT_FIELDS, Event
from achilles_core.landing import COLUMNS, LANDING_ONLY_COLUMNS
from ingest_api.schemas import EventOut
from ingest_api.session_reads import EVENT_COLUMNS

ROOT = Path(__file__).resolve().parent.parent
DBT = ROOT / "dbt_project"
# What the warehouse's `events` table holds of an event (it adds event_seq).
# The warehouse's events carry the project (from the landing folder) and their place.
WAREHOUSE_EVENT_COLUMNS = ["project_id", *EVENT_COLUMNS, "event_seq"]


def named_in_order(text: str, names: tuple[str, ...] | list[str]) -> list[str]:
    """The names (whole words) in the order they first appear in `text`."""
    seen: list[str] = []
    for word in re.findall(r"[a-z_][a-z0-9_]*", text):
        if word in names and word not in seen:
            seen.append(word)
    return seen


def macro_body(name: str) -> str:
    """The body of dbt macro `name`, wherever under macros/ it is defined."""
    pattern = re.compile(r"{%-?\s*macro\s+" + name + r"\(.*?%}(.*?){%-?\s*endmacro", re.S)
    for path in sorted((DBT / "macros").rglob("*.sql")):
        found = pattern.search(path.read_text())
        if found:
            return found.group(1)
    raise AssertionError(f"no dbt macro {name}")


def model_columns(model: str) -> list[str]:
    """Column names documented for a dbt model, in any YAML file under models/."""
    for path in sorted((DBT / "models").rglob("*.yml")):
        for entry in (yaml.safe_load(path.read_text()) or {}).get("models") or []:
            if entry.get("name") == model and entry.get("columns"):
                return [c["name"] for c in entry["columns"]]
    raise AssertionError(f"no columns documented for model {model}")


def test_content_fields_lead_the_landing_schema_in_order():
    assert [c for c in COLUMNS if c in CONTENT_FIELDS] == list(CONTENT_FIELDS)
    landed_event_fields = {"event_id", "timestamp", *CONTENT_FIELDS}
    assert landed_event_fields == set(Event.model_fields)
    assert set(COLUMNS) - landed_event_fields == {
        *LANDING_ONLY_COLUMNS,
        "event_hash",
        "received_at",
    }


def test_api_event_is_the_read_columns():
    assert tuple(EventOut.model_fields) == EVENT_COLUMNS


@pytest.mark.parametrize("macro", ["landing_event_columns"])
def test_dbt_landing_macros_list_the_landing_columns(macro):
    assert named_in_order(macro_body(macro), COLUMNS) == list(COLUMNS)


def test_dbt_staging_documents_the_landing_columns():
    assert model_columns("stg_events") == ["project_id", *COLUMNS]


def test_dbt_events_mart_documents_the_read_columns():
    assert sorted(model_columns("events")) == sorted(WAREHOUSE_EVENT_COLUMNS)


def test_hand_written_benchmark_sql_lists_the_columns():
    sql = (ROOT / "benchmarks" / "hand_sql.sql").read_text()
    landed = re.search(r"CREATE TEMP TABLE landed AS(.*?)FROM", sql, re.S)
    events = re.search(r"CREATE TABLE events AS(.*?)FROM", sql, re.S)
    assert landed and events
    assert named_in_order(landed.group(1), COLUMNS) == list(COLUMNS)
    assert named_in_order(events.group(1), WAREHOUSE_EVENT_COLUMNS) == WAREHOUSE_EVENT_COLUMNS


def test_warehouse_contract_lists_the_landing_columns():
    doc = (ROOT / "docs" / "warehouse-contract.md").read_text()
    paragraph = doc.split("Columns:", 1)[1].split("\n\n", 1)[0]
    assert named_in_order(paragraph, COLUMNS) == list(COLUMNS)


def test_readme_lists_the_event_fields():
    readme = (ROOT / "README.md").read_text()
    paragraph = readme[readme.index("Required: `session_id`") :].split("\n\n", 1)[0]
    assert named_in_order(paragraph, tuple(Event.model_fields)) == list(Event.model_fields)


def test_dbt_accepted_values_are_the_vocabularies():
    """The events mart's accepted_values tests list exactly the contract's words."""
    from achilles_core.vocab import ACTION_KINDS, EventType, Severity, SourceType

    models = yaml.safe_load((DBT / "models" / "marts" / "_marts.yml").read_text())["models"]
    (events,) = [m for m in models if m["name"] == "events"]
    accepted = {
        c["name"]: t["accepted_values"]["arguments"]["values"]
        for c in events["columns"]
        for t in c.get("data_tests", [])
        if isinstance(t, dict) and "accepted_values" in t
    }
    assert accepted == {
        "event_type": [e.value for e in EventType],
        "source_type": [e.value for e in SourceType],
        "severity": [e.value for e in Severity],
        "action_kind": list(ACTION_KINDS),
    }


@pytest.mark.parametrize("model", ["intermediate/int_events_deduplicated.sql", "marts/events.sql"])
def test_dbt_event_models_select_the_read_columns(model):
    sql = (DBT / "models" / model).read_text()
    final = sql[sql.rindex("final as (") :]
    assert named_in_order(final, WAREHOUSE_EVENT_COLUMNS) == list(WAREHOUSE_EVENT_COLUMNS)
