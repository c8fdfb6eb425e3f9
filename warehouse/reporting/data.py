"""What the report shows, read from the warehouse into Polars frames on one read-only connection."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from warehouse.io import connect
from warehouse.locking import db_lock_path, hold
from warehouse.reporting.quality import CheckSummary, CoverageRow, check_summary_from, metric_coverage_from

REQUIRED_VIEWS = ("metric_series", "target_progress", "undated_targets", "series_figure")

# The charts follow the catalogued series; series grouped by metric_key alone stay in metric_series for SQL.
SERIES_SQL = """
SELECT region_zh, metric_id, name_zh, category, unit, year, value, source_count, figure_count,
       min_value, max_value, conflict, yoy_change, yoy_change_pct
FROM metric_series WHERE catalogued ORDER BY region_zh, metric_id, year
"""

# Dated targets with their verdict (target_progress), then the undated ones (attained 'undated').
TARGETS_SQL = """
SELECT figure_id, file, region_zh, metric_id, metric_key, metric_zh, category, period, target_year, target_value,
       target_value_max, target_qualifier, unit, actual_year, actual_value, latest_actual_year, latest_actual_value,
       attained, quote
FROM (SELECT * EXCLUDE (doc_id, series_key) FROM target_progress
      UNION ALL BY NAME
      SELECT * EXCLUDE (doc_id, series_key), 'undated' AS attained FROM undated_targets)
ORDER BY region_zh, metric_id NULLS LAST, target_year NULLS LAST, figure_id
"""

# The latest year of each region × metric, with one figure stating the chosen value: its sentence and document.
LATEST_SQL = """
WITH latest AS (
    SELECT * FROM metric_series WHERE catalogued
    QUALIFY row_number() OVER (PARTITION BY region_zh, metric_id ORDER BY year DESC) = 1
)
SELECT l.region_zh, l.metric_id, l.name_zh, l.category, l.unit, l.year, l.value, l.source_count, l.conflict,
       l.yoy_change, l.yoy_change_pct, sf.quote, sf.file, d.title, d.url, d.published
FROM latest l
JOIN series_figure sf
  ON sf.region_zh = l.region_zh AND sf.metric_id = l.metric_id AND sf.year = l.year AND sf.value = l.value
LEFT JOIN dim_document d ON d.doc_id = sf.doc_id
QUALIFY row_number() OVER (PARTITION BY l.region_zh, l.metric_id ORDER BY sf.figure_id) = 1
ORDER BY l.region_zh, l.category, l.metric_id
"""

QUARANTINED_SQL = """
SELECT file, expectation, figure_id, quarantined_at, figure->>'quote' AS quote
FROM quarantined_figures ORDER BY quarantined_at DESC, file, figure_id
"""

REJECTED_SQL = """
SELECT file, reason, size_bytes, first_seen_at, resolved_at
FROM rejected_documents ORDER BY resolved_at IS NOT NULL, first_seen_at DESC, file
"""

LOAD_RUNS_SQL = """
SELECT run_id, started_at, finished_at, status, documents_seen, documents_new, documents_changed,
       documents_removed, documents_rejected, figures_inserted, figures_retired, figures_quarantined,
       checks_passed, checks_failed
FROM load_runs ORDER BY started_at DESC LIMIT 10
"""

# The views' row counts are the heights of the series and targets frames: counting the views here would
# evaluate metric_series (the costliest view) once more.
COUNTS_SQL = """
SELECT (SELECT count(*) FROM dim_document WHERE retired_at IS NULL) AS documents,
       (SELECT count(*) FROM fact_figure WHERE retired_at IS NULL) AS figures
"""


class ReportSourceMissing(RuntimeError):
    """The warehouse predates the views the report reads (migration 003)."""


@dataclass
class ReportData:
    db_path: str
    read_at: dt.datetime
    series: pl.DataFrame        # metric_series: one row per region × metric × year of actual values
    targets: pl.DataFrame       # target_progress: every active target beside the latest actual
    latest: pl.DataFrame        # the latest value per region × metric, with its quote and document
    quarantined: pl.DataFrame
    rejected: pl.DataFrame
    load_runs: pl.DataFrame     # newest first
    counts: dict[str, int]
    coverage: list[CoverageRow] = field(default_factory=list)   # per category, the figures with a metric_id
    checks: CheckSummary | None = None     # None: the suites were not run for this report

    @property
    def regions(self) -> list[str]:
        """Regions with a series or a target, sorted."""
        names = set(self.series["region_zh"].to_list()) | set(self.targets["region_zh"].drop_nulls().to_list())
        return sorted(names)


def _frame(con: duckdb.DuckDBPyConnection, sql: str) -> pl.DataFrame:
    return con.sql(sql).pl()


def read_report_data_from(con: duckdb.DuckDBPyConnection, db_path: str | Path = "") -> ReportData:
    present = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    missing = [v for v in REQUIRED_VIEWS if v not in present]
    if missing:
        raise ReportSourceMissing(
            f"the warehouse {db_path} has no {', '.join(missing)}: run `qcity load` once to apply the migrations"
        )
    series, targets = _frame(con, SERIES_SQL), _frame(con, TARGETS_SQL)
    counts = {k: int(v) for k, v in _frame(con, COUNTS_SQL).row(0, named=True).items()}
    return ReportData(
        db_path=str(db_path),
        read_at=dt.datetime.now().replace(microsecond=0),
        series=series,
        targets=targets,
        latest=_frame(con, LATEST_SQL),
        quarantined=_frame(con, QUARANTINED_SQL),
        rejected=_frame(con, REJECTED_SQL),
        load_runs=_frame(con, LOAD_RUNS_SQL),
        counts={**counts, "series_points": series.height, "targets": targets.height},
        coverage=metric_coverage_from(con),
    )


def read_report_data(db_path: str | Path, raw_dir: str | Path | None = None, with_checks: bool = True,
                     lock_timeout: float = 30.0) -> ReportData:
    """Read everything the report needs on one read-only connection (holding the warehouse lock); with_checks
    also validates the warehouse suites (raw_dir lets the quote rules compare against the raw text)."""
    with hold(db_lock_path(db_path), lock_timeout, "read the warehouse for the report"):
        con = connect(db_path, read_only=True)
        try:
            data = read_report_data_from(con, db_path)
            if with_checks:
                data.checks = check_summary_from(con, raw_dir)
            return data
        finally:
            con.close()


def read_chart_frames(db_path: str | Path, region_zh: str, metric_id: str,
                      lock_timeout: float = 30.0) -> tuple[pl.DataFrame, pl.DataFrame]:
    """metric_series and target_progress rows of one region × metric (for a single chart)."""
    with hold(db_lock_path(db_path), lock_timeout, "read the warehouse for a chart"):
        con = connect(db_path, read_only=True)
        try:
            present = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
            if not {"metric_series", "target_progress"} <= present:
                raise ReportSourceMissing(f"the warehouse {db_path} has no metric_series: run `qcity load` once")
            where = " WHERE region_zh = $region AND metric_id = $metric"
            params = {"region": region_zh, "metric": metric_id}
            series = con.sql(f"SELECT * FROM ({SERIES_SQL}){where}", params=params).pl()
            targets = con.sql(f"SELECT * FROM ({TARGETS_SQL}){where}", params=params).pl()
            return series, targets
        finally:
            con.close()
