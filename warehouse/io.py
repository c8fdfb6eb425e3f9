"""DuckDB access: connections, versioned migrations, and the load transaction.

Every load is one transaction: a crash leaves the previous state. Documents are identified by the
sha256 of their bytes, so an unchanged raw/ writes nothing, a changed file retires its old figures
and inserts the new ones, and a removed file's figures are retired (kept, with retired_at).
"""
from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import duckdb
import polars as pl

from extraction.sources import RawDocument, RawScan, RejectedDocument
from warehouse.metrics import catalogue_rows

SCHEMA_DIR = Path(__file__).with_name("schema")
SUBJECT_FACTS_SQL = SCHEMA_DIR / "subject_facts.sql"


# The storage format a new warehouse file is written in. DuckDB 2.0 writes storage version 69 by default,
# which no DuckDB before 2.0 can open (the 1.5 command-line client, DBeaver's JDBC driver, R …); v1.0.0
# (storage version 64) is read by every DuckDB from 0.10 on. The setting only applies when DuckDB creates the
# file: an existing file keeps the format it was created with (README, "Other DuckDB clients").
STORAGE_COMPATIBILITY_VERSION = "v1.0.0"


def connect(db_path: str | Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    db_path = Path(db_path)
    if not read_only:
        db_path.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(db_path), config={"storage_compatibility_version": STORAGE_COMPATIBILITY_VERSION})
        migrate(con)
        return con
    if not db_path.exists():
        raise FileNotFoundError(f"no warehouse at {db_path}: run `qcity load` first")
    return duckdb.connect(str(db_path), read_only=True)


