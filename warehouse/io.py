"""DuckDB access: connections, versioned migrations, and the load transaction.

Every load is one transaction: a crash leaves the previous state. Documents are identified by the
sha256 of their bytes, so an unchanged raw/ writes nothing, a changed file retires its old figures
and inserts the new ones, and a removed file's figures are retired (kept, with retired_at).
"""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import duckdb
import polars as pl

from extraction.sources import RawDocument, RawScan, RejectedDocument
from warehouse.metrics import catalogue_rows
from warehouse.transforms import CLEAN_COLUMNS

SCHEMA_DIR = Path(__file__).with_name("schema")
SUBJECT_FACTS_SQL = SCHEMA_DIR / "subject_facts.sql"
SUBJECT_FACTS_FOR_DOCUMENTS_SQL = SCHEMA_DIR / "subject_facts_for_documents.sql"
METRIC_SERIES_SQL = SCHEMA_DIR / "metric_series.sql"


# The storage format a new warehouse file is written in. DuckDB 2.0 writes storage version 69 by default,
# which no DuckDB before 2.0 can open (the 1.5 command-line client, DBeaver's JDBC driver, R …); v1.0.0
# (storage version 64) is read by every DuckDB from 0.10 on. The setting only applies when DuckDB creates the
# file: an existing file keeps the format it was created with (README, "Other DuckDB clients").
STORAGE_COMPATIBILITY_VERSION = "v1.0.0"

# DuckDB's memory for a connection that writes: by default it may keep 80% of the machine's RAM in its buffer
# pool, and a 10,000-document load kept what it inserted (hundreds of MB) until the commit. Bounded, it
# writes or spills the rest; the 10,000-document merge runs as fast (bench/profile.md, round 7).
MEMORY_LIMIT_ENV = "QCITY_DUCKDB_MEMORY"
DEFAULT_MEMORY_LIMIT = "512MB"


def memory_limit() -> str:
    """$QCITY_DUCKDB_MEMORY (a DuckDB size: 512MB, 2GB), default 512MB."""
    return os.environ.get(MEMORY_LIMIT_ENV, "").strip() or DEFAULT_MEMORY_LIMIT


def connect(db_path: str | Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    db_path = Path(db_path)
    if not read_only:
        db_path.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(db_path), config={"storage_compatibility_version": STORAGE_COMPATIBILITY_VERSION,
                                                   "memory_limit": memory_limit()})
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

    def summary(self) -> str:
        """One readable line for the run log."""
        return (f"{self.documents_seen} documents seen: {self.documents_new} new, {self.documents_changed} changed, "
                f"{self.documents_removed} removed, {self.documents_rejected} rejected; figures: "
                f"{self.figures_inserted} written, {self.figures_retired} retired, {self.figures_quarantined} quarantined")


# The files whose active document the load retires: gone, changed, or changed into one that failed to extract.
_RETIRED_FILES = "SELECT file FROM staging.stg_plan WHERE action IN ('removed', 'changed', 'failed')"
# The documents the load writes (extracted without failure).
_LOADED = "SELECT doc_id FROM staging.stg_plan WHERE action IN ('new', 'changed')"

MERGE_DOCUMENTS_SQL = f"""
MERGE INTO dim_document t
USING (
    SELECT p.doc_id, p.file, nullif(d.url, '') AS url, nullif(d.title, '') AS title,
           TRY_CAST(nullif(d.published, '') AS DATE) AS published, p.region_zh, p.region_code, d.encoding, d.size_bytes,
           CAST(coalesce(c.figures, 0) AS INTEGER) AS figure_count, $version AS extractor_version,
           d.metadata_sha256, $now AS loaded_at, $run_id AS load_run_id
    FROM staging.stg_plan p
    JOIN staging.stg_document d ON d.file = p.file AND d.doc_id = p.doc_id
    LEFT JOIN (SELECT doc_id, count(*) AS figures FROM staging.stg_figure_clean GROUP BY doc_id) c ON c.doc_id = p.doc_id
    WHERE p.action IN ('new', 'changed')
) s ON t.doc_id = s.doc_id
WHEN MATCHED THEN UPDATE SET file = s.file, url = s.url, title = s.title, published = s.published,
    region_zh = s.region_zh, region_code = s.region_code, encoding = s.encoding, size_bytes = s.size_bytes, figure_count = s.figure_count,
    extractor_version = s.extractor_version, metadata_sha256 = s.metadata_sha256, loaded_at = s.loaded_at,
    retired_at = NULL, load_run_id = s.load_run_id
WHEN NOT MATCHED THEN INSERT BY NAME"""

