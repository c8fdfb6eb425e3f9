from dagster import AssetCheckKey, AssetKey, AssetSelection, define_asset_job

from expectations.warehouse_checks import WAREHOUSE_SUITES
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

# A run of this job validates the warehouse with Great Expectations: the warehouse checks alone (the tables'
# multi-asset subset to its checks loads nothing) and their Data Docs. validation_after_load_sensor launches
# it after each load that wrote the warehouse; a load's own checks evaluated the same rules with Polars.
VALIDATION_TAG = "qcity/validates_run"

warehouse_validation_job = define_asset_job(
    "warehouse_validation_job",
    selection=AssetSelection.checks(*(AssetCheckKey(AssetKey(s.asset), s.name) for s in WAREHOUSE_SUITES)),
    description="Validate the warehouse as it is with the Great Expectations suites and write their Data Docs "
                "(launched after each load that wrote it; reads only).",
    op_retry_policy=TRANSIENT_RETRY,
)
