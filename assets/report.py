"""Stage 5 — the analyst report: after each load, the HTML report of series, targets and data quality."""

from dagster import AssetExecutionContext, DagsterEventType, MaterializeResult, MetadataValue, asset

from orchestration.resources import RawFolderResource, WarehouseResource
from warehouse.reporting.data import read_report_data_from
from warehouse.reporting.html import report_dir_from_env, write_report
from warehouse.reporting.quality import check_summary_from, summarise_evaluations

REPORT_SOURCES = ["fact_figure", "metric_series", "target_progress", "quarantined_figures",
                  "rejected_documents", "load_runs"]


@asset(
    deps=REPORT_SOURCES,
    group_name="report",
    kinds={"html", "plotly"},
    description="The offline HTML report (charts per region × metric, targets, latest figures, data quality) "
                "in $QCITY_REPORT_DIR (default out/report).",
)
def analyst_report(context: AssetExecutionContext, warehouse: WarehouseResource, raw_folder: RawFolderResource):
    with warehouse.read() as con:
        if con is None:
            raise RuntimeError(f"no warehouse at {warehouse.db_path}: the load did not write it")
        data = read_report_data_from(con, warehouse.db_path)
        # the checks this run already evaluated; validate the suites only when the run had none (report alone)
        evaluations = [e.dagster_event.event_specific_data for e in
                       context.instance.all_logs(context.run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION)]
        data.checks = summarise_evaluations(evaluations) if evaluations else check_summary_from(con, raw_folder.path)
    outcome = write_report(data, report_dir_from_env())
    context.log.info(f"report: {outcome.path} ({outcome.regions} regions, {outcome.charts} charts)")
    return MaterializeResult(metadata={
        "report": MetadataValue.path(str(outcome.path)),
        "report_url": MetadataValue.url(outcome.path.as_uri()),
        "regions": outcome.regions,
        "charts": outcome.charts,
        "checks_failed": outcome.checks_failed,
        **({"checks_error": outcome.checks_error} if outcome.checks_error else {}),
    })