# Content seen before (a reverted or renamed file) is written over its retired rows; rows of its earlier
# extraction that this one no longer finds are deleted first. An UPDATE of the rows seen before, then an
# INSERT of the others, rather than one MERGE: DuckDB writes a bulk INSERT's row groups straight into the
# file, where a MERGE's new rows go to the write-ahead log and are written again at the checkpoint (~0.9 s
# of a 10,000-document load).
# (the key is not among the columns updated: DuckDB checks a unique key updated in a transaction eagerly)
_STAGED_FIGURES = f"""
SELECT *, $now AS loaded_at, CAST(NULL AS TIMESTAMP) AS retired_at FROM staging.stg_figure_clean
WHERE doc_id IN ({_LOADED})"""
UPDATE_SEEN_FIGURES_SQL = f"""
UPDATE fact_figure t
SET {", ".join(f"{c} = s.{c}" for c in [*CLEAN_COLUMNS, "loaded_at", "retired_at"] if c != "figure_id")}
FROM ({_STAGED_FIGURES}) s
WHERE t.figure_id = s.figure_id"""
INSERT_NEW_FIGURES_SQL = f"""
INSERT INTO fact_figure BY NAME
SELECT * FROM ({_STAGED_FIGURES}) s
WHERE NOT EXISTS (SELECT 1 FROM fact_figure t WHERE t.figure_id = s.figure_id)"""

REJECTS_SQL = """
SELECT file, doc_id, size_bytes, reason FROM staging.stg_rejected
UNION ALL SELECT p.file, p.doc_id, coalesce(d.size_bytes, 0), p.reason FROM staging.stg_plan p
    LEFT JOIN staging.stg_document d ON d.file = p.file AND p.action = 'duplicate'
    WHERE p.action = 'duplicate'
UNION ALL SELECT file, doc_id, 0, reason FROM staging.stg_plan WHERE action = 'failed'"""


def merge_staged_load(con: duckdb.DuckDBPyConnection, *, run_id: str, extractor_version: str,
                      region_rows: list[dict], started_at: dt.datetime, trigger: str | None = None) -> LoadStats:
    """Merge what the stages of run `run_id` staged (warehouse/staging.py) into the warehouse, in one transaction."""
    now = dt.datetime.now()
    params = {"now": now, "run_id": run_id, "version": extractor_version}
    stats = LoadStats(run_id=run_id)
    con.execute("BEGIN TRANSACTION")
    try:
        counts = dict(con.execute("SELECT action, count(*) FROM staging.stg_plan GROUP BY action").fetchall())
        stats.documents_new, stats.documents_changed = counts.get("new", 0), counts.get("changed", 0)
        stats.documents_removed = counts.get("removed", 0)
        stats.documents_seen = con.execute(
            "SELECT (SELECT count(*) FROM staging.stg_document) + (SELECT count(*) FROM staging.stg_rejected)").fetchall()[0][0]
        # the documents whose figures this load changes: retired, re-extracted or new (the subject tables'
        # rows of all others stay as they are)
        con.execute(f"""CREATE OR REPLACE TEMP TABLE touched_documents AS
                        SELECT doc_id FROM dim_document WHERE retired_at IS NULL AND file IN ({_RETIRED_FILES})
                        UNION SELECT doc_id FROM ({_LOADED})""")
        stats.figures_retired = con.execute(
            f"""UPDATE fact_figure SET retired_at = $now WHERE retired_at IS NULL
                AND doc_id IN (SELECT doc_id FROM dim_document WHERE retired_at IS NULL AND file IN ({_RETIRED_FILES}))""",
            {"now": now}).fetchall()[0][0]
        con.execute(f"UPDATE dim_document SET retired_at = $now WHERE retired_at IS NULL AND file IN ({_RETIRED_FILES})",
                    {"now": now})
        con.execute(f"""DELETE FROM fact_figure WHERE doc_id IN ({_LOADED})
                        AND figure_id NOT IN (SELECT figure_id FROM staging.stg_figure_clean)""")
        con.execute(MERGE_DOCUMENTS_SQL, params)
        stats.figures_inserted = sum(con.execute(sql, {"now": now}).fetchall()[0][0]
                                     for sql in (UPDATE_SEEN_FIGURES_SQL, INSERT_NEW_FIGURES_SQL))
        # re-extracted documents: this run's quarantine decides afresh
        con.execute(f"UPDATE quarantined_figures SET resolved_at = $now WHERE resolved_at IS NULL AND doc_id IN ({_LOADED})",
                    {"now": now})
        stats.figures_quarantined = con.execute(
            """INSERT INTO quarantined_figures (figure_id, doc_id, file, expectation, run_id, quarantined_at, figure)
               SELECT figure_id, doc_id, file, expectation, $run_id, $now, figure FROM staging.stg_quarantine
               ON CONFLICT (figure_id, expectation) DO UPDATE SET run_id = excluded.run_id,
                   quarantined_at = excluded.quarantined_at, figure = excluded.figure, resolved_at = NULL""",
            {"now": now, "run_id": run_id}).fetchall()[0][0]
        # a changed or removed document's quarantine ends with it (the rows stay, closed)
        con.execute("UPDATE quarantined_figures SET resolved_at = $now WHERE resolved_at IS NULL"
                    " AND doc_id NOT IN (SELECT doc_id FROM dim_document WHERE retired_at IS NULL)", {"now": now})
        stats.documents_rejected = _record_rejects(con, now)
        _replace_small_tables(con, region_rows)
        refresh_subject_tables(con)
        con.execute(METRIC_SERIES_SQL.read_text(encoding="utf-8"))
        con.execute("DROP TABLE touched_documents")
        _record_run(con, stats, "loaded", started_at, trigger)
        from warehouse.locking import pause_here_for_fault_tests  # test-only hook: no-op unless its env var is set
        pause_here_for_fault_tests()
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return stats