def migration_files() -> list[Path]:
    return sorted(p for p in SCHEMA_DIR.glob("[0-9][0-9][0-9]_*.sql"))


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply the numbered .sql files not yet recorded in schema_migrations, each in a transaction."""
    con.execute("CREATE TABLE IF NOT EXISTS schema_migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMP)")
    done = {r[0] for r in con.execute("SELECT name FROM schema_migrations").fetchall()}
    applied = []
    for path in migration_files():
        if path.name in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(path.read_text(encoding="utf-8"))
            con.execute("INSERT INTO schema_migrations VALUES (?, now())", [path.name])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        applied.append(path.name)
    return applied


def active_documents(con: duckdb.DuckDBPyConnection) -> dict[str, dict]:
    """file → {doc_id, extractor_version, metadata_sha256} of the documents currently loaded."""
    rows = con.execute(
        "SELECT file, doc_id, extractor_version, metadata_sha256 FROM dim_document WHERE retired_at IS NULL"
    ).fetchall()
    return {f: {"doc_id": d, "extractor_version": v, "metadata_sha256": m} for f, d, v, m in rows}


@dataclass
class LoadPlan:
    new: list[RawDocument] = field(default_factory=list)
    changed: list[RawDocument] = field(default_factory=list)       # new bytes, manifest row or extractor version
    unchanged: list[RawDocument] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)                # files whose documents get retired
    duplicates: list[RejectedDocument] = field(default_factory=list)

    @property
    def to_extract(self) -> list[RawDocument]:
        return self.new + self.changed


def _has_metadata(doc: RawDocument) -> bool:
    return bool(doc.url or doc.title or doc.published or doc.region_override or doc.year_override)


def _copy_to_load(copies: list[RawDocument], active: dict[str, dict]) -> RawDocument:
    """Of files with the same bytes (a document is its sha256), the one that loads, with its own manifest
    row: the one loaded already, else one with a manifest row, else the first by name."""
    for doc in copies:
        if active.get(doc.file, {}).get("doc_id") == doc.doc_id:
            return doc
    return next((doc for doc in copies if _has_metadata(doc)), copies[0])


def plan_load(active: dict[str, dict], scan: RawScan, extractor_version: str) -> LoadPlan:
    plan = LoadPlan()
    copies: dict[str, list[RawDocument]] = {}
    for doc in scan.documents:
        copies.setdefault(doc.doc_id, []).append(doc)
    keep = {doc_id: _copy_to_load(same, active) for doc_id, same in copies.items()}
    for doc in scan.documents:
        kept = keep[doc.doc_id]
        if doc is not kept:
            plan.duplicates.append(RejectedDocument(
                doc.file, doc.doc_id, doc.size,
                f"same bytes as {kept.file}: loaded once under that name, with that file's manifest row"))
            continue
        current = active.get(doc.file)
        if current is None:
            plan.new.append(doc)
        elif (current["doc_id"] != doc.doc_id or current["extractor_version"] != extractor_version
              or current.get("metadata_sha256") != doc.metadata_fingerprint):
            plan.changed.append(doc)
        else:
            plan.unchanged.append(doc)
    present = {d.file for d in scan.documents} - {d.file for d in plan.duplicates}
    plan.removed = sorted(set(active) - present)
    return plan


@dataclass
class LoadStats:
    run_id: str
    documents_seen: int = 0
    documents_new: int = 0
    documents_changed: int = 0
    documents_removed: int = 0
    documents_rejected: int = 0
    figures_inserted: int = 0
    figures_retired: int = 0
    figures_quarantined: int = 0

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def _published(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def write_load(
    con: duckdb.DuckDBPyConnection,
    *,
    run_id: str,
    scan: RawScan,
    plan: LoadPlan,
    figures: pl.DataFrame,
    regions: dict[str, str],
    failures: Iterable[tuple[str, str, str]],
    extractor_version: str,
    region_rows: list[dict],
    started_at: dt.datetime,
    quarantined: Iterable[tuple[dict, str]] = (),
) -> LoadStats:
    """Apply one load in a single transaction. `figures` are the clean rows of the documents in plan.to_extract."""
    now = dt.datetime.now()
    failures = list(failures)
    failed_ids = {doc_id for _, doc_id, _ in failures}
    rejects = list(scan.rejected) + plan.duplicates + [RejectedDocument(f, d, 0, r) for f, d, r in failures]
    loaded = [d for d in plan.to_extract if d.doc_id not in failed_ids]
    retire_files = plan.removed + [d.file for d in plan.changed] + [d.file for d in plan.new if d.doc_id in failed_ids]
    stats = LoadStats(
        run_id=run_id,
        documents_seen=len(scan.documents) + len(scan.rejected),
        documents_new=sum(1 for d in plan.new if d.doc_id not in failed_ids),
        documents_changed=sum(1 for d in plan.changed if d.doc_id not in failed_ids),
        documents_removed=len(plan.removed),
        documents_rejected=len(rejects),
    )
    con.execute("BEGIN TRANSACTION")
    try:
        if retire_files:
            con.execute("CREATE OR REPLACE TEMP TABLE _retire AS SELECT unnest(?::VARCHAR[]) AS file", [retire_files])
            stats.figures_retired = con.execute(
                """UPDATE fact_figure SET retired_at = ? WHERE retired_at IS NULL
                   AND doc_id IN (SELECT doc_id FROM dim_document WHERE retired_at IS NULL AND file IN (SELECT file FROM _retire))""",
                [now],
            ).fetchall()[0][0]
            con.execute(
                "UPDATE dim_document SET retired_at = ? WHERE retired_at IS NULL AND file IN (SELECT file FROM _retire)", [now]
            )
        if loaded:
            ids = [d.doc_id for d in loaded]
            # Content seen before (a reverted or renamed file): its retired rows make way for the fresh ones.
            con.execute("DELETE FROM fact_figure WHERE doc_id IN (SELECT unnest(?::VARCHAR[]))", [ids])
            con.execute("DELETE FROM dim_document WHERE doc_id IN (SELECT unnest(?::VARCHAR[]))", [ids])
            counts = figures.group_by("doc_id").len() if not figures.is_empty() else None
            count_of = dict(counts.iter_rows()) if counts is not None else {}
            docs = pl.DataFrame(
                {
                    "doc_id": ids,
                    "file": [d.file for d in loaded],
                    "url": [d.url or None for d in loaded],
                    "title": [d.title or None for d in loaded],
                    "published": [_published(d.published) for d in loaded],
                    "region_zh": [regions.get(d.doc_id) or None for d in loaded],
                    "encoding": [d.encoding for d in loaded],
                    "size_bytes": [d.size for d in loaded],
                    "figure_count": [int(count_of.get(d.doc_id, 0)) for d in loaded],
                    "extractor_version": [extractor_version] * len(loaded),
                    "metadata_sha256": [d.metadata_fingerprint for d in loaded],
                    "loaded_at": [now] * len(loaded),
                    "retired_at": pl.Series([None] * len(loaded), dtype=pl.Datetime),
                    "load_run_id": [run_id] * len(loaded),
                },
                schema_overrides={"published": pl.Date, "size_bytes": pl.Int64, "figure_count": pl.Int32},
            )
            con.register("_docs", docs)
            con.execute("INSERT INTO dim_document BY NAME SELECT * FROM _docs")
            con.unregister("_docs")
            if not figures.is_empty():
                frame = figures.filter(pl.col("doc_id").is_in(ids)).with_columns(
                    pl.lit(now).alias("loaded_at"), pl.lit(None, dtype=pl.Datetime).alias("retired_at")
                )
                con.register("_figs", frame)
                con.execute("INSERT INTO fact_figure BY NAME SELECT * FROM _figs")
                con.unregister("_figs")
                stats.figures_inserted = frame.height
        if loaded:  # re-extracted documents: this run's quarantine decides afresh
            con.execute("UPDATE quarantined_figures SET resolved_at = ? WHERE resolved_at IS NULL"
                        " AND doc_id IN (SELECT unnest(?::VARCHAR[]))", [now, [d.doc_id for d in loaded]])
        for row, rule in quarantined:
            stats.figures_quarantined += quarantine(con, [row], rule, run_id)
        # a changed or removed document's quarantine ends with it (the rows stay, closed)
        con.execute("UPDATE quarantined_figures SET resolved_at = ? WHERE resolved_at IS NULL"
                    " AND doc_id NOT IN (SELECT doc_id FROM dim_document WHERE retired_at IS NULL)", [now])
        _record_rejects(con, rejects, now)
        _replace_small_tables(con, scan, region_rows)
        con.execute(SUBJECT_FACTS_SQL.read_text(encoding="utf-8"))
        con.execute(
            """INSERT INTO load_runs (run_id, started_at, finished_at, status, documents_seen, documents_new,
                   documents_changed, documents_removed, documents_rejected, figures_inserted, figures_retired,
                   figures_quarantined)
               VALUES (?, ?, ?, 'loaded', ?, ?, ?, ?, ?, ?, ?, ?)""",
            [run_id, started_at, dt.datetime.now(), stats.documents_seen, stats.documents_new,
             stats.documents_changed, stats.documents_removed, stats.documents_rejected,
             stats.figures_inserted, stats.figures_retired, stats.figures_quarantined],
        )
        from warehouse.locking import pause_here_for_fault_tests  # test-only hook: no-op unless its env var is set
        pause_here_for_fault_tests()
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return stats


def _record_rejects(con: duckdb.DuckDBPyConnection, rejects: list[RejectedDocument], now: dt.datetime) -> None:
    keys = [(r.file, r.doc_id) for r in rejects]
    open_rows = con.execute("SELECT file, doc_id FROM rejected_documents WHERE resolved_at IS NULL").fetchall()
    for file, doc_id in set(open_rows) - set(keys):
        con.execute("UPDATE rejected_documents SET resolved_at = ? WHERE file = ? AND doc_id = ?", [now, file, doc_id])
    for r in rejects:
        con.execute(
            """INSERT INTO rejected_documents VALUES (?, ?, ?, ?, ?, NULL)
               ON CONFLICT (file, doc_id) DO UPDATE SET reason = excluded.reason, resolved_at = NULL""",
            [r.file, r.doc_id, r.size, r.reason, now],
        )


def _replace_small_tables(con: duckdb.DuckDBPyConnection, scan: RawScan, region_rows: list[dict]) -> None:
    """Tables that are a pure function of the inputs: rewritten only when their content differs."""
    problems = sorted((p.line, p.file, p.reason) for p in scan.manifest_problems)
    if sorted(con.execute("SELECT line, file, reason FROM manifest_problems").fetchall()) != problems:
        con.execute("DELETE FROM manifest_problems")
        if problems:
            con.executemany("INSERT INTO manifest_problems VALUES (?, ?, ?)", problems)
    metrics = sorted(tuple(r.values()) for r in catalogue_rows())
    if sorted(con.execute("SELECT metric_id, category, name_zh, unit_canonical, description FROM dim_metric").fetchall()) != metrics:
        con.execute("DELETE FROM dim_metric")
        con.executemany("INSERT INTO dim_metric VALUES (?, ?, ?, ?, ?)", metrics)
    if not region_rows:
        return
    frame = pl.DataFrame(region_rows).select("region_zh", "level", "parent", "province", "code")
    con.register("_regions", frame)
    try:
        differs = con.execute(
            "SELECT EXISTS (SELECT * FROM _regions EXCEPT SELECT * FROM dim_region)"
            " OR EXISTS (SELECT * FROM dim_region EXCEPT SELECT * FROM _regions)"
        ).fetchall()[0][0]
        if differs:
            con.execute("DELETE FROM dim_region")
            con.execute("INSERT INTO dim_region SELECT * FROM _regions")
    finally:
        con.unregister("_regions")


def table_checksums(con: duckdb.DuckDBPyConnection, exclude: Iterable[str] = ("load_runs", "schema_migrations")) -> dict[str, str]:
    """An order-independent checksum of every base table: equal before and after an idempotent load."""
    skip = set(exclude)
    tables = [r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' AND table_type = 'BASE TABLE' ORDER BY 1"
    ).fetchall() if r[0] not in skip]
    out = {}
    for t in tables:
        out[t] = str(con.execute(f'SELECT count(*), coalesce(bit_xor(hash(t)), 0) FROM "{t}" AS t').fetchall()[0])
    return out


def _json_safe(row: dict) -> dict:
    """inf and NaN as strings ("inf"): JSON has no such numbers, and DuckDB refuses Python's Infinity."""
    return {k: str(v) if isinstance(v, float) and not math.isfinite(v) else v for k, v in row.items()}


