"""Dagster asset checks: thin wrappers that run the suites and report results as check metadata."""

import json

from dagster import AssetCheckExecutionContext, AssetCheckResult, AssetCheckSeverity, MetadataValue, asset_check

from expectations.runner import ERROR, RuleResult, validate_frame
from expectations.suites import FIGURE_ROW_RULES
from warehouse.load_batch import LoadBatch


def to_check_result(results: list[RuleResult], extra: dict | None = None) -> AssetCheckResult:
    failed = [r for r in results if not r.success]
    blocking = [r for r in failed if r.severity == ERROR]
    metadata = {
        "expectations_passed": len(results) - len(failed),
        "expectations_failed": len(failed),
        "failing_rows": sum(r.unexpected_count for r in failed),
        "rows_checked": max((r.element_count for r in results), default=0),
        "results": MetadataValue.md("\n".join(
            f"- {'PASS' if r.success else 'FAIL'} [{r.severity}] `{r.name}`: {r.unexpected_count} failing of {r.element_count}"
            for r in results) or "no expectations"),
    }
    if failed:
        sample = [{"expectation": r.name, **row} for r in failed for row in r.unexpected_rows]
        metadata["sample_failing_rows"] = MetadataValue.json(json.loads(json.dumps(sample[:20], default=str)))
    metadata.update(extra or {})
    return AssetCheckResult(
        passed=not failed,
        severity=AssetCheckSeverity.ERROR if blocking or not failed else AssetCheckSeverity.WARN,
        metadata=metadata,
        description="; ".join(f"{r.name} failed on {r.unexpected_count} rows" for r in failed) or None,
    )


@asset_check(asset="figures_clean", blocking=True, description="Rates in % within 0–100 (failing rows are quarantined before the load).")
def figures_clean_expectations(context: AssetCheckExecutionContext, figures_clean: LoadBatch) -> AssetCheckResult:
    results = validate_frame(figures_clean.figures, FIGURE_ROW_RULES, "figures_clean")
    return to_check_result(results, {"quarantined_rows": len(figures_clean.quarantined)})
