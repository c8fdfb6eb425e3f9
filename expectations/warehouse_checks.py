"""The warehouse suites: which rules guard which table, read from DuckDB (what `qcity check` and the
Dagster warehouse checks run)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from expectations import frames, suites
from expectations.docs import DocsRecorder
from expectations.runner import Rule, RuleResult, validate_frame
from warehouse.io import connect
from warehouse.locking import db_lock_path, hold


@dataclass(frozen=True)
class WarehouseSuite:
    name: str           # the check's name, e.g. fact_figure_rows
    asset: str          # the asset (table) it guards
    rules: list[Rule]
    blocking: bool = True


WAREHOUSE_SUITES: list[WarehouseSuite] = [
    WarehouseSuite("fact_figure_rows", "fact_figure", suites.FIGURE_ROW_RULES),
    WarehouseSuite("fact_figure_integrity", "fact_figure", suites.FIGURE_INTEGRITY_RULES),
    WarehouseSuite("fact_gdp_expectations", "fact_gdp", suites.GDP_RULES),
    WarehouseSuite("fact_revenue_expectations", "fact_revenue", suites.REVENUE_RULES),
    *(WarehouseSuite(f"{table}_expectations", table, suites.COUNT_RULES) for table in frames.COUNT_TABLES),
    WarehouseSuite("dim_document_keys", "dim_document", suites.DOCUMENT_INTEGRITY_RULES),
    WarehouseSuite("dim_region_keys", "dim_region", suites.REGION_INTEGRITY_RULES),
    WarehouseSuite("dim_metric_keys", "dim_metric", suites.METRIC_INTEGRITY_RULES),
    WarehouseSuite("quarantined_figures_keys", "quarantined_figures", suites.QUARANTINE_INTEGRITY_RULES),
    WarehouseSuite("metric_series_conflicts", "fact_figure", suites.SERIES_RULES, blocking=False),
]


@dataclass
class SuiteOutcome:
    suite: WarehouseSuite
    results: list[RuleResult]
    rows: int
    skipped: str = ""   # why the suite did not run (e.g. metric_series does not exist yet)


def read_frames(con: duckdb.DuckDBPyConnection, raw_dir: str | Path | None) -> dict[str, pl.DataFrame | None]:
    """suite name → the frame it validates (None: the table does not exist in this warehouse)."""
    regions = {r[0] for r in con.execute("SELECT region_zh FROM dim_region").fetchall()}
    active = con.sql("SELECT * FROM fact_figure WHERE retired_at IS NULL ORDER BY figure_id").pl()
    out: dict[str, pl.DataFrame | None] = {
        "fact_figure_rows": frames.figure_rule_frame(active, frames.raw_texts_of(con, raw_dir), regions),
        "fact_figure_integrity": con.sql(frames.FIGURE_INTEGRITY_SQL).pl(),
        "metric_series_conflicts": (con.sql(frames.SERIES_FRAME_SQL).pl()
                                    if frames.table_exists(con, "metric_series") else None),
    }
    subject = frames.subject_frames(con)
    for table, frame in subject.items():
        out[f"{table}_expectations"] = frame
    for table, sql in frames.KEY_FRAME_SQL.items():
        out[f"{table}_keys"] = con.sql(sql).pl()
    return out


def validate_suites(frames_by_suite: dict[str, pl.DataFrame | None], recorder: DocsRecorder | None = None) -> list[SuiteOutcome]:
    outcomes = []
    for suite in WAREHOUSE_SUITES:
        frame = frames_by_suite.get(suite.name)
        if frame is None:
            outcomes.append(SuiteOutcome(suite, [], 0, skipped=f"{suite.asset}: its source does not exist in this warehouse"))
            continue
        outcomes.append(SuiteOutcome(suite, validate_frame(frame, suite.rules, suite.name, recorder=recorder), frame.height))
    return outcomes


def run_warehouse_suites(db_path: str | Path, raw_dir: str | Path | None = None, lock_timeout: float = 30.0,
                         recorder: DocsRecorder | None = None) -> list[SuiteOutcome]:
    with hold(db_lock_path(db_path), lock_timeout, "check the warehouse"):
        con = connect(db_path, read_only=True)
        try:
            frames_by_suite = read_frames(con, raw_dir)
        finally:
            con.close()
    return validate_suites(frames_by_suite, recorder)


def report_lines(outcomes: list[SuiteOutcome]) -> list[str]:
    """One line per expectation: status, severity, suite.expectation, failing rows."""
    lines = []
    for o in outcomes:
        if o.skipped:
            lines.append(f"SKIP  [{'ERROR' if o.suite.blocking else 'WARN'}] {o.suite.name}: {o.skipped}")
        for r in o.results:
            lines.append(f"{'PASS' if r.success else 'FAIL'}  [{r.severity}] {o.suite.name}.{r.name}: "
                         f"{r.unexpected_count} failing of {r.element_count}")
    return lines


def failed_errors(outcomes: list[SuiteOutcome]) -> list[str]:
    """suite.expectation names of the failed ERROR expectations (what makes `qcity check` exit 1)."""
    return [f"{o.suite.name}.{r.name}" for o in outcomes for r in o.results if not r.success and r.severity == "ERROR"]
