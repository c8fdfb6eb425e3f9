"""Export every table and view of the warehouse as Parquet, so Spark, Trino or another DuckDB can read it.

A relation with a `year` column that has rows is written Hive-partitioned (DIR/<name>/year=2020/….parquet,
rows without a year under year=__HIVE_DEFAULT_PARTITION__); any other relation is one file, DIR/<name>.parquet.

Every file keeps the relation's columns in their order and types: `year` stays in the files themselves as
INTEGER (the directory name alone would make readers infer BIGINT and append it as the last column), and a
JSON column is written as text, since Parquet readers such as Polars take DuckDB's JSON as raw bytes.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from warehouse.io import connect
from warehouse.locking import db_lock_path, hold

FORMATS = ("parquet",)
NOT_EXPORTED = ("schema_migrations",)   # migration bookkeeping, not data


@dataclass(frozen=True)
class Exported:
    name: str
    kind: str            # table / view
    rows: int
    path: Path
    partitioned: bool


def relations(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(name, table|view) of every relation in the main schema, tables first, by name."""
    rows = con.execute(
        """SELECT table_name, CASE table_type WHEN 'VIEW' THEN 'view' ELSE 'table' END AS kind
           FROM information_schema.tables WHERE table_schema = 'main' ORDER BY kind, table_name"""
    ).fetchall()
    return [(name, kind) for name, kind in rows if name not in NOT_EXPORTED]


def _columns(con: duckdb.DuckDBPyConnection, name: str) -> list[tuple[str, str]]:
    """(column, type) of a relation, in its column order."""
    return [(r[0], r[1]) for r in con.execute(
        """SELECT column_name, data_type FROM information_schema.columns
           WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position""", [name]
    ).fetchall()]


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _select(name: str, columns: list[tuple[str, str]]) -> str:
    """SELECT of every column in place, JSON ones cast to VARCHAR (the same text, typed as a string)."""
    items = [f"CAST({_ident(c)} AS VARCHAR) AS {_ident(c)}" if t == "JSON" else _ident(c) for c, t in columns]
    return f"SELECT {', '.join(items)} FROM {_ident(name)}"


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def export_connection(con: duckdb.DuckDBPyConnection, out_dir: Path, fmt: str = "parquet") -> list[Exported]:
    if fmt not in FORMATS:
        raise ValueError(f"unsupported export format {fmt!r} (supported: {', '.join(FORMATS)})")
    out_dir.mkdir(parents=True, exist_ok=True)
    done = []
    for name, kind in relations(con):
        rows = con.execute(f"SELECT count(*) FROM {_ident(name)}").fetchall()[0][0]
        columns = _columns(con, name)
        partitioned = "year" in [c for c, _ in columns] and rows > 0
        target = out_dir / name if partitioned else out_dir / f"{name}.parquet"
        # A re-export replaces the previous one: stale partitions of removed years must not survive.
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        # WRITE_PARTITION_COLUMNS: year also stays inside each file, as INTEGER and in its place.
        options = ("FORMAT parquet, PARTITION_BY (year), WRITE_PARTITION_COLUMNS true" if partitioned
                   else "FORMAT parquet")
        con.execute(f"COPY ({_select(name, columns)}) TO {_quote(target)} ({options})").fetchall()
        done.append(Exported(name, kind, rows, target, partitioned))
    return done


def export_warehouse(db_path: str | Path, out_dir: str | Path, fmt: str = "parquet",
                     lock_timeout: float = 30.0) -> list[Exported]:
    """Open the warehouse read-only (waiting for a running load) and export every table and view."""
    with hold(db_lock_path(db_path), lock_timeout, "export the warehouse"):
        con = connect(db_path, read_only=True)
        try:
            return export_connection(con, Path(out_dir), fmt)
        finally:
            con.close()
