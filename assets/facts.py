"""Stage 4 — warehouse: one transaction merges what the stages staged into the warehouse tables; then the
warehouse suites check the tables as they were committed.

The checks sit on the tables they guard and do not block: they run after the commit, so a failure cannot
undo the load; it is reported with its rules' severity (ERROR: red) and the report, built after them,
shows it. In a load they are evaluated with the Polars form of their rules (no Great Expectations import:
the load takes seconds). The multi-asset can be subset: checks selected alone (from the UI, or the
validation job a sensor launches after each load) validate the warehouse as it is with Great Expectations,
without loading anything, and write its Data Docs; both engines give the same results (tested).
"""

import datetime as dt

from dagster import (AssetCheckSpec, AssetExecutionContext, AssetSpec, DagsterEventType, MaterializeResult,
                     MetadataValue, multi_asset)

from assets.check_results import to_check_result
from assets.metadata import table_metadata
from expectations.docs import DocsRecorder, docs_dir_from_env
from expectations.warehouse_checks import GX, POLARS, WAREHOUSE_SUITES, check_scope, read_frames, validate_suites
from extraction.regions import division_rows
from extraction.version import EXTRACTOR_VERSION
from orchestration.resources import (TRANSIENT_RETRY, WAREHOUSE_TABLES, WAREHOUSE_VIEWS, WRITE_POOL, WarehouseResource,
                                     run_trigger_of_tags)
from warehouse import io, staging
from warehouse.schema_docs import schema_docs

_FALLBACK = {
    "metric_series": "One row per region × series × year of actual figures, materialised by each load "
                     "(definition: the view metric_series_computed).",
    "target_progress": "View: every dated target beside the actual of its year (warehouse/schema/008_region_codes.sql).",
}


def _description(table: str) -> str:
    return schema_docs().tables.get(table) or _FALLBACK.get(table) or f"Warehouse table {table}."


@multi_asset(
    specs=[AssetSpec(t, group_name="warehouse", kinds={"duckdb"}, deps=["figures_clean"], skippable=True,
                     description=_description(t)) for t in WAREHOUSE_TABLES]
    + [AssetSpec(v, group_name="warehouse", kinds={"duckdb"}, deps=["metric_series", "fact_figure"], skippable=True,
                 description=_description(v)) for v in WAREHOUSE_VIEWS],
    check_specs=[AssetCheckSpec(s.name, asset=s.asset, blocking=False,
                                description="; ".join(f"{r.name}: {r.description}" for r in s.rules))
                 for s in WAREHOUSE_SUITES],
    can_subset=True,
    pool=WRITE_POOL,
    retry_policy=TRANSIENT_RETRY,
    description="Merge the staged load into DuckDB in one transaction (incremental by document sha256), then "
                "validate the warehouse suites on the committed tables.",
)
def warehouse_tables(context: AssetExecutionContext, warehouse: WarehouseResource):
    tables = sorted(k.to_user_string() for k in context.selected_asset_keys)
    if tables:
        started = context.instance.get_run_stats(context.run_id).start_time
        with warehouse.write() as con:
            staging.require_stage(con, "figures_clean", context.run_id)
            stats = io.merge_staged_load(
                con, run_id=context.run_id, extractor_version=EXTRACTOR_VERSION,
                region_rows=division_rows(),
                started_at=dt.datetime.fromtimestamp(started) if started else dt.datetime.now(),
                trigger=run_trigger_of_tags(context.run.tags))
            metadata = {t: table_metadata(con, t) for t in tables}
            conflicts = con.execute("SELECT count(*) FROM metric_series WHERE conflict").fetchall()[0][0]
        context.log.info("load: " + stats.summary())
        for table in tables:
            extra = {}
            if table == "fact_figure":
                extra = {k: v for k, v in stats.as_dict().items() if k != "run_id"}
            if table == "metric_series":
                extra = {"conflicts": conflicts}
            yield MaterializeResult(asset_key=table, metadata={**metadata[table], **extra})
    selected = {k.name for k in context.selected_asset_check_keys}
    if not selected:
        return
    try:
        results = _validate(context, warehouse, selected, engine=POLARS if tables else GX)
    except Exception:
        # the suites could not run: load_runs still gets the run's counts, each selected suite as failed
        if tables:
            _record_check_counts(context, warehouse, [], failed_suites=len(selected))
        raise
    if tables:  # the run's check counts in load_runs, whoever started it: the batch's checks and these
        _record_check_counts(context, warehouse, results)
    yield from results


def _validate(context: AssetExecutionContext, warehouse: WarehouseResource, selected: set[str], engine: str) -> list:
    with warehouse.read() as con:
        scope = check_scope(con, context.run_id)
        frames_by_suite = read_frames(con, scope, selected)
    context.log.info(f"warehouse checks ({engine}): row rules on the {scope.label}; rules across rows on whole tables")
    recorder = DocsRecorder() if engine == GX else None
    outcomes = validate_suites(frames_by_suite, recorder, scope, selected, engine=engine)
    extra_all = {"engine": engine}
    if recorder is not None:
        docs = recorder.build(docs_dir_from_env(warehouse.db_path), run_name=context.run_id)
        context.log.info(f"Great Expectations Data Docs: {docs}")
        extra_all["data_docs"] = MetadataValue.path(str(docs))
    results = []
    for outcome in outcomes:
        extra = {**extra_all, "scope": outcome.scope}
        if outcome.skipped:
            extra["skipped"] = outcome.skipped
        results.append(to_check_result(outcome.results, outcome.rows, extra, asset_key=outcome.suite.asset,
                                       check_name=outcome.suite.name))
    return results


def _record_check_counts(context: AssetExecutionContext, warehouse: WarehouseResource, results: list,
                         failed_suites: int = 0) -> None:
    """The run's check counts in load_runs: the checks evaluated earlier in the run (the batch's), these
    results, and `failed_suites` that could not be evaluated."""
    earlier = [e.dagster_event.event_specific_data.passed for e in context.instance.all_logs(
        context.run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION)]
    passed = sum(earlier) + sum(r.passed for r in results)
    with warehouse.write() as con:
        io.record_check_counts(con, context.run_id, passed, len(earlier) + len(results) + failed_suites - passed)
