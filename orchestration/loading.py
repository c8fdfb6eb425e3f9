"""`qcity load`: run the whole asset graph in-process, the same job the schedule and the sensor launch.

A load can be stopped: SIGTERM or SIGINT abort it — the step running is interrupted (Dagster raises
inside it), the load transaction rolls back, the extraction workers end, the locks are released — and
the outcome says which signal. `wait_seconds` bounds every lock the load takes.
"""
from __future__ import annotations

import datetime as dt
import gc
import os
import select
import signal
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator

import duckdb

from orchestration.settings import max_bytes_from_env
from warehouse.io import connect
from warehouse.locking import WarehouseBusy, announce_on_stderr, db_lock_path, hold, load_lock_path

SUMMARY_TABLES = ("dim_document", "fact_figure", "fact_gdp", "fact_revenue", "fact_certification_count",
                  "fact_standard_count", "fact_brand_count", "fact_award_count", "fact_rate", "metric_series",
                  "rejected_documents", "quarantined_figures", "manifest_problems")
ABORT_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class LoadInterrupted(KeyboardInterrupt):
    """SIGTERM or SIGINT stopped the load; nothing of it was written."""

    def __init__(self, signum: int, committed: bool = False):
        super().__init__(signum)
        self.signum = signum
        self.committed = committed  # the signal came after the load's transaction (during checks or the report)

    @property
    def exit_status(self) -> int:
        return 128 + self.signum  # the shell's convention: 143 for SIGTERM, 130 for SIGINT


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
    # (expectation, file, quote, value, unit_zh, value_canonical) of the figures this run set aside
    quarantined: list[tuple] = field(default_factory=list)

    @property
    def set_aside(self) -> bool:
        """Something of raw/ did not get in: a quarantined figure, a rejected file or a manifest problem."""
        return bool(self.quarantined or self.open_rejects or self.manifest_problems)


def _instance():
    from dagster import DagsterInstance

    return DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else DagsterInstance.ephemeral()


def load_run_config(log_level: str = "INFO", only_files: list[str] | None = None) -> dict:
    config: dict = {"loggers": {"console": {"config": {"log_level": log_level}}}}
    if only_files is not None:  # `--only`: retry just these (not the other unloaded documents)
        config["ops"] = {"figures": {"config": {"only_files": list(only_files), "pick_up_unloaded": False}}}
    return config


def load_definitions(db_path: str, raw_path: str, wait_seconds: float):
    """The job's definitions for one in-process load, with warehouse locks bounded by the load's --wait."""
    from dagster import Definitions

    from orchestration.definitions import ASSETS
    from orchestration.jobs import nightly_load_job
    from orchestration.resources import WarehouseResource, resources_from_env

    resources = {**resources_from_env(db_path, raw_path),
                 "warehouse": WarehouseResource(db_path=db_path, lock_timeout_s=wait_seconds)}
    return Definitions(assets=ASSETS, jobs=[nightly_load_job], resources=resources)


@contextmanager
def _abort_on_signals() -> Iterator[list[int]]:
    """SIGTERM/SIGINT abort the load; the list holds the signal that did.

    Outside the job, the signal raises LoadInterrupted. While the job runs, Dagster's own handler is in
    place: it raises inside the running step (the transaction rolls back, the workers end) — but Dagster
    retries an interrupted step under its retry policy, and only an interrupt between steps ends the run.
    So a watchdog thread learns of the signal from the wakeup fd (which sees every signal, whoever handles
    it) and interrupts the process again every half second until the job is over."""
    received: list[int] = []
    stop = threading.Event()

    def handler(signum, frame):
        received.append(signum)
        raise LoadInterrupted(received[0])

    def watch() -> None:
        while not stop.is_set():
            if select.select([read_fd], [], [], 0.2)[0]:
                signals = [s for s in os.read(read_fd, 64) if s in ABORT_SIGNALS]
                if signals and not received:
                    received.append(signals[0])
            if received and not stop.wait(0.5):
                os.kill(os.getpid(), signal.SIGINT)

    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)
    previous = {s: signal.signal(s, handler) for s in ABORT_SIGNALS}
    previous_fd = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    watchdog = threading.Thread(target=watch, name="qcity-load-signals", daemon=True)
    watchdog.start()
    try:
        yield received
    finally:
        stop.set()
        watchdog.join()
        signal.set_wakeup_fd(previous_fd)
        os.close(read_fd)
        os.close(write_fd)
        for s, h in previous.items():
            signal.signal(s, h)


def _raise_if_signalled(received: list[int], db_path: str, run_id: str) -> None:
    if received:
        raise LoadInterrupted(received[0], committed=_run_committed(db_path, run_id))


def _run_committed(db_path: str, run_id: str) -> bool:
    try:
        with hold(db_lock_path(db_path), 5, "read the load's outcome", announce=None):
            con = connect(db_path, read_only=True)
            try:
                return bool(con.execute("SELECT count(*) FROM load_runs WHERE run_id = ?", [run_id]).fetchall()[0][0])
            finally:
                con.close()
    except Exception:  # busy or unreadable: say what is certain (the transaction is all or nothing)
        return False


def wait_for_the_file(db_path: str, wait_seconds: float) -> None:
    """Wait (announced) up to `wait_seconds` while a program outside qcity's locks (another DuckDB client)
    holds the warehouse file; then WarehouseBusy. Also applies pending migrations."""
    deadline, announced = time.monotonic() + wait_seconds, False
    while True:
        try:
            connect(db_path).close()
            return
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            if time.monotonic() >= deadline:
                raise WarehouseBusy(f"busy: {db_path} is open in another program (DuckDB allows one writer; "
                                    f"waited {wait_seconds:g}s)") from None
            if not announced:
                announce_on_stderr(f"start a load: waiting up to {wait_seconds:g}s for another program "
                                   f"to close {db_path} …")
                announced = True
            time.sleep(0.5)


