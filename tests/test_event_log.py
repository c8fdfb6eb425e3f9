"""The instance's event log (orchestration/event_log.py): Dagster's SQLite storage with its connections kept.

The runs it records must read the same through Dagster's own SqliteEventLogStorage (the same files), in the
instance `make setup` installs, while a process keeps only a few shards open.
"""
from __future__ import annotations

import multiprocessing
import shutil
from pathlib import Path

import pytest
from dagster import (AssetCheckResult, DagsterEventType, DagsterInstance, asset, asset_check, materialize)
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

from orchestration.event_log import OPEN_SHARDS, PooledSqliteEventLogStorage

ROOT = Path(__file__).resolve().parents[1]


@asset
def upstream() -> int:
    return 1


@asset
def downstream(upstream: int) -> int:
    return upstream + 1


@asset_check(asset=downstream)
def downstream_is_positive(downstream: int) -> AssetCheckResult:
    return AssetCheckResult(passed=downstream > 0)


@pytest.fixture
def project_instance(tmp_path, monkeypatch):
    """An instance with the settings `make setup` installs, in a fresh DAGSTER_HOME."""
    shutil.copy(ROOT / "orchestration" / "dagster.yaml", tmp_path / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    with DagsterInstance.get() as instance:
        yield instance


def test_the_installed_settings_name_the_pooled_event_log_in_dagsters_place(project_instance, tmp_path):
    storage = project_instance.event_log_storage
    assert type(storage) is PooledSqliteEventLogStorage
    assert Path(storage._base_dir) == tmp_path / "history" / "runs"


def test_a_run_it_records_reads_the_same_through_dagsters_own_storage(project_instance, tmp_path):
    result = materialize([upstream, downstream, downstream_is_positive], instance=project_instance)
    assert result.success
    run_id = result.run_id
    pooled = [(e.dagster_event_type, e.step_key) for e in project_instance.all_logs(run_id) if e.is_dagster_event]

    plain = SqliteEventLogStorage(str(tmp_path / "history" / "runs"))
    assert [(e.dagster_event_type, e.step_key) for e in plain.get_logs_for_run(run_id) if e.is_dagster_event] == pooled
    types = {t for t, _ in pooled}
    assert {DagsterEventType.RUN_SUCCESS, DagsterEventType.ASSET_MATERIALIZATION,
            DagsterEventType.ASSET_CHECK_EVALUATION} <= types
    # the index shard (cross-run asset queries) got the materialisations and the check's result
    with DagsterInstance.from_ref(project_instance.get_ref()) as again:
        assert again.get_latest_materialization_event(downstream.key).run_id == run_id
    from dagster import AssetCheckKey

    check_key = AssetCheckKey(downstream.key, "downstream_is_positive")
    record = plain.get_latest_asset_check_execution_by_key([check_key])[check_key]
    assert record.run_id == run_id


def test_a_process_keeps_few_shards_open_and_closes_them_on_dispose(project_instance):
    storage = project_instance.event_log_storage
    runs = [materialize([upstream], instance=project_instance).run_id for _ in range(OPEN_SHARDS + 2)]
    assert len(storage._engines) <= OPEN_SHARDS
    assert len(storage.get_logs_for_run(runs[0])) > 0  # an evicted shard opens again
    engines = list(storage._engines.values())
    storage.dispose()
    assert not storage._engines and all(e.pool.checkedin() == 0 for e in engines)


def _engines_in_forked_child(storage, answer) -> None:
    answer.put(len(storage._engines))


def test_a_forked_child_does_not_share_the_parents_connections(project_instance):
    storage = project_instance.event_log_storage
    materialize([upstream], instance=project_instance)
    assert storage._engines
    context = multiprocessing.get_context("fork")
    answer = context.Queue()
    child = context.Process(target=_engines_in_forked_child, args=(storage, answer))
    child.start()
    child.join(60)
    assert (child.exitcode, answer.get(timeout=5)) == (0, 0)
    assert storage._engines  # the parent's stay
    materialize([upstream], instance=project_instance)


def test_without_a_base_dir_or_dagster_home_it_says_what_is_missing(monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    with pytest.raises(ValueError, match="DAGSTER_HOME"):
        PooledSqliteEventLogStorage()
