"""Expectation results as Dagster check results: counts as numeric metadata, sample failing rows on failure.

A check's severity is its failed rules' severity (expectations/runner.py severity_of), the same in
expectations/suites.py, in these results, in `qcity check` and in the report: a failed ERROR rule shows the
asset as failed (red) in the catalog and the lineage, a failed WARN rule as a warning.
"""

import json

from dagster import AssetCheckResult, AssetCheckSeverity, MetadataValue

from expectations.runner import ERROR, RuleResult, severity_of

SAMPLE_ROWS = 20


def _json(value):
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


def check_metadata(results: list[RuleResult], rows: int) -> dict:
    """Counts as numeric metadata on every run (the UI plots them) and sample failing rows on failure."""
    failed = [r for r in results if not r.success]
    metadata = {
        "rows_checked": rows,
        "expectations_passed": len(results) - len(failed),
        "expectations_failed": len(failed),
        "failing_rows": sum(r.unexpected_count for r in failed),
        **{f"failing_rows.{r.name}": r.unexpected_count for r in results},
        "results": MetadataValue.md("\n".join(
            f"- {'PASS' if r.success else 'FAIL'} [{r.severity}] `{r.name}`: {r.unexpected_count} failing of {r.element_count}"
            for r in results) or "no expectations"),
    }
    if failed:
        sample = [{"expectation": r.name, **row} for r in failed for row in r.unexpected_rows]
        metadata["sample_failing_rows"] = MetadataValue.json(_json(sample[:SAMPLE_ROWS]))
    return metadata


def to_check_result(results: list[RuleResult], rows: int, extra: dict | None = None, **target) -> AssetCheckResult:
    failed = [r for r in results if not r.success]
    return AssetCheckResult(
        passed=not failed,
        severity=AssetCheckSeverity(severity_of(results) or ERROR),  # a passed check's severity is not shown
        metadata={**check_metadata(results, rows), **(extra or {})},
        description="; ".join(f"{r.name} failed on {r.unexpected_count} rows" for r in failed) or None,
        **target,
    )
