"""Watch raw/ for added, changed and removed files and launch a load for just those documents.

The sensor's cursor is a size/mtime fingerprint of raw/. Each tick diffs it against the folder and
requests one run of the whole graph whose `figures` step extracts only the added and changed files
(run config `only_files`); removed files are retired by the run's full scan of raw/. A change of
manifest.csv requests an unrestricted run, since metadata of any document may have changed.
One run per tick rather than one per document keeps a 10,000-document load to a single pass;
a failing document is isolated by extraction/batch.py and can be retried alone (`qcity load --only`).

The alert sensors (`check_alerts_sensor`, `run_failure_alert_sensor`) turn Dagster's event log into the
plain records of orchestration/alerts.py, which decides what to send and delivers it.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from dagster import (
    DagsterEventType,
    DagsterRunStatus,
    DefaultSensorStatus,
    RunFailureSensorContext,
    RunRequest,
    RunStatusChangeRecordsFilter,
    RunStatusSensorContext,
    SensorEvaluationContext,
    SkipReason,
    run_failure_sensor,
    run_status_sensor,
    sensor,
)

from extraction.manifest import MANIFEST_NAME
from extraction.sources import list_raw_files
from orchestration import alerts
from orchestration.jobs import VALIDATION_TAG, nightly_load_job, warehouse_validation_job
from orchestration.resources import RawFolderResource, WarehouseResource, run_trigger_of_tags
from warehouse import io
from warehouse.locking import WarehouseBusy

TAG_FILES_LIMIT = 1000  # characters of the file list kept in a run tag (the run config has the full list)


def raw_folder_state(raw_dir: Path) -> dict[str, str]:
    """file → size:mtime fingerprint of every candidate document and the manifest."""
    state = {}
    for name in list_raw_files(raw_dir) + ([MANIFEST_NAME] if (raw_dir / MANIFEST_NAME).exists() else []):
        try:
            st = (raw_dir / name).stat()
        except OSError:  # vanished since the listing, or a dangling symlink: the run's scan will say so
            continue
        state[name] = f"{st.st_size}:{st.st_mtime_ns}"
    return state


def diff_states(before: dict[str, str], after: dict[str, str]) -> dict[str, list[str]]:
    return {
        "added": sorted(set(after) - set(before)),
        "changed": sorted(f for f in set(after) & set(before) if after[f] != before[f]),
        "removed": sorted(set(before) - set(after)),
    }


@dataclass(frozen=True)
class SensorRun:
    only_files: list[str] | None  # None: every new or changed document (the manifest changed)
    tags: dict[str, str]
    run_key: str

    @property
    def run_config(self) -> dict:
        return {"ops": {"figures": {"config": {"only_files": self.only_files}}}}


def plan_sensor_run(before: dict[str, str], after: dict[str, str]) -> SensorRun | None:
    """The run that brings the warehouse up to `after`, or None when nothing changed."""
    changes = diff_states(before, after)
    if not any(changes.values()):
        return None
    touched = {f for names in changes.values() for f in names}
    documents = sorted(f for f in changes["added"] + changes["changed"] if f != MANIFEST_NAME)
    only_files = None if MANIFEST_NAME in touched else documents
    tags = {f"qcity/{kind}": str(len([f for f in names if f != MANIFEST_NAME])) for kind, names in changes.items()}
    tags["qcity/manifest_changed"] = str(MANIFEST_NAME in touched).lower()
    tags["qcity/files"] = ",".join(sorted(touched - {MANIFEST_NAME}))[:TAG_FILES_LIMIT]
    run_key = hashlib.sha256(json.dumps(after, sort_keys=True).encode()).hexdigest()[:16]
    return SensorRun(only_files, tags, run_key)


@sensor(job=nightly_load_job, minimum_interval_seconds=60, default_status=DefaultSensorStatus.RUNNING,
        description="Launches a load of just the files of raw/ that were added, changed or removed.")
def raw_documents_sensor(context: SensorEvaluationContext, raw_folder: RawFolderResource):
    raw_dir = Path(raw_folder.path)
    if not raw_dir.is_dir():
        return SkipReason(f"raw folder {raw_dir} does not exist")
    after = raw_folder_state(raw_dir)
    before = json.loads(context.cursor) if context.cursor else {}
    run = plan_sensor_run(before, after)
    context.update_cursor(json.dumps(after, sort_keys=True))
    if run is None:
        return SkipReason("raw/ unchanged")
    return RunRequest(run_key=run.run_key, run_config=run.run_config, tags=run.tags)


def wrote_the_warehouse(instance, run_id: str) -> bool:
    """Whether the run materialised fact_figure (a load with something to load, not one that ended early)."""
    return any(e.dagster_event.asset_key.to_user_string() == "fact_figure"
               for e in instance.all_logs(run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION))


@run_status_sensor(run_status=DagsterRunStatus.SUCCESS, monitored_jobs=[nightly_load_job],
                   request_job=warehouse_validation_job, default_status=DefaultSensorStatus.RUNNING,
                   description="After each load of this code location that wrote the warehouse (scheduled, sensor, UI), "
                               "validates it with the Great Expectations "
                               "suites and writes their Data Docs (the load's checks evaluated the same rules with Polars).")
def validation_after_load_sensor(context: RunStatusSensorContext):
    run = context.dagster_run
    if not wrote_the_warehouse(context.instance, run.run_id):
        return SkipReason(f"run {run.run_id} loaded nothing: the warehouse is as last validated")
    return RunRequest(run_key=run.run_id, tags={VALIDATION_TAG: run.run_id})


# ---- alerts (issue 18): thin sensors over Dagster's event log; what to send is orchestration/alerts.py ----
# Reading the warehouse for counts and open problems waits at most this long for a load's write to commit;
# a busy warehouse skips the tick (the cursor stays, the next tick retries) instead of hitting the tick timeout.
ALERT_READ_TIMEOUT_S = 20.0
FINISHED_RUNS_PER_TICK = 50


def _metadata_value(metadata, key, default=None):
    value = metadata.get(key)
    return default if value is None else getattr(value, "value", value)


def check_evaluations_of_run(instance, run_id: str) -> list[alerts.CheckEvaluation]:
    """The asset-check results a run logged, as plain records."""
    records = instance.get_records_for_run(run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION).records
    out = []
    for record in records:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        metadata = evaluation.metadata
        rules = tuple(key.split(".", 1)[1] for key in metadata
                      if key.startswith("failing_rows.") and (_metadata_value(metadata, key) or 0) > 0)
        out.append(alerts.CheckEvaluation(
            run_id=run_id, asset=evaluation.asset_key.to_user_string(), check_name=evaluation.check_name,
            passed=evaluation.passed, severity=evaluation.severity.value,
            failing_rows=int(_metadata_value(metadata, "failing_rows", 0) or 0),
            quarantined_rows=int(_metadata_value(metadata, "quarantined_rows", 0) or 0),
            description=evaluation.description or "", rules=rules,
            sample_rows=tuple(_metadata_value(metadata, "sample_failing_rows", []) or []),
        ))
    return out


def _read_warehouse(warehouse: WarehouseResource):
    return WarehouseResource(db_path=warehouse.db_path, lock_timeout_s=ALERT_READ_TIMEOUT_S).read()


def _finished_runs(instance, after_storage_id: int | None) -> list[tuple[int, str, bool]]:
    """(storage id, run id, succeeded) of the runs that finished after the cursor, oldest first."""
    finished = []
    for event_type, succeeded in ((DagsterEventType.RUN_SUCCESS, True), (DagsterEventType.RUN_FAILURE, False)):
        result = instance.fetch_run_status_changes(
            RunStatusChangeRecordsFilter(event_type, after_storage_id=after_storage_id),
            limit=FINISHED_RUNS_PER_TICK, ascending=True)
        finished += [(r.storage_id, r.run_id, succeeded) for r in result.records]
    return sorted(finished)[:FINISHED_RUNS_PER_TICK]


def _latest_storage_id(instance) -> int:
    ids = [r.storage_id for t in (DagsterEventType.RUN_SUCCESS, DagsterEventType.RUN_FAILURE)
           for r in instance.fetch_run_status_changes(t, limit=1).records]
    return max(ids, default=0)


@sensor(minimum_interval_seconds=30, default_status=DefaultSensorStatus.RUNNING,
        description="Alerts on the asset checks of every finished run: each failed ERROR check, WARN checks above "
                    "QCITY_ALERT_WARN_THRESHOLD, and quarantined figures once per problem (and when resolved).")
def check_alerts_sensor(context: SensorEvaluationContext, warehouse: WarehouseResource):
    # The state of each open problem (when it was last alerted) lives in this cursor, not in a warehouse table:
    # it then advances atomically with the events it accounts for, and the sensor stays a reader of DuckDB,
    # which allows one writer — a sensor writing there would contend with the nightly load for the lock.
    cursor = json.loads(context.cursor) if context.cursor else None
    if cursor is None:  # first tick: alert from now on, not on every run the instance ever recorded
        context.update_cursor(json.dumps({"after": _latest_storage_id(context.instance), "open": {}}))
        return SkipReason("alerts start with the next finished run")
    runs = _finished_runs(context.instance, cursor["after"])
    if not runs:
        return SkipReason("no run finished since the last tick")
    config = alerts.AlertConfig.from_env(warehouse.db_path)
    # A failed run's checks are named in its run-failure alert (run_failure_alert_sensor): one message for it.
    evaluations = [e for _, run_id, succeeded in runs if succeeded
                   for e in new_check_evaluations(context.instance, run_id)]
    try:
        with _read_warehouse(warehouse) as con:
            counts, open_now = alerts.warehouse_state(con)
    except WarehouseBusy as exc:
        return SkipReason(f"warehouse busy, retrying next tick: {exc}")
    to_send = [alerts.check_alert(e, counts, config) for e in evaluations if alerts.should_alert(e, config)]
    plan = alerts.plan_quarantine_alerts(open_now, cursor["open"], dt.datetime.now(), config.repeat_days)
    to_send += alerts.quarantine_alerts(plan, counts, config, latest_run_id=runs[-1][1])
    for alert in to_send:
        channels = alerts.deliver(alert, config)
        context.log.info(f"alert {alert.kind} ({alert.title}) → {', '.join(channels)}")
    context.update_cursor(json.dumps({"after": runs[-1][0], "open": plan.state}, sort_keys=True))
    if not to_send:
        return SkipReason(f"{len(runs)} finished runs, nothing to alert")
    return None


def new_check_evaluations(instance, run_id: str) -> list[alerts.CheckEvaluation]:
    """The check results of a run that call for an alert of their own. A validation run re-evaluates with GX
    the rules the load it validates (tag qcity/validates_run) evaluated with Polars: the same results (tested),
    so a check that failed in that load was alerted on with it; one failing only here is new."""
    evaluations = check_evaluations_of_run(instance, run_id)
    run = instance.get_run_by_id(run_id)
    validated = run.tags.get(VALIDATION_TAG) if run is not None and run.job_name == warehouse_validation_job.name else None
    if validated is None:
        return evaluations
    failed_in_load = {e.check_name for e in check_evaluations_of_run(instance, validated) if not e.passed}
    return [e for e in evaluations if e.check_name not in failed_in_load]


def step_error(event) -> str:
    """The error a step failed with (its innermost exception's message), else the event's own 'step … failed'."""
    data = event.step_failure_data
    error = data.error if data is not None else None
    while error is not None and error.cause is not None:  # past the retry policy's "Exceeded max_retries"
        error = error.cause
    return error.message.strip() if error is not None else (event.message or "")


@run_failure_sensor(default_status=DefaultSensorStatus.RUNNING,
                    description="Alerts on every failed run (a failed or blocked load), with its failed checks.")
def run_failure_alert_sensor(context: RunFailureSensorContext, warehouse: WarehouseResource):
    run = context.dagster_run
    steps = context.get_step_failure_events()
    error = "; ".join(step_error(e) for e in steps) or (context.failure_event.message or "")
    failed = alerts.FailedRun(
        run_id=run.run_id, job_name=run.job_name, failed_steps=tuple(e.step_key for e in steps if e.step_key),
        error=error,
        failed_checks=tuple(e for e in check_evaluations_of_run(context.instance, run.run_id) if not e.passed))
    config = alerts.AlertConfig.from_env(warehouse.db_path)
    with _read_warehouse(warehouse) as con:   # busy: the tick fails and Dagster retries it
        counts, _ = alerts.warehouse_state(con)
    alert = alerts.run_failed_alert(failed, counts, config)
    context.log.info(f"alert run_failed ({run.run_id}) → {', '.join(alerts.deliver(alert, config))}")
    if run.job_name == warehouse_validation_job.name:
        return   # it validated the warehouse and wrote nothing: not a load for load_runs
    # load_runs records every run that loads, a failed one too (every asset of this code location is a stage)
    started = context.instance.get_run_stats(run.run_id).start_time
    with warehouse.write() as con:
        io.record_failed_run(con, run.run_id, dt.datetime.fromtimestamp(started) if started else None,
                             run_trigger_of_tags(run.tags), error)

