"""The one Dagster Definitions of qcity (loaded by workspace.yaml and `dagster dev`)."""
from __future__ import annotations

from dagster import Definitions, load_asset_checks_from_modules, load_assets_from_modules, mem_io_manager

from assets import clean, extract, facts, ingest, report
from expectations import checks
from orchestration.jobs import nightly_load_job
from orchestration.resources import resources_from_env
from orchestration.schedules import nightly_load_schedule
from orchestration.sensors import check_alerts_sensor, raw_documents_sensor, run_failure_alert_sensor

ASSETS = load_assets_from_modules([ingest, extract, clean, facts, report])
CHECKS = load_asset_checks_from_modules([checks])


def build_definitions(db_path: str | None = None, raw_path: str | None = None,
                      outputs_in_memory: bool = False) -> Definitions:
    """outputs_in_memory: for a run executed in one process (`qcity load`), hand step outputs over in memory.
    Dagster's default IO manager pickles each output to $DAGSTER_HOME/storage and every consumer unpickles
    its own copy: at 10,000 documents, ~160 MB written per output and read three times, and hundreds of MB
    of peak memory. Runs of the daemon's multiprocess executor need the default (steps are processes)."""
    resources = resources_from_env(db_path, raw_path)
    if outputs_in_memory:
        resources["io_manager"] = mem_io_manager
    return Definitions(
        assets=ASSETS,
        asset_checks=CHECKS,
        jobs=[nightly_load_job],
        schedules=[nightly_load_schedule],
        sensors=[raw_documents_sensor, check_alerts_sensor, run_failure_alert_sensor],
        resources=resources,
    )


defs = build_definitions()
