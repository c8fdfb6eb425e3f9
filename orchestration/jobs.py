from dagster import AssetSelection, Backoff, RetryPolicy, define_asset_job

# Transient trouble (a busy disk, a DuckDB IO hiccup) deserves another try. A parser bug never needs one:
# extraction/batch.py records a failing document and goes on. The load is one transaction, so a retried
# write starts again from the previous consistent state.
TRANSIENT_RETRY = RetryPolicy(max_retries=2, delay=2, backoff=Backoff.EXPONENTIAL)

nightly_load_job = define_asset_job(
    "nightly_load_job",
    selection=AssetSelection.all(),
    description="Scan raw/, extract new and changed documents (or only the files named in the figures config), "
                "clean, load DuckDB, run every check.",
    op_retry_policy=TRANSIENT_RETRY,
    # With `concurrency: runs: tag_concurrency_limits: [{key: qcity/load, limit: 1}]` in dagster.yaml
    # (make setup writes it) the daemon queues scheduled and sensor runs one at a time.
    run_tags={"qcity/load": "warehouse"},
)


def nightly_load_job_from_env():
    """The resolved job of the one Definitions, configured from QCITY_*: what `reconstructable` rebuilds in
    each step process of the multiprocess (or a Celery/Kubernetes) executor."""
    from orchestration.definitions import build_definitions

    return build_definitions().resolve_job_def(nightly_load_job.name)
