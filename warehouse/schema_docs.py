"""What the DDL says about each table and column: the comments of warehouse/schema/*.sql.

A column is documented by the `-- …` comment on its line in CREATE TABLE, or by a `COMMENT ON COLUMN`
statement (the later migration wins); a table by the comment lines right above its CREATE statement.
The Dagster assets show these as their column schema; they are parsed from the files, written once.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import duckdb

from warehouse.io import SCHEMA_DIR, migration_files

_CREATE = re.compile(r"^CREATE (?:OR REPLACE )?(?:TABLE|VIEW) (?:IF NOT EXISTS )?([\w.]+)", re.IGNORECASE)
_COLUMN_LINE = re.compile(r"^\s+(\w+)\s+[A-Z][^-]*?--\s?(.+)$")
_COMMENT_ON = re.compile(r"^COMMENT ON COLUMN ([\w.]+)\.(\w+) IS '((?:[^']|'')*)';", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class SchemaDocs:
    tables: dict[str, str]                  # table → description
    columns: dict[str, dict[str, str]]      # table → column → description


@lru_cache(maxsize=1)
def schema_docs() -> SchemaDocs:
    tables: dict[str, str] = {}
    columns: dict[str, dict[str, str]] = {}
    for path in [*migration_files(), SCHEMA_DIR / "subject_facts.sql", SCHEMA_DIR / "metric_series.sql"]:
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        current, above = None, []
        for line in lines:
            create = _CREATE.match(line)
            if create:
                current = create.group(1)
                described, listed = _read_comment_block(above)
                if described:
                    tables[current] = described
                for column, text in listed.items():
                    columns.setdefault(current, {})[column] = text
                above = []
                continue
            if line.startswith("--"):
                above.append(line[2:])
                continue
            above = []
            if current and line.startswith(")"):
                current = None
                continue
            column = _COLUMN_LINE.match(line) if current else None
            if column:
                columns.setdefault(current, {})[column.group(1)] = column.group(2).strip()
        for table, column, comment in _COMMENT_ON.findall(text):
            columns.setdefault(table, {})[column] = comment.replace("''", "'")
    return SchemaDocs(tables, columns)


# a column listed in the comment above a view: "--   name[, name]   what it holds" (3+ spaces apart)
_LISTED_COLUMN = re.compile(r"^ {2,}(\w+(?:, \w+)*) {3,}(\S.*)$")


def _read_comment_block(lines: list[str]) -> tuple[str, dict[str, str]]:
    """(the table's description, column → description) of the comment lines above a CREATE statement."""
    described, listed, last = [], {}, []
    for line in lines:
        match = _LISTED_COLUMN.match(line)
        if match:
            last = [c.strip() for c in match.group(1).split(",")]
            for column in last:
                listed[column] = match.group(2).strip()
        elif last and line.startswith("   "):       # the continuation of a listed column's description
            for column in last:
                listed[column] += " " + line.strip()
        elif not re.match(r"^\s*\d{3}:", line):   # "005: …" names the migration, not the table
            last = []
            described.append(line.strip())
    return " ".join(d for d in described if d).strip(), listed


def column_schema(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str, str]]:
    """(column, DuckDB type, description) of `table` as it is in this warehouse, described by the DDL."""
    # DESCRIBE reads one relation's catalogue entry; duckdb_columns() lists every column of the database
    # first (~5-40 ms a call, paid by each asset's metadata).
    quoted = ".".join('"' + part.replace('"', '""') + '"' for part in table.split("."))
    rows = [(r[0], r[1]) for r in con.execute(f"DESCRIBE {quoted}").fetchall()]
    docs = schema_docs().columns
    # the subject tables and views select fact_figure's columns: a column they do not describe is its
    described = {**docs.get("fact_figure", {}), **docs.get(table, {})}
    return [(column, dtype, described.get(column, "")) for column, dtype in rows]