# The subject tables' definitions: each table's view <table>_computed (migration 009) and the view they read.
_SUBJECT_DEFINITIONS_MD5 = """
SELECT md5(string_agg(sql, chr(10) ORDER BY view_name)) FROM duckdb_views()
WHERE schema_name = 'main' AND (view_name = 'active_figure' OR view_name LIKE 'fact%\\_computed' ESCAPE '\\')"""
_SUBJECT_TABLES_MISSING = """
SELECT count(*) FROM duckdb_views() v
WHERE v.schema_name = 'main' AND v.view_name LIKE 'fact%\\_computed' ESCAPE '\\'
  AND NOT EXISTS (SELECT * FROM duckdb_tables() t
                  WHERE t.schema_name = 'main' AND t.table_name = replace(v.view_name, '_computed', ''))"""


def refresh_subject_tables(con: duckdb.DuckDBPyConnection) -> str:
    """The subject tables as their definitions give them: for the documents in touched_documents only when
    every table exists and was last refreshed whole from the same definitions, else whole (the first load,
    a changed definition). Returns "documents" or "whole"."""
    definitions = con.execute(_SUBJECT_DEFINITIONS_MD5).fetchall()[0][0]
    applied = {r[0] for r in con.execute("SELECT definitions_md5 FROM subject_definitions_applied").fetchall()}
    if applied == {definitions} and not con.execute(_SUBJECT_TABLES_MISSING).fetchall()[0][0]:
        con.execute(SUBJECT_FACTS_FOR_DOCUMENTS_SQL.read_text(encoding="utf-8"))
        return "documents"
    con.execute(SUBJECT_FACTS_SQL.read_text(encoding="utf-8"))
    con.execute("DELETE FROM subject_definitions_applied")
    con.execute("INSERT INTO subject_definitions_applied VALUES (?)", [definitions])
    return "whole"


def _record_run(con: duckdb.DuckDBPyConnection, stats: LoadStats, status: str, started_at: dt.datetime,
                trigger: str | None) -> None:
    con.execute(
        """INSERT INTO load_runs (run_id, started_at, finished_at, status, documents_seen, documents_new,
               documents_changed, documents_removed, documents_rejected, figures_inserted, figures_retired,
               figures_quarantined, trigger)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (run_id) DO UPDATE SET finished_at = excluded.finished_at, status = excluded.status""",
        [stats.run_id, started_at, dt.datetime.now(), status, stats.documents_seen, stats.documents_new,
         stats.documents_changed, stats.documents_removed, stats.documents_rejected,
         stats.figures_inserted, stats.figures_retired, stats.figures_quarantined, trigger],
    )


def record_failed_run(con: duckdb.DuckDBPyConnection, run_id: str, started_at: dt.datetime | None,
                      trigger: str | None, failure: str) -> None:
    """A failed run: recorded with its error unless its load committed (then its row says what it wrote)."""
    con.execute(
        """INSERT INTO load_runs (run_id, started_at, finished_at, status, trigger, failure)
           VALUES (?, ?, ?, 'failed', ?, ?) ON CONFLICT (run_id) DO UPDATE SET failure = excluded.failure""",
        [run_id, started_at or dt.datetime.now(), dt.datetime.now(), trigger, failure[:2000]])


def record_check_counts(con: duckdb.DuckDBPyConnection, run_id: str, passed: int, failed: int) -> None:
    con.execute("UPDATE load_runs SET checks_passed = ?, checks_failed = ? WHERE run_id = ?", [passed, failed, run_id])


