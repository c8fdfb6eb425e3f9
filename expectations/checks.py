"""Dagster asset checks: thin wrappers that run the suites and report results as check metadata.

A check's severity is its failed rules' severity (expectations/runner.py severity_of), the same in
expectations/suites.py, in these results, in `qcity check` and in the report: a failed ERROR rule shows
the asset as failed (red) in the catalog and the lineage, a failed WARN rule as a warning.

figures_clean has two checks. Its row rules are not blocking: the rows failing them were already set aside
into quarantined_figures and the rest must load, so they fail (red, ERROR rules) without stopping the run.
Its subject-fact rules on what the load would write are blocking: a failure stops the warehouse load.
The warehouse tables are checked after the load by one multi-asset check that reads DuckDB once and builds
the Data Docs: in a load run its row rules read the rows that run wrote, its rules across rows read whole
tables (expectations/warehouse_checks.py ROW_SCOPED_SUITES); run on its own, it reads everything.
"""

import json
from collections import Counter

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    MetadataValue,
    asset_check,
    multi_asset_check,
)

from assets.facts import WAREHOUSE_TABLES
from expectations import frames, suites
from expectations.docs import DocsRecorder, docs_dir_from_env
from expectations.quarantine import known_region_names
from expectations.runner import ERROR, RuleResult, severity_of, validate_chunks, validate_frame, with_quarantined
from expectations.warehouse_checks import WAREHOUSE_SUITES, check_scope, read_frames, validate_suites
from orchestration.resources import RawFolderResource, WarehouseResource
from warehouse.load_batch import LoadBatch

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


@asset_check(asset="figures_clean", blocking=False,
             description="Row-level figure rules on the batch. Failing rows are quarantined and the rest loads, "
                         "so the check does not block; it fails with its rules' severity (ERROR: red).")
def figures_clean_expectations(context: AssetCheckExecutionContext, figures_clean: LoadBatch) -> AssetCheckResult:
    raw_texts = {d.doc_id: d.text for d in figures_clean.scan.documents}
    chunks = frames.figure_rule_chunks(figures_clean.figures, raw_texts, known_region_names())
    kept_results, kept_rows = validate_chunks((chunk for _, chunk in chunks), suites.FIGURE_ROW_RULES, "figures_clean")
    quarantined = Counter(rule for _, rule in figures_clean.quarantined)
    extra = {"quarantined_rows": len(figures_clean.quarantined),
             **{f"quarantined.{r.name}": quarantined.get(r.name, 0) for r in suites.FIGURE_ROW_RULES}}
    results = with_quarantined(kept_results, figures_clean.quarantined)
    return to_check_result(results, kept_rows + len(figures_clean.quarantined), extra)


@asset_check(asset="figures_clean", blocking=True,
             description="Subject-fact rules (GDP magnitude and parts, revenue ≤ GDP, whole counts) on what the load would write.")
def figures_clean_subject_facts(context: AssetCheckExecutionContext, figures_clean: LoadBatch) -> AssetCheckResult:
    subject = frames.batch_subject_frames(figures_clean.figures)
    results, rows = [], 0
    for table, rules in (("fact_gdp", suites.GDP_RULES), ("fact_revenue", suites.REVENUE_RULES),
                         *((t, suites.COUNT_RULES) for t in frames.COUNT_TABLES)):
        if table in subject:
            results += validate_frame(subject[table], rules, f"figures_clean_{table}")
            rows += subject[table].height
    return to_check_result(results, rows)


_CHECKED = [s for s in WAREHOUSE_SUITES if s.asset in WAREHOUSE_TABLES]


@multi_asset_check(
    specs=[AssetCheckSpec(s.name, asset=s.asset, blocking=s.blocking,
                          description="; ".join(r.name for r in s.rules)) for s in _CHECKED],
    description="The warehouse suites (figures, subject facts, integrity) on the loaded tables; builds the Data Docs.",
)
def warehouse_expectations(context: AssetCheckExecutionContext, warehouse: WarehouseResource, raw_folder: RawFolderResource):
    with warehouse.read() as con:
        scope = check_scope(con, context.run.run_id)
        frames_by_suite = read_frames(con, raw_folder.path, scope)
    context.log.info(f"warehouse checks: row rules on the {scope.label}; rules across rows on whole tables")
    recorder = DocsRecorder()
    outcomes = validate_suites(frames_by_suite, recorder, scope)
    docs = recorder.build(docs_dir_from_env(), run_name=context.run.run_id)
    context.log.info(f"Great Expectations Data Docs: {docs}")
    by_name = {o.suite.name: o for o in outcomes}
    for suite in _CHECKED:
        outcome = by_name[suite.name]
        extra = {"data_docs": MetadataValue.path(str(docs)), "scope": outcome.scope}
        if outcome.skipped:
            extra["skipped"] = outcome.skipped
        yield to_check_result(outcome.results, outcome.rows, extra, asset_key=suite.asset, check_name=suite.name)
