"""The warehouse suites: which rules guard which table, read from DuckDB (what `qcity check` and the
Dagster warehouse checks run), and the engine that evaluates them.

Two engines give the same results (tests/test_expectations.py compares them on the same frames): Great
Expectations, which also writes the Data Docs, and the Polars form of each rule (expectations/polars_rules.py),
which needs no GX import. A load's checks use Polars, so a load costs seconds; `qcity check`, a check run
alone from the UI and the validation job after each load use GX."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from expectations import frames, suites
from expectations.docs import DocsRecorder
from expectations.polars_rules import evaluate_frame
from expectations.runner import ERROR, WARN, Rule, RuleResult, validate_chunks, validate_frame
from warehouse.io import connect
from warehouse.locking import db_lock_path, hold


GX = "great_expectations"
POLARS = "polars"
ENGINES = (GX, POLARS)


@dataclass(frozen=True)
class WarehouseSuite:
    name: str           # the check's name, e.g. fact_figure_rows
    asset: str          # the asset (table) it guards
    rules: list[Rule]

    @property
    def severity(self) -> str:
        """The strongest severity its rules can fail with: what a skipped suite is labelled."""
        return ERROR if any(r.severity == ERROR for r in self.rules) else WARN


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
    WarehouseSuite("metric_series_conflicts", "metric_series", suites.SERIES_RULES),
]


# The suites whose rules are about one row alone. A loaded figure row never changes (a changed document
# retires its rows and loads new ones), so a load validates these on the rows it wrote; every other suite
# compares rows with each other or with other tables and always reads the whole table.
ROW_SCOPED_SUITES = ("fact_figure_rows",)


@dataclass
class SuiteOutcome:
    suite: WarehouseSuite
    results: list[RuleResult]
    rows: int
    skipped: str = ""   # why the suite did not run (e.g. metric_series does not exist yet)
    scope: str = "whole table"


@dataclass(frozen=True)
class CheckScope:
    """Which active figures the row-scoped suites read: all of them, or those of the documents one load wrote."""

    run_id: str | None = None
    documents: int | None = None

    @property
    def label(self) -> str:
        if self.run_id is None:
            return "whole table"
        return f"rows of the {self.documents} documents loaded by run {self.run_id}"


def check_scope(con: duckdb.DuckDBPyConnection, run_id: str | None) -> CheckScope:
    """The rows a run wrote when `run_id` names a load recorded in load_runs; otherwise the whole warehouse
    (a check run on its own, `qcity check`, the report)."""
    if run_id is None or not con.execute("SELECT count(*) FROM load_runs WHERE run_id = ?", [run_id]).fetchall()[0][0]:
        return CheckScope()
    documents = con.execute("SELECT count(*) FROM dim_document WHERE load_run_id = ? AND retired_at IS NULL",
                            [run_id]).fetchall()[0][0]
    return CheckScope(run_id, documents)


def read_frames(con: duckdb.DuckDBPyConnection, scope: CheckScope = CheckScope(),
                suites: set[str] | None = None) -> dict[str, pl.DataFrame | frames.FigureRows | None]:
    """suite name → the frame it validates, for the suites named in `suites` (all when None). None: the
    table does not exist in this warehouse; the figure rows come as FigureRows, whose rule frames are built
    chunk by chunk."""
    def wanted(name: str) -> bool:
        return suites is None or name in suites

    out: dict[str, pl.DataFrame | frames.FigureRows | None] = {}
    if wanted("fact_figure_rows"):
        regions = {r[0] for r in con.execute("SELECT DISTINCT region_zh FROM dim_region_name").fetchall()}
        loaded_by_run = ("" if scope.run_id is None else
                         " AND doc_id IN (SELECT doc_id FROM dim_document WHERE load_run_id = $run_id)")
        # every column but the sentence, which no row rule reads (at 10,000 documents: half the bytes)
        active = con.sql(f"SELECT * EXCLUDE (sentence) FROM fact_figure WHERE retired_at IS NULL{loaded_by_run} "
                         "ORDER BY figure_id",
                         params={"run_id": scope.run_id} if scope.run_id is not None else None).pl()
        texts = frames.staged_texts_of(con, set(active["doc_id"].unique().to_list()))
        out["fact_figure_rows"] = frames.FigureRows(active, texts, regions)
    if wanted("fact_figure_integrity"):
        out["fact_figure_integrity"] = con.sql(frames.FIGURE_INTEGRITY_SQL).pl()
    if wanted("metric_series_conflicts"):
        out["metric_series_conflicts"] = (con.sql(frames.SERIES_FRAME_SQL).pl()
                                          if frames.table_exists(con, "metric_series") else None)
    if any(wanted(f"{table}_expectations") for table in ("fact_gdp", "fact_revenue", *frames.COUNT_TABLES)):
        for table, frame in frames.subject_frames(con).items():
            if wanted(f"{table}_expectations"):
                out[f"{table}_expectations"] = frame
    for table, sql in frames.KEY_FRAME_SQL.items():
        if wanted(f"{table}_keys"):
            out[f"{table}_keys"] = con.sql(sql).pl()
    return out


def validate_suites(frames_by_suite: dict[str, pl.DataFrame | frames.FigureRows | None],
                    recorder: DocsRecorder | None = None, scope: CheckScope = CheckScope(),
                    suites: set[str] | None = None, engine: str = GX) -> list[SuiteOutcome]:
    """The outcome of every warehouse suite (of those named in `suites`, when given), evaluated by `engine`;
    `recorder` collects GX's validations for the Data Docs (the Polars engine has none to record)."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}: one of {', '.join(ENGINES)}")
    outcomes = []
    for suite in WAREHOUSE_SUITES:
        if suites is not None and suite.name not in suites:
            continue
        frame = frames_by_suite.get(suite.name)
        if frame is None:
            outcomes.append(SuiteOutcome(suite, [], 0, skipped=f"{suite.asset}: its source does not exist in this warehouse"))
            continue
        if engine == POLARS:
            def validate(chunk: pl.DataFrame, rules: list[Rule] = suite.rules) -> list[RuleResult]:
                return evaluate_frame(chunk, rules)
        else:
            def validate(chunk: pl.DataFrame, rules: list[Rule] = suite.rules, name: str = suite.name) -> list[RuleResult]:
                return validate_frame(chunk, rules, name, recorder=recorder)
        if isinstance(frame, frames.FigureRows):
            results, rows = validate_chunks(frame.rule_frames(), suite.rules, suite.name, validate=validate)
        else:
            results, rows = validate(frame), frame.height
        outcomes.append(SuiteOutcome(suite, results, rows,
                                     scope=scope.label if suite.name in ROW_SCOPED_SUITES else "whole table"))
    return outcomes


def run_warehouse_suites(db_path: str | Path, lock_timeout: float = 30.0,
                         recorder: DocsRecorder | None = None) -> list[SuiteOutcome]:
    with hold(db_lock_path(db_path), lock_timeout, "check the warehouse"):
        con = connect(db_path, read_only=True)
        try:
            frames_by_suite = read_frames(con)
        finally:
            con.close()
    return validate_suites(frames_by_suite, recorder)


def report_lines(outcomes: list[SuiteOutcome]) -> list[str]:
    """One line per expectation: status, severity, suite.expectation, failing rows."""
    lines = []
    for o in outcomes:
        if o.skipped:
            lines.append(f"SKIP  [{o.suite.severity}] {o.suite.name}: {o.skipped}")
        for r in o.results:
            lines.append(f"{'PASS' if r.success else 'FAIL'}  [{r.severity}] {o.suite.name}.{r.name}: "
                         f"{r.unexpected_count} failing of {r.element_count}")
    return lines


def failed_errors(outcomes: list[SuiteOutcome]) -> list[str]:
    """suite.expectation names of the failed ERROR expectations (what makes `qcity check` exit 1)."""
    return [f"{o.suite.name}.{r.name}" for o in outcomes for r in o.results if not r.success and r.severity == ERROR]
