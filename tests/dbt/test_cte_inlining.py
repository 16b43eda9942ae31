"""No model makes Spark plan the same CTE many times over.

Spark inlines a (deterministic) CTE at each of its references, so a CTE read by two
CTEs that are each read twice is planned four times, with everything under it.
DuckDB reuses CTEs and does not show it: int_change_set_correlations once planned its
`events` scan 174 times, a 26 MB plan that took 93-150 s on Spark for 5,000 events.
This lint counts, per model, how many times each CTE ends up in the inlined plan and
keeps it under a bound that allows today's models and fails on that one.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

MODELS = Path(__file__).resolve().parents[2] / "dbt_project" / "models"
MAX_COPIES = 25
CTE_START = re.compile(r"(?mi)^\s*(\w+)\s+as\s+\(")


def _definitions(sql: str) -> tuple[dict[str, str], str]:
    """Each CTE's body by name, in order, and the main query after the last one."""
    sql = re.sub(r"\{#.*?#\}", "", sql, flags=re.S)
    sql = re.sub(r"--[^\n]*", "", sql)
    bodies: dict[str, str] = {}
    end = 0
    for m in CTE_START.finditer(sql, end):
        if m.start() < end:
            continue  # `x as (` inside an earlier CTE's body
        depth, pos = 1, m.end()
        while depth and pos < len(sql):
            depth += {"(": 1, ")": -1}.get(sql[pos], 0)
            pos += 1
        bodies[m.group(1)] = sql[m.end() : pos - 1]
        end = pos
    return bodies, sql[end:]


def inlined_copies(sql: str) -> dict[str, int]:
    """How many times each CTE appears once every CTE is inlined at its references."""
    bodies, main = _definitions(sql)
    names = list(bodies)

    def refs(text: str, name: str) -> int:
        return len(re.findall(rf"(?i)\b(?:from|join)\s+{name}\b", text))

    copies: dict[str, int] = {}
    for i in range(len(names) - 1, -1, -1):  # a CTE is read only by later ones
        name = names[i]
        copies[name] = refs(main, name) + sum(
            refs(bodies[later], name) * copies[later] for later in names[i + 1 :]
        )
    return copies


def test_the_count_multiplies_along_the_references():
    sql = """
    with
    a as (select 1 as x),
    b as (select * from a union all select * from a),
    c as (select * from b join b as b2 on true)
    select * from c
    """
    assert inlined_copies(sql) == {"a": 4, "b": 2, "c": 1}


@pytest.mark.parametrize(
    "model", sorted(MODELS.rglob("*.sql")), ids=lambda p: p.relative_to(MODELS).as_posix()
)
def test_no_cte_is_planned_too_many_times(model: Path):
    copies = inlined_copies(model.read_text())
    worst = {name: n for name, n in copies.items() if n > MAX_COPIES}
    assert not worst, (
        f"{model.name}: Spark would plan these CTEs more than {MAX_COPIES} times each "
        f"(copies by name): {worst}; read a CTE once and carry what later steps need, "
        "as int_change_set_correlations does"
    )
