"""The expectation suites' results as report rows (the same suites `qcity check` and the asset checks run)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb


@dataclass(frozen=True)
class CheckRow:
    suite: str
    table: str
    rule: str
    severity: str
    status: str                 # PASS / FAIL / SKIPPED
    failing: int
    checked: int
    description: str = ""


@dataclass
class CheckSummary:
    rows: list[CheckRow] = field(default_factory=list)
    error: str = ""             # why the suites could not run at all (shown in the report, not hidden)

    @property
    def failed(self) -> list[CheckRow]:
        return [r for r in self.rows if r.status == "FAIL"]

    @property
    def passed(self) -> int:
        return sum(r.status == "PASS" for r in self.rows)


def summarise(outcomes) -> CheckSummary:
    """SuiteOutcomes (expectations.warehouse_checks) → one row per rule, failures first."""
    rows = []
    for outcome in outcomes:
        suite = outcome.suite
        if outcome.skipped:
            rows.append(CheckRow(suite.name, suite.asset, "—", "—", "SKIPPED", 0, 0, outcome.skipped))
            continue
        for r in outcome.results:
            rows.append(CheckRow(suite.name, suite.asset, r.name, r.severity, "PASS" if r.success else "FAIL",
                                 r.unexpected_count, r.element_count, r.description))
    order = {"FAIL": 0, "SKIPPED": 1, "PASS": 2}
    rows.sort(key=lambda r: (order[r.status], r.suite, r.rule))
    return CheckSummary(rows)


def check_summary_from(con: duckdb.DuckDBPyConnection) -> CheckSummary:
    """Validate the warehouse suites on an open connection; an error becomes the summary's message."""
    from expectations.warehouse_checks import read_frames, validate_suites

    try:
        return summarise(validate_suites(read_frames(con)))
    except Exception as exc:  # the report still shows everything else, and says why the checks are missing
        return CheckSummary(error=f"{type(exc).__name__}: {exc}")


def _metadata_number(metadata: dict, key: str) -> int:
    value = metadata.get(key)
    value = getattr(value, "value", value)
    return int(value) if isinstance(value, (int, float)) else 0


def summarise_evaluations(evaluations) -> CheckSummary:
    """Dagster AssetCheckEvaluations of a run (what the load's asset checks found) → one row per check.

    The report asset uses these instead of validating the suites a second time in the same run.
    """
    rows = []
    for e in evaluations:
        severity = getattr(e.severity, "value", str(e.severity)) if not e.passed else "—"
        rows.append(CheckRow(e.check_name, e.asset_key.to_user_string(), "(all rules of the check)", severity,
                             "PASS" if e.passed else "FAIL", _metadata_number(e.metadata, "failing_rows"),
                             _metadata_number(e.metadata, "rows_checked"), e.description or ""))
    order = {"FAIL": 0, "PASS": 2}
    rows.sort(key=lambda r: (order[r.status], r.table, r.suite))
    return CheckSummary(rows)


# ---- metric coverage: per category, the share of active figures that carry a catalogue metric_id ----------
METRIC_COVERAGE_SQL = """
SELECT category, count(*) AS figures, count(metric_id) AS with_metric_id
FROM fact_figure WHERE retired_at IS NULL GROUP BY category ORDER BY category
"""


@dataclass(frozen=True)
class CoverageRow:
    category: str
    figures: int
    with_metric_id: int

    @property
    def share(self) -> float:
        return self.with_metric_id / self.figures if self.figures else 0.0


def metric_coverage_from(con: duckdb.DuckDBPyConnection) -> list[CoverageRow]:
    return [CoverageRow(c, int(n), int(m)) for c, n, m in con.execute(METRIC_COVERAGE_SQL).fetchall()]


def metric_coverage(db_path: str | Path, lock_timeout: float = 30.0) -> list[CoverageRow]:
    """metric_coverage_from on a read-only connection, holding the warehouse lock."""
    from warehouse.io import connect
    from warehouse.locking import db_lock_path, hold

    with hold(db_lock_path(db_path), lock_timeout, "read the metric coverage"):
        con = connect(db_path, read_only=True)
        try:
            return metric_coverage_from(con)
        finally:
            con.close()


def coverage_lines(rows: list[CoverageRow]) -> list[str]:
    """One line per category: `metric_id coverage  gdp: 41 of 45 (91.1%)`."""
    return [f"metric_id coverage  {r.category}: {r.with_metric_id} of {r.figures} ({100 * r.share:.1f}%)" for r in rows]
