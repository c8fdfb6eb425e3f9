from dagster import AssetSelection, define_asset_job

from orchestration.resources import TRANSIENT_RETRY

nightly_load_job = define_asset_job(
    "nightly_load_job",
    selection=AssetSelection.all(),
    description="Scan raw/, extract new and changed documents (or only the files named in the figures config), "
                "clean, load DuckDB, run every check, write the report. A run that finds nothing to load ends "
                "after the figures stage.",
    op_retry_policy=TRANSIENT_RETRY,
    # With `concurrency: runs: tag_concurrency_limits: [{key: qcity/load, limit: 1}]` in dagster.yaml
    # (make setup writes it) the daemon queues scheduled and sensor runs one at a time.
    run_tags={"qcity/load": "warehouse"},
)
