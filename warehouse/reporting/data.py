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

# Every region with an active figure, with its ancestors from dim_region (province → prefecture → county),
# walked by division code: the report orders its sections by that path, then by name. The country (全国) comes first, regions the
# gazetteer does not know come last.
REGIONS_SQL = """
WITH RECURSIVE active AS (
    SELECT region_zh, min(region_code) AS region_code, count(*) AS figures FROM fact_figure
    WHERE retired_at IS NULL AND region_zh IS NOT NULL GROUP BY region_zh
), chain AS (
    SELECT region_zh, region_code AS ancestor, region_zh AS name, 0 AS depth FROM active WHERE region_code IS NOT NULL
    UNION ALL
    SELECT c.region_zh, r.parent_code, r.parent_zh, c.depth + 1
    FROM chain c JOIN dim_region r ON r.region_code = c.ancestor
    WHERE r.parent_code IS NOT NULL AND c.depth < 6
)
SELECT a.region_zh, a.figures, r.level, r.parent_zh AS parent,
       list(c.name ORDER BY c.depth DESC) FILTER (WHERE c.ancestor IS NOT NULL) AS path,
       list(c.ancestor ORDER BY c.depth DESC) FILTER (WHERE c.ancestor IS NOT NULL) AS code_path
FROM active a
LEFT JOIN chain c USING (region_zh)
LEFT JOIN dim_region r ON r.region_code = a.region_code
GROUP BY a.region_zh, a.figures, r.level, r.parent_zh
ORDER BY CASE WHEN r.level = 'country' THEN 0 WHEN r.level IS NULL THEN 2 ELSE 1 END, code_path, a.region_zh
"""

# The yearly series, catalogued or grouped by metric_key (series_key names either).
SERIES_SQL = """
SELECT region_zh, series_key, metric_id, catalogued, name_zh, category, unit_canonical AS unit, year,
       value_canonical AS value, source_count, figure_count, min_value_canonical AS min_value,
       max_value_canonical AS max_value, conflict, yoy_change, yoy_change_pct
FROM metric_series ORDER BY region_zh, series_key, year
"""

# The figures behind each series point, with their sentence and document: the hover of each point and the
# sources table under each chart. A point that a thousand documents repeat lists {per_point} of them, not a
# thousand rows: the first figure of each value stated for it (the most stated value first, so a
# disagreeing document is always shown), then the second of each, and so on; point_figures counts them all.
# stated_value/unit_zh: as the document wrote it (the series is canonical).
POINT_SOURCES_SQL = """
WITH ranked AS (
    SELECT sf.region_zh, sf.series_key, sf.year, sf.value_canonical AS value, sf.figure_id, sf.doc_id, d.published,
           count(*) OVER point AS point_figures,
           count(*) OVER same_value AS value_figures,
           row_number() OVER (same_value ORDER BY d.published NULLS LAST, sf.figure_id) AS rank_in_value
    FROM series_figure sf
    LEFT JOIN dim_document d ON d.doc_id = sf.doc_id
    WINDOW point AS (PARTITION BY sf.region_zh, sf.series_key, sf.year),
           same_value AS (PARTITION BY sf.region_zh, sf.series_key, sf.year, sf.value_canonical)
), listed AS (
    SELECT * FROM ranked
    QUALIFY row_number() OVER (PARTITION BY region_zh, series_key, year
                               ORDER BY rank_in_value, value_figures DESC, value) <= {per_point}
)
-- the sentence and the document are read for the listed figures only
SELECT l.region_zh, l.series_key, l.year, l.value, f.value AS stated_value, f.value_max AS stated_value_max,
       f.unit_zh, f.qualifier, l.figure_id, {sentence} AS quote, f.file, d.title, d.url, l.published, l.point_figures
FROM listed l
JOIN fact_figure f ON f.figure_id = l.figure_id
LEFT JOIN dim_document d ON d.doc_id = l.doc_id
ORDER BY l.region_zh, l.series_key, l.year, l.published NULLS LAST, l.figure_id
"""
SOURCES_PER_POINT = 6

