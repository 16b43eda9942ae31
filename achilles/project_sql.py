"""`achilles sql --project P`: ad-hoc SQL that sees one project's rows only.

The published snapshot is attached read-only to an in-memory database, and each of
its tables is shadowed there by a view of the same name keeping `project_id = P`
(tables without the column, such as `achilles_publish`, pass through whole). An
unqualified `select * from sessions` then reads the view; the snapshot itself stays
reachable as `snapshot.<table>` for a person who means to see every project.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from achilles_core.projects import check_project_id

SNAPSHOT = "snapshot"
# The published tables are plain lowercase names; anything else is left unshadowed.
_PLAIN_NAME = re.compile(r"[a-z_][a-z0-9_]*")


def connect(published_db: Path, project_id: str | None) -> duckdb.DuckDBPyConnection:
    """A connection on the snapshot; with `project_id`, one that sees that project only."""
    if project_id is None:
        return duckdb.connect(str(published_db), read_only=True)
    project = check_project_id(project_id)  # [A-Za-z0-9_.-]: safe as a SQL literal
    con = duckdb.connect()
    try:
        path = str(published_db).replace("'", "''")
        con.execute(f"attach '{path}' as {SNAPSHOT} (read_only)")
        columns = con.execute(
            "select table_name, bool_or(column_name = 'project_id') from duckdb_columns() "
            "where database_name = ? group by table_name order by table_name",
            [SNAPSHOT],
        ).fetchall()
        for table, scoped in columns:
            if not _PLAIN_NAME.fullmatch(table):
                continue
            where = f" where project_id = '{project}'" if scoped else ""
            con.execute(f"create view {table} as select * from {SNAPSHOT}.main.{table}{where}")
    except BaseException:
        con.close()
        raise
    return con
