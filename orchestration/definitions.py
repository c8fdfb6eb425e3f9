"""The one Dagster Definitions of qcity (loaded by workspace.yaml and `dagster dev`)."""
from __future__ import annotations

from dagster import Definitions, load_assets_from_modules

from assets import clean, extract, facts, ingest, report
from orchestration.jobs import nightly_load_job, warehouse_validation_job
from orchestration.resources import resources_from_env
from orchestration.schedules import nightly_load_schedule
from orchestration.sensors import (check_alerts_sensor, raw_documents_sensor, run_failure_alert_sensor,
                                   validation_after_load_sensor)

# The checks are defined with the assets they guard (check_specs), so they come with them.
ASSETS = load_assets_from_modules([ingest, extract, clean, facts, report])


def build_definitions(db_path: str | None = None, raw_path: str | None = None) -> Definitions:
    """Stages hand off through DuckDB tables (warehouse/staging.py), so no step has an output to store:
    the default IO manager never pickles anything, in one process or in many."""
    return Definitions(
        assets=ASSETS,
        jobs=[nightly_load_job, warehouse_validation_job],
        schedules=[nightly_load_schedule],
        sensors=[raw_documents_sensor, validation_after_load_sensor, check_alerts_sensor, run_failure_alert_sensor],
        resources=resources_from_env(db_path, raw_path),
    )


def nightly_load_job_from_env():
    """The resolved job of the one Definitions, configured from QCITY_*: what `reconstructable` rebuilds in
    each step process of the multiprocess (or a Celery/Kubernetes) executor."""
    return build_definitions().resolve_job_def(nightly_load_job.name)


defs = build_definitions()