# Dated targets with their verdict (target_progress), then the undated ones (attained 'undated'), with
# their document and the value as the document stated it (stated_value, unit_zh).
TARGETS_SQL = """
SELECT t.figure_id, t.file, t.region_zh, t.series_key, t.metric_id, t.metric_key, t.metric_zh, t.category, t.period,
       t.target_year, t.target_value_canonical AS target_value, t.target_value_max_canonical AS target_value_max,
       t.target_qualifier, t.unit_canonical AS unit, t.actual_year, t.actual_value_canonical AS actual_value,
       t.latest_actual_year, t.latest_actual_value_canonical AS latest_actual_value, t.attained, t.quote,
       f.value AS stated_value, f.value_max AS stated_value_max, f.unit_zh, d.title, d.url, d.published
FROM (SELECT * FROM target_progress
      UNION ALL BY NAME
      SELECT *, 'undated' AS attained FROM undated_targets) t
JOIN fact_figure f ON f.figure_id = t.figure_id
LEFT JOIN dim_document d ON d.doc_id = t.doc_id
ORDER BY t.region_zh, t.metric_id NULLS LAST, t.target_year NULLS LAST, t.figure_id
"""

# The latest stated value of every metric of every region, whatever its period: one row per region ×
# metric × period grain (a cumulative count and this year's count are two facts). A metric is its
# series_key (metric_id, else category + metric_key); a figure whose key names nothing (~…) is known by its
# own wording. Latest: the latest year; undated ones, the latest document; then the value most documents
# state. A dated value is in conflict when the documents stating that period differ beyond the tolerance
# of metric_series. (A yearly row's change on the year before comes from the series frame, html.py: joining
# metric_series here would evaluate that view a second time.)
LATEST_SQL = """
WITH stated AS (
    SELECT f.figure_id, f.region_zh, f.metric_id, f.category, f.period, f.period_grain, f.year,
           coalesce(m.name_zh, nullif(f.metric_zh, ''), f.category) AS name_zh,
           CASE WHEN f.metric_id IS NOT NULL THEN f.metric_id
                WHEN coalesce(f.metric_key, '') <> '' AND NOT starts_with(f.metric_key, '~')
                    THEN 'key:' || f.category || ':' || f.metric_key
                ELSE 'text:' || f.category || ':' || coalesce(f.metric_zh, '') || ':' || coalesce(f.unit_zh, '')
           END AS metric,
           f.value, f.value_max, f.unit_zh, f.value_canonical, f.unit_canonical, f.qualifier, f.doc_id, d.published
    FROM fact_figure f
    LEFT JOIN dim_metric m ON m.metric_id = f.metric_id
    LEFT JOIN dim_document d ON d.doc_id = f.doc_id
    WHERE f.retired_at IS NULL AND f.kind = 'actual' AND f.region_zh IS NOT NULL
), candidates AS (
    -- the latest year decides first, so only its figures can be chosen (all of them when every figure of the
    -- metric is undated): the counts below are taken over those periods alone, a fraction of the figures
    SELECT s.* FROM stated s
    JOIN (SELECT region_zh, metric, period_grain, max(year) AS latest_year FROM stated GROUP BY ALL) l
      ON l.region_zh = s.region_zh AND l.metric = s.metric AND l.period_grain IS NOT DISTINCT FROM s.period_grain
    WHERE s.year = l.latest_year OR l.latest_year IS NULL
), periods AS (
    SELECT region_zh, metric, period_grain, period, count(DISTINCT doc_id) AS source_count,
           min(value_canonical) AS min_canonical, max(value_canonical) AS max_canonical
    FROM candidates GROUP BY ALL
), agreeing AS (
    SELECT region_zh, metric, period_grain, period, value_canonical, count(DISTINCT doc_id) AS agreeing
    FROM candidates GROUP BY ALL
), counted AS (
    -- aggregates joined back rather than windows: DISTINCT in a window is much slower on 100k figures
    SELECT s.*, p.source_count, p.min_canonical, p.max_canonical, a.agreeing
    FROM candidates s
    JOIN periods p USING (region_zh, metric, period_grain, period)
    JOIN agreeing a USING (region_zh, metric, period_grain, period, value_canonical)
), latest AS (
    SELECT * FROM counted
    QUALIFY row_number() OVER (
        PARTITION BY region_zh, metric, period_grain
        ORDER BY year DESC NULLS LAST, CASE WHEN year IS NULL THEN published END DESC NULLS LAST,
                 agreeing DESC, published DESC NULLS LAST, figure_id) = 1
)
-- the sentence and the document are read for the chosen figures only
SELECT c.region_zh, c.metric, c.metric_id, c.name_zh, c.category, c.period, c.period_grain, c.year,
       c.value, c.value_max, c.unit_zh, c.unit_canonical, c.qualifier, c.source_count,
       c.year IS NOT NULL AND (c.max_canonical - c.min_canonical) > greatest(
           0.01 * greatest(abs(c.max_canonical), abs(c.min_canonical)),
           CASE WHEN c.unit_canonical = 'percent' THEN 0.1 ELSE 0 END) AS conflict,
       c.min_canonical, c.max_canonical, c.figure_id, {sentence} AS quote, f.file, d.title, d.url, c.published
FROM latest c
JOIN fact_figure f ON f.figure_id = c.figure_id
LEFT JOIN dim_document d ON d.doc_id = c.doc_id
ORDER BY c.region_zh, c.category, c.metric, c.period_grain
"""

