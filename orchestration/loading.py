"""`qcity load`: run the whole asset graph in-process, the same job the schedule and the sensor launch."""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from dagster import DagsterInstance

from orchestration.definitions import build_definitions
from orchestration.jobs import nightly_load_job
from warehouse.io import connect
from warehouse.locking import db_lock_path, hold, load_lock_path

SUMMARY_TABLES = ("dim_document", "fact_figure", "fact_gdp", "fact_revenue", "fact_certification_count",
                  "fact_standard_count", "rejected_documents", "quarantined_figures", "manifest_problems")


@dataclass
class LoadOutcome:
    success: bool
    run_id: str
    checks_passed: int = 0
    checks_failed: int = 0
    failed_checks: list[str] = field(default_factory=list)
    table_rows: dict[str, int] = field(default_factory=dict)
    active_documents: int = 0
    active_figures: int = 0
    last_run: dict = field(default_factory=dict)
    open_rejects: list[tuple[str, str]] = field(default_factory=list)
    manifest_problems: list[tuple[int, str, str]] = field(default_factory=list)


def _instance() -> DagsterInstance:
    return DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else DagsterInstance.ephemeral()


def load_run_config(log_level: str = "INFO", only_files: list[str] | None = None) -> dict:
    config: dict = {"loggers": {"console": {"config": {"log_level": log_level}}}}
    if only_files is not None:
        config["ops"] = {"figures": {"config": {"only_files": list(only_files)}}}
    return config


def run_load(db_path: str, raw_path: str, wait_seconds: float = 300.0, log_level: str = "INFO",
             only_files: list[str] | None = None) -> LoadOutcome:
    """One load under the load lock: a second load waits up to `wait_seconds`, then raises WarehouseBusy."""
    with hold(load_lock_path(db_path), wait_seconds, "start a load"):
        job = build_definitions(db_path, raw_path, outputs_in_memory=True).resolve_job_def(nightly_load_job.name)
        with _instance() as instance:
            result = job.execute_in_process(
                run_config=load_run_config(log_level, only_files), instance=instance, raise_on_error=False)
            evaluations = result.get_asset_check_evaluations()
        outcome = LoadOutcome(success=result.success, run_id=result.run_id)
        outcome.checks_passed = sum(1 for e in evaluations if e.passed)
        outcome.failed_checks = [e.check_name for e in evaluations if not e.passed]
        outcome.checks_failed = len(outcome.failed_checks)
        with hold(db_lock_path(db_path), wait_seconds, "summarise the load"):
            _summarise(db_path, outcome)
        return outcome


def _summarise(db_path: str, outcome: LoadOutcome) -> None:
    con = connect(db_path)
    try:
        con.execute("UPDATE load_runs SET checks_passed = ?, checks_failed = ? WHERE run_id = ?",
                    [outcome.checks_passed, outcome.checks_failed, outcome.run_id]).fetchall()
        existing = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        # A failed first load leaves only the migrated tables (the subject fact tables come with a load).
        outcome.table_rows = {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchall()[0][0]
                              for t in SUMMARY_TABLES if t in existing}
        outcome.active_documents = con.execute("SELECT count(*) FROM dim_document WHERE retired_at IS NULL").fetchall()[0][0]
        outcome.active_figures = con.execute("SELECT count(*) FROM fact_figure WHERE retired_at IS NULL").fetchall()[0][0]
        cursor = con.execute("SELECT * FROM load_runs WHERE run_id = ?", [outcome.run_id])
        row = cursor.fetchall()
        outcome.last_run = dict(zip([d[0] for d in cursor.description], row[0])) if row else {}
        outcome.open_rejects = con.execute(
            "SELECT file, reason FROM rejected_documents WHERE resolved_at IS NULL ORDER BY file").fetchall()
        outcome.manifest_problems = con.execute(
            "SELECT line, file, reason FROM manifest_problems ORDER BY line, file").fetchall()
    finally:
        con.close()
