"""Stage 4 — warehouse: one transaction writes documents, figures, rejects and the subject fact tables."""

import datetime as dt

from dagster import AssetExecutionContext, AssetIn, AssetSpec, MaterializeResult, multi_asset

from extraction.regions import gazetteer_rows
from orchestration.resources import WarehouseResource
from warehouse import io
from warehouse.load_batch import LoadBatch

WAREHOUSE_TABLES = (
    "fact_figure", "dim_document", "dim_region", "dim_metric",
    "fact_gdp", "fact_revenue", "fact_certification_count", "fact_standard_count",
    "fact_brand_count", "fact_award_count", "fact_rate",
    "rejected_documents", "quarantined_figures", "load_runs",
)
# Views (warehouse/schema/003_series_views.sql): not written by the load, but they change with every load,
# so they are assets of the same step and show in the UI with their row counts.
WAREHOUSE_VIEWS = ("metric_series", "target_progress")


@multi_asset(
    specs=[AssetSpec(t, group_name="warehouse", kinds={"duckdb"}, deps=["figures_clean"]) for t in WAREHOUSE_TABLES]
    + [AssetSpec(v, group_name="warehouse", kinds={"duckdb"}, deps=["fact_figure", "dim_metric"],
                 description=f"View {v} over fact_figure (see warehouse/schema/003_series_views.sql).")
       for v in WAREHOUSE_VIEWS],
    ins={"figures_clean": AssetIn()},
    pool="duckdb_write",
    description="Merge the load into DuckDB in one transaction (incremental by document sha256).",
)
def warehouse_tables(context: AssetExecutionContext, figures_clean: LoadBatch, warehouse: WarehouseResource):
    started = dt.datetime.now()
    with warehouse.write() as con:
        stats = io.write_load(
            con,
            run_id=context.run_id,
            scan=figures_clean.scan,
            plan=figures_clean.plan,
            figures=figures_clean.figures,
            regions=figures_clean.regions,
            failures=figures_clean.failures,
            extractor_version=figures_clean.extractor_version,
            region_rows=gazetteer_rows(unique_names=True),
            started_at=started,
            quarantined=figures_clean.quarantined,
        )
        counts = {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchall()[0][0] for t in WAREHOUSE_TABLES + WAREHOUSE_VIEWS}
        conflicts = con.execute("SELECT count(*) FROM metric_series WHERE conflict").fetchall()[0][0]
    context.log.info(f"load {stats.as_dict()} in {(dt.datetime.now() - started).total_seconds():.2f}s")
    for table in WAREHOUSE_TABLES + WAREHOUSE_VIEWS:
        metadata = {"row_count": counts[table]}
        if table == "fact_figure":
            metadata.update({k: v for k, v in stats.as_dict().items() if k != "run_id"})
        if table == "metric_series":
            metadata["conflicts"] = conflicts
        yield MaterializeResult(asset_key=table, metadata=metadata)