# open quarantines only: a corrected or removed document's are closed (resolved_at) and kept for history
QUARANTINED_SQL = """
SELECT file, expectation, figure_id, quarantined_at, figure->>'quote' AS quote
FROM quarantined_figures WHERE resolved_at IS NULL ORDER BY quarantined_at DESC, file, figure_id
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
    read_at: dt.datetime        # aware, whole seconds
    regions_frame: pl.DataFrame  # every region with an active figure, in report order (REGIONS_SQL)
    series: pl.DataFrame        # metric_series: one row per region × series × year of actual values
    sources: pl.DataFrame       # series_figure: a few figures behind each series point, with their document
    targets: pl.DataFrame       # target_progress and undated_targets: every active target
    latest: pl.DataFrame        # the latest stated value per region × metric × period grain, with its source
    quarantined: pl.DataFrame
    rejected: pl.DataFrame
    load_runs: pl.DataFrame     # newest first
    counts: dict[str, int]
    coverage: list[CoverageRow] = field(default_factory=list)   # per category, the figures with a metric_id
    checks: CheckSummary | None = None     # None: the suites were not run for this report

    @property
    def regions(self) -> list[str]:
        """Every region with an active figure, by hierarchy (province → prefecture → county), then by name."""
        return self.regions_frame["region_zh"].to_list()


def _frame(con: duckdb.DuckDBPyConnection, sql: str) -> pl.DataFrame:
    return con.sql(sql).pl()


def _sentence_column(con: duckdb.DuckDBPyConnection, table: str = "fact_figure") -> str:
    """The figure's whole sentence where the warehouse keeps one (issue 17), else its quote."""
    columns = {r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]).fetchall()}
    return "coalesce(f.sentence, f.quote)" if "sentence" in columns else "f.quote"


def read_report_data_from(con: duckdb.DuckDBPyConnection, db_path: str | Path = "") -> ReportData:
    present = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    missing = [v for v in REQUIRED_VIEWS if v not in present]
    if missing:
        raise ReportSourceMissing(
            f"the warehouse {db_path} has no {', '.join(missing)}: run `qcity load` once to apply the migrations"
        )
    sentence = _sentence_column(con)
    series, targets = _frame(con, SERIES_SQL), _frame(con, TARGETS_SQL)
    counts = {k: int(v) for k, v in _frame(con, COUNTS_SQL).row(0, named=True).items()}
    return ReportData(
        db_path=str(db_path),
        read_at=dt.datetime.now().astimezone().replace(microsecond=0),
        regions_frame=_frame(con, REGIONS_SQL),
        series=series,
        sources=_frame(con, POINT_SOURCES_SQL.format(sentence=sentence, per_point=SOURCES_PER_POINT)),
        targets=targets,
        latest=_frame(con, LATEST_SQL.format(sentence=sentence)),
        quarantined=_frame(con, QUARANTINED_SQL),
        rejected=_frame(con, REJECTED_SQL),
        load_runs=_frame(con, LOAD_RUNS_SQL),
        counts={**counts, "series_points": series.height, "targets": targets.height},
        coverage=metric_coverage_from(con),
    )


def read_report_data(db_path: str | Path, with_checks: bool = True,
                     lock_timeout: float = 30.0) -> ReportData:
    """Read everything the report needs on one read-only connection (holding the warehouse lock); with_checks
    also validates the warehouse suites (the quote rules read the staged document texts)."""
    with hold(db_lock_path(db_path), lock_timeout, "read the warehouse for the report"):
        con = connect(db_path, read_only=True)
        try:
            data = read_report_data_from(con, db_path)
            if with_checks:
                data.checks = check_summary_from(con)
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
