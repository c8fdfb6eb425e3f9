"""The leaf of the Dagster code: resources, the retry policy, the write pool and the warehouse's table lists.

Assets, checks, jobs, sensors and the definitions import from here; this module imports none of them.
Resources read their configuration through EnvVar (QCITY_DB, QCITY_RAW, QCITY_MAX_BYTES), resolved when a
run starts; orchestration/settings.py gives each variable its default.
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb
from dagster import Backoff, ConfigurableResource, EnvVar, RetryPolicy

from extraction.sources import DEFAULT_MAX_BYTES
from orchestration.settings import apply_default_environment
from warehouse import io
from warehouse.locking import WarehouseBusy, db_lock_path, hold

# Transient trouble (a busy disk, a DuckDB IO hiccup) deserves another try. A parser bug never needs one:
# extraction/batch.py records a failing document and goes on. Each stage writes in one transaction, so a
# retried step starts again from the previous consistent state.
TRANSIENT_RETRY = RetryPolicy(max_retries=2, delay=2, backoff=Backoff.EXPONENTIAL)

# Every step that writes the warehouse file runs in this pool; dagster.yaml (`make setup`) limits it to one
# step at a time across all runs, whoever launched them (DuckDB allows one writer).
WRITE_POOL = "duckdb_write"

# The tables of the warehouse the load writes, and the views over them (warehouse/schema/*.sql).
WAREHOUSE_TABLES = (
    "fact_figure", "dim_document", "dim_region", "dim_metric",
    "fact_gdp", "fact_revenue", "fact_certification_count", "fact_standard_count",
    "fact_brand_count", "fact_award_count", "fact_rate", "metric_series",
    "rejected_documents", "quarantined_figures", "load_runs",
)
WAREHOUSE_VIEWS = ("target_progress",)
# The staging tables each stage writes (warehouse/schema/007_staging.sql).
STAGING_TABLES = {
    "raw_documents": ("staging.stg_document", "staging.stg_rejected", "staging.stg_manifest_problem"),
    "figures": ("staging.stg_plan", "staging.stg_figure"),
    "figures_clean": ("staging.stg_figure_clean", "staging.stg_quarantine"),
}


def run_trigger_of_tags(tags: dict) -> str:
    """How a run was started, from its tags: schedule, sensor, backfill, `qcity load`, or the UI (or another client)."""
    for tag, label in (("dagster/schedule_name", "schedule"), ("dagster/sensor_name", "sensor"),
                       ("dagster/backfill", "backfill"), ("qcity/trigger", None)):
        if tag in tags:
            return f"{label}:{tags[tag]}" if label else tags[tag]
    return "ui"


def _connect_or_busy(db_path: str, read_only: bool) -> duckdb.DuckDBPyConnection:
    """A connection; a process outside qcity's lock (another DuckDB client) holding the file is reported
    as WarehouseBusy (a clear message, and a transient error the retry policy retries) — not DuckDB's traceback."""
    try:
        return io.connect(db_path, read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" not in str(exc).lower():
            raise
        raise WarehouseBusy(f"{db_path} is open in another program (DuckDB allows one writer): {exc}") from exc


class WarehouseResource(ConfigurableResource):
    """The DuckDB warehouse file. Every connection holds the file lock: DuckDB allows one writer."""

    db_path: str
    lock_timeout_s: float = 600.0

    @contextmanager
    def write(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with hold(db_lock_path(self.db_path), self.lock_timeout_s, "write the warehouse"):
            con = _connect_or_busy(self.db_path, read_only=False)
            try:
                yield con
            finally:
                con.close()

    @contextmanager
    def read(self) -> Iterator[duckdb.DuckDBPyConnection | None]:
        """A read-only connection, or None when the warehouse does not exist yet."""
        if not Path(self.db_path).exists():
            yield None
            return
        with hold(db_lock_path(self.db_path), self.lock_timeout_s, "read the warehouse"):
            con = _connect_or_busy(self.db_path, read_only=True)
            try:
                yield con
            finally:
                con.close()


class RawFolderResource(ConfigurableResource):
    """The folder of raw documents (plus raw/manifest.csv)."""

    path: str
    max_bytes: int = DEFAULT_MAX_BYTES


def resources_from_env(db_path: str | None = None, raw_path: str | None = None) -> dict:
    """The resources, configured from QCITY_* through EnvVar; explicit paths (a test, `qcity load --db`) win."""
    apply_default_environment()
    return {
        "warehouse": WarehouseResource(db_path=db_path or EnvVar("QCITY_DB")),
        "raw_folder": RawFolderResource(path=raw_path or EnvVar("QCITY_RAW"), max_bytes=EnvVar.int("QCITY_MAX_BYTES")),
    }