def record_unchanged_run(con: duckdb.DuckDBPyConnection, run_id: str, documents_seen: int,
                         started_at: dt.datetime, trigger: str | None = None) -> None:
    """A run that found nothing to load is recorded too (status 'unchanged'); it writes nothing else."""
    _record_run(con, LoadStats(run_id=run_id, documents_seen=documents_seen), "unchanged", started_at, trigger)


def nothing_to_load(con: duckdb.DuckDBPyConnection, plan: "LoadPlan", scan: RawScan, region_rows: list[dict]) -> bool:
    """True when a load of this plan would change no table: no document to add, re-extract or retire, the
    same rejects and manifest problems as recorded, the same catalogue and gazetteer rows."""
    if plan.to_extract or plan.removed:
        return False
    rejects = {(r.file, r.doc_id, r.reason) for r in list(scan.rejected) + plan.duplicates}
    recorded = set(con.execute("SELECT file, doc_id, reason FROM rejected_documents WHERE resolved_at IS NULL").fetchall())
    problems = sorted((p.line, p.file, p.reason) for p in scan.manifest_problems)
    return (rejects == recorded
            and sorted(con.execute("SELECT line, file, reason FROM manifest_problems").fetchall()) == problems
            and not _small_tables_differ(con, region_rows))


def _record_rejects(con: duckdb.DuckDBPyConnection, now: dt.datetime) -> int:
    """Open a row per reject of this run (or reopen it with the current reason); resolve the others. → the rejects."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE _rejects AS {REJECTS_SQL}")
    try:
        con.execute("""UPDATE rejected_documents SET resolved_at = $now WHERE resolved_at IS NULL
                       AND (file, doc_id) NOT IN (SELECT (file, doc_id) FROM _rejects)""", {"now": now})
        con.execute("""INSERT INTO rejected_documents SELECT file, doc_id, any_value(size_bytes), any_value(reason), $now, NULL
                       FROM _rejects GROUP BY file, doc_id
                       ON CONFLICT (file, doc_id) DO UPDATE SET reason = excluded.reason, resolved_at = NULL""", {"now": now})
        return con.execute("SELECT count(*) FROM _rejects").fetchall()[0][0]
    finally:
        con.execute("DROP TABLE _rejects")


def _catalogue() -> list[tuple]:
    return sorted(tuple(r.values()) for r in catalogue_rows())


def _small_tables_differ(con: duckdb.DuckDBPyConnection, region_rows: list[dict]) -> bool:
    if sorted(con.execute("SELECT metric_id, category, name_zh, unit_canonical, description FROM dim_metric").fetchall()) != _catalogue():
        return True
    return bool(region_rows) and _regions_differ(con, region_rows)


_REGION_COLUMNS = ("region_code", "region_zh", "level", "parent_code", "parent_zh", "province_code", "province_zh",
                   "status", "former_names")


def _region_frame(region_rows: list[dict]) -> pl.DataFrame:
    """extraction.regions.division_rows() as dim_region's columns."""
    return pl.DataFrame(region_rows, schema_overrides={"former_names": pl.List(pl.String)}).select(_REGION_COLUMNS)


def _regions_differ(con: duckdb.DuckDBPyConnection, region_rows: list[dict]) -> bool:
    con.register("_regions", _region_frame(region_rows))
    try:
        return con.execute(
            "SELECT EXISTS (SELECT * FROM _regions EXCEPT SELECT * FROM dim_region)"
            " OR EXISTS (SELECT * FROM dim_region EXCEPT SELECT * FROM _regions)").fetchall()[0][0]
    finally:
        con.unregister("_regions")


def _replace_small_tables(con: duckdb.DuckDBPyConnection, region_rows: list[dict]) -> None:
    """Tables that are a pure function of the inputs: rewritten only when their content differs."""
    problems = sorted(con.execute("SELECT line, file, reason FROM staging.stg_manifest_problem").fetchall())
    if sorted(con.execute("SELECT line, file, reason FROM manifest_problems").fetchall()) != problems:
        con.execute("DELETE FROM manifest_problems")
        con.execute("INSERT INTO manifest_problems SELECT line, file, reason FROM staging.stg_manifest_problem")
    metrics = _catalogue()
    if sorted(con.execute("SELECT metric_id, category, name_zh, unit_canonical, description FROM dim_metric").fetchall()) != metrics:
        con.execute("DELETE FROM dim_metric")
        con.executemany("INSERT INTO dim_metric VALUES (?, ?, ?, ?, ?)", metrics)
    if region_rows and _regions_differ(con, region_rows):
        con.register("_regions", _region_frame(region_rows))
        try:
            con.execute("DELETE FROM dim_region")
            con.execute("INSERT INTO dim_region BY NAME SELECT * FROM _regions")
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
