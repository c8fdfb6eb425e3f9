"""Ad-hoc SQL over the warehouse on a read-only connection, rendered as a table, CSV or JSON."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from warehouse.io import connect
from warehouse.locking import db_lock_path, hold


def run_query(db_path: str | Path, sql: str, lock_timeout: float = 30.0) -> tuple[list[str], list[tuple]]:
    with hold(db_lock_path(db_path), lock_timeout, "read the warehouse"):
        con = connect(db_path, read_only=True)
        try:
            rel = con.sql(sql)
            if rel is None:
                return [], []
            return list(rel.columns), rel.fetchall()
        finally:
            con.close()


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return str(value)


def render(columns: list[str], rows: list[tuple], fmt: str) -> str:
    if fmt == "json":
        return json.dumps([dict(zip(columns, r)) for r in rows], ensure_ascii=False, default=str, indent=1)
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(columns)
        w.writerows([[_cell(c) for c in r] for r in rows])
        return buf.getvalue()
    from rich.console import Console
    from rich.table import Table

    table = Table(show_lines=False, header_style="bold")
    for c in columns:
        table.add_column(c, overflow="fold")
    for r in rows:
        table.add_row(*[_cell(c) for c in r])
    console = Console(record=True, width=200, file=io.StringIO())
    console.print(table)
    return console.export_text() + f"({len(rows)} rows)\n"