def quarantine(con: duckdb.DuckDBPyConnection, rows: list[dict], expectation: str, run_id: str) -> int:
    """Record figures that failed an expectation, with the expectation's name and the run (open: resolved_at NULL)."""
    now = dt.datetime.now()
    for row in rows:
        con.execute(
            """INSERT INTO quarantined_figures (figure_id, doc_id, file, expectation, run_id, quarantined_at, figure)
               VALUES (?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (figure_id, expectation) DO UPDATE SET run_id = excluded.run_id,
                   quarantined_at = excluded.quarantined_at, figure = excluded.figure, resolved_at = NULL""",
            [row.get("figure_id", ""), row.get("doc_id", ""), row.get("file", ""), expectation, run_id, now,
             json.dumps(_json_safe(row), ensure_ascii=False, default=str)],
        )
    return len(rows)


def completed_load_problem(con: duckdb.DuckDBPyConnection, db_path: str | Path) -> str | None:
    """None when the warehouse holds a completed load; else one line saying why not (a first load that failed)."""
    tables = {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}
    if "load_runs" not in tables or "fact_gdp" not in tables:
        return f"{db_path} holds no completed load (its first load failed or never ran): run `qcity load`"
    return None


OPEN_QUARANTINE_SQL = """
SELECT expectation, file, figure->>'quote' AS quote, figure->>'value' AS value, figure->>'unit_zh' AS unit_zh
FROM quarantined_figures WHERE resolved_at IS NULL ORDER BY file, expectation, quote"""
OPEN_REJECTS_SQL = "SELECT file, reason FROM rejected_documents WHERE resolved_at IS NULL ORDER BY file"
