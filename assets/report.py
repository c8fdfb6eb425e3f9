"""Stage 5 — the analyst report: after each load, the HTML report of series, targets and data quality."""

from dagster import AssetExecutionContext, DagsterEventType, MaterializeResult, MetadataValue, asset

from orchestration.resources import WarehouseResource
from warehouse.reporting.data import read_report_data_from
from warehouse.reporting.html import report_dir_from_env, write_report
from warehouse.reporting.quality import summarise_evaluations

REPORT_SOURCES = ["fact_figure", "metric_series", "target_progress", "quarantined_figures",
                  "rejected_documents", "load_runs"]


def latest_check_evaluations(context: AssetExecutionContext) -> list:
    """The latest evaluation of every check of the graph: this run's (the warehouse step evaluates its checks
    before the report starts), or, for a check this run did not evaluate (the report materialized alone, a
    run that loaded nothing), the last one recorded. The report never validates anything itself."""
    check_keys = list(context.job_def.asset_layer.asset_graph.asset_check_keys)
    latest = context.instance.event_log_storage.get_latest_asset_check_execution_by_key(check_keys)
    return [record.event.dagster_event.event_specific_data for record in latest.values()
            if record.event is not None and record.event.dagster_event is not None
            and record.event.dagster_event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION]


@asset(
    deps=REPORT_SOURCES,
    group_name="report",
    kinds={"html", "plotly"},
    description="The offline HTML report (charts per region × metric, targets, latest figures, data quality) "
                "in $QCITY_REPORT_DIR (default out/report).",
)
def analyst_report(context: AssetExecutionContext, warehouse: WarehouseResource):
    with warehouse.read() as con:
        if con is None:
            raise RuntimeError(f"no warehouse at {warehouse.db_path}: the load did not write it")
        data = read_report_data_from(con, warehouse.db_path)
        data.checks = summarise_evaluations(latest_check_evaluations(context))
    outcome = write_report(data, report_dir_from_env(warehouse.db_path))
    context.log.info(f"report: {outcome.path} ({outcome.regions} regions, {outcome.charts} charts)")
    return MaterializeResult(metadata={
        "report": MetadataValue.path(str(outcome.path)),
        "report_url": MetadataValue.url(outcome.path.as_uri()),
        "regions": outcome.regions,
        "charts": outcome.charts,
        "checks_failed": outcome.checks_failed,
        **({"checks_error": outcome.checks_error} if outcome.checks_error else {}),
    })