def record_if_nothing_to_load(db_path: str, raw_path: str) -> str | None:
    """When the warehouse already holds raw/ exactly as it is (every file unchanged since it was staged, the
    same manifest, nothing new, changed or removed: warehouse.io.nothing_to_load, the decision the figures
    stage makes), record the run as `unchanged` in load_runs and return its id, without starting Dagster:
    a reload with nothing to do takes a scan of file signatures. Otherwise None: the load runs."""
    import uuid

    from extraction.regions import division_rows
    from extraction.sources import scan_raw_folder, unchanged_since
    from extraction.version import EXTRACTOR_VERSION
    from warehouse import io, staging

    if not os.path.exists(db_path):
        return None
    started = dt.datetime.now()
    con = connect(db_path)
    try:
        if not con.execute("SELECT count(*) FROM load_runs WHERE status = 'loaded'").fetchall()[0][0]:
            return None
        known = staging.known_files(con, EXTRACTOR_VERSION)
        # stat every file first and open none: a load that has work to do reads each file once, in raw_documents
        if not unchanged_since(raw_path, known, staging.staged_manifest_signature(con)):
            return None
        scan = scan_raw_folder(raw_path, max_bytes_from_env(), known=known)
        if not staging.scan_is_staged(con, scan):
            return None
        plan = io.plan_load(io.active_documents(con), scan, EXTRACTOR_VERSION)
        if not io.nothing_to_load(con, plan, scan, division_rows()):
            return None
        run_id = f"unchanged-{uuid.uuid4()}"
        io.record_unchanged_run(con, run_id, len(scan.documents) + len(scan.rejected), started, "qcity load")
        return run_id
    finally:
        con.close()


def run_load(db_path: str, raw_path: str, wait_seconds: float = 300.0, log_level: str = "INFO",
             only_files: list[str] | None = None, process_ends_after: bool = False) -> LoadOutcome:
    """One load under the load lock. Every lock waits up to `wait_seconds`, then WarehouseBusy;
    SIGTERM/SIGINT: LoadInterrupted (the load rolled back).

    `process_ends_after` (`qcity load`): the objects alive once the job and the instance are built (modules,
    definitions, Dagster's storage) are frozen out of the garbage collector, which otherwise rescans them in
    every full collection of the load (~0.4 s of a load of raw/); a long-lived caller keeps the default."""
    with _abort_on_signals() as received:
        with hold(load_lock_path(db_path), wait_seconds, "start a load"):
            with hold(db_lock_path(db_path), wait_seconds, "start a load"):
                wait_for_the_file(db_path, wait_seconds)
                unchanged_run = None if only_files is not None else record_if_nothing_to_load(db_path, raw_path)
            if unchanged_run is not None:
                outcome = LoadOutcome(success=True, run_id=unchanged_run)
                with hold(db_lock_path(db_path), wait_seconds, "summarise the load"):
                    _summarise(db_path, outcome)
                return outcome
            job = load_definitions(db_path, raw_path, wait_seconds).resolve_job_def("nightly_load_job")
            with _instance() as instance:
                if process_ends_after:
                    gc.freeze()
                result = job.execute_in_process(
                    run_config=load_run_config(log_level, only_files), instance=instance, raise_on_error=False,
                    tags={"qcity/trigger": "qcity load"})
                evaluations = result.get_asset_check_evaluations()
            _raise_if_signalled(received, db_path, result.run_id)
            outcome = LoadOutcome(success=result.success, run_id=result.run_id)
            if not result.success:
                with hold(db_lock_path(db_path), wait_seconds, "record the failed load"):
                    _record_failure(db_path, result)
            outcome.checks_passed = sum(1 for e in evaluations if e.passed)
            outcome.failed_checks = [e.check_name for e in evaluations if not e.passed]
            outcome.checks_failed = len(outcome.failed_checks)
            with hold(db_lock_path(db_path), wait_seconds, "summarise the load"):
                _summarise(db_path, outcome)
            return outcome


def _record_failure(db_path: str, result) -> None:
    from orchestration.sensors import step_error
    from warehouse import io

    failures = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    con = connect(db_path)
    try:
        io.record_failed_run(con, result.run_id, None, "qcity load",
                             "; ".join(f"{e.step_key}: {step_error(e)}" for e in failures) or "the run failed")
    finally:
        con.close()


def _summarise(db_path: str, outcome: LoadOutcome) -> None:
    try:
        con = connect(db_path)
    except duckdb.IOException as exc:
        if "lock" not in str(exc).lower():
            raise
        raise WarehouseBusy(f"busy: {db_path} is open in another program; the load's summary could not be read") from None
    try:
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
        outcome.quarantined = con.execute(QUARANTINED_IN_RUN_SQL, [outcome.run_id]).fetchall()
    finally:
        con.close()


QUARANTINED_IN_RUN_SQL = """
SELECT expectation, file, figure->>'quote' AS quote, TRY_CAST(figure->>'value' AS DOUBLE) AS value,
       figure->>'unit_zh' AS unit_zh, TRY_CAST(figure->>'value_canonical' AS DOUBLE) AS value_canonical
FROM quarantined_figures WHERE run_id = ? AND resolved_at IS NULL ORDER BY file, expectation, quote"""
