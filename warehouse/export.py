"""Export every table and view of the warehouse as Parquet, so Spark, Trino or another DuckDB can read it.

A relation with a `year` column that has rows is written Hive-partitioned (DIR/<name>/year=2020/….parquet,
rows without a year under year=NULL); any other relation is one file, DIR/<name>.parquet.
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


def _columns(con: duckdb.DuckDBPyConnection, name: str) -> list[str]:
    return [r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'main' AND table_name = ?", [name]
    ).fetchall()]


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def export_connection(con: duckdb.DuckDBPyConnection, out_dir: Path, fmt: str = "parquet") -> list[Exported]:
    if fmt not in FORMATS:
        raise ValueError(f"unsupported export format {fmt!r} (supported: {', '.join(FORMATS)})")
    out_dir.mkdir(parents=True, exist_ok=True)
    done = []
    for name, kind in relations(con):
        rows = con.execute(f'SELECT count(*) FROM "{name}"').fetchall()[0][0]
        partitioned = "year" in _columns(con, name) and rows > 0
        target = out_dir / name if partitioned else out_dir / f"{name}.parquet"
        # A re-export replaces the previous one: stale partitions of removed years must not survive.
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        options = "FORMAT parquet, PARTITION_BY (year)" if partitioned else "FORMAT parquet"
        con.execute(f'COPY (SELECT * FROM "{name}") TO {_quote(target)} ({options})').fetchall()
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
