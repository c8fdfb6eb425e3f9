"""A load's warehouse checks evaluate their rules with Polars; the validation job the sensor launches after a
load validates the same suites with Great Expectations and writes the Data Docs. Both report the same.

Real runs on one Dagster instance: a load (materialize), the sensor's decision on that run, then the
validation job executed in-process."""
from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from dagster import Definitions, RunRequest, SkipReason, build_run_status_sensor_context, instance_for_test, materialize

from expectations.warehouse_checks import GX, POLARS, WAREHOUSE_SUITES
from orchestration.definitions import ASSETS
from orchestration.jobs import VALIDATION_TAG, warehouse_validation_job
from orchestration.resources import resources_from_env
from orchestration.sensors import validation_after_load_sensor
from tests.conftest import write_raw

DOCUMENT = "2020年，长沙市实现地区生产总值5000亿元，增长7.5%。全市产品质量监督抽查合格率达98.5%。\n"


def _load(instance, raw: Path, db: Path):
    return materialize(ASSETS, resources=resources_from_env(str(db), str(raw)), instance=instance, raise_on_error=False)


def _sensor_decision(instance, result):
    context = build_run_status_sensor_context(
        sensor_name=validation_after_load_sensor.name, dagster_instance=instance, dagster_run=result.dagster_run,
        dagster_event=result.get_run_success_event())
    return validation_after_load_sensor(context)


def _defs_run(instance, raw: Path, db: Path, validates: str):
    """A run of the validation job, as the sensor requests it after the load `validates`."""
    defs = Definitions(assets=ASSETS, jobs=[warehouse_validation_job], resources=resources_from_env(str(db), str(raw)))
    return defs.resolve_job_def(warehouse_validation_job.name).execute_in_process(
        instance=instance, raise_on_error=False, tags={VALIDATION_TAG: validates})


def _validate(instance, raw: Path, db: Path):
    return _defs_run(instance, raw, db, validates="test")


def _reported(evaluations) -> dict[str, tuple]:
    """check → (passed, failing rows per rule): what a check says, whichever engine evaluated it."""
    return {e.check_name: (e.passed, {k: v.value for k, v in e.metadata.items() if k.startswith("failing_rows.")})
            for e in evaluations}


@pytest.fixture
def docs_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("QCITY_GX_DOCS", str(tmp_path / "docs"))
    return tmp_path / "docs"


def test_a_load_checks_with_polars_and_the_validation_job_with_gx_and_both_report_the_same(tmp_path, docs_dir):
    raw, db = write_raw(tmp_path / "raw", {"a.txt": DOCUMENT}), tmp_path / "qcity.duckdb"
    warehouse_checks = {s.name for s in WAREHOUSE_SUITES}
    with instance_for_test() as instance:
        load = _load(instance, raw, db)
        assert load.success
        in_load = [e for e in load.get_asset_check_evaluations() if e.check_name in warehouse_checks]
        assert {e.check_name for e in in_load} == warehouse_checks
        assert {e.metadata["engine"].value for e in in_load} == {POLARS}
        assert not any("data_docs" in e.metadata for e in in_load) and not docs_dir.exists()

        request = _sensor_decision(instance, load)
        assert isinstance(request, RunRequest)
        assert (request.run_key, request.tags[VALIDATION_TAG]) == (load.run_id, load.run_id)

        validation = _validate(instance, raw, db)
        assert validation.success
        assert validation.get_asset_materialization_events() == []   # it loads nothing
        by_gx = validation.get_asset_check_evaluations()
        assert {e.metadata["engine"].value for e in by_gx} == {GX}
        assert (docs_dir / "index.html").is_file()
        assert {e.metadata["data_docs"].value for e in by_gx} == {str(docs_dir / "index.html")}
        # the row rules read the load's rows in the load, the whole table alone: here the same rows
        assert _reported(by_gx) == _reported(in_load)


def test_the_validation_job_reports_a_broken_warehouse_as_the_load_checks_would(tmp_path, docs_dir):
    raw, db = write_raw(tmp_path / "raw", {"a.txt": DOCUMENT}), tmp_path / "qcity.duckdb"
    with instance_for_test() as instance:
        assert _load(instance, raw, db).success
        con = duckdb.connect(str(db))
        con.execute("UPDATE fact_figure SET kind = 'forecast' WHERE figure_id = (SELECT min(figure_id) FROM fact_figure)")
        con.close()
        validation = _validate(instance, raw, db)
    [rows_check] = [e for e in validation.get_asset_check_evaluations() if e.check_name == "fact_figure_rows"]
    assert (rows_check.passed, rows_check.severity.value) == (False, "ERROR")
    assert rows_check.metadata["failing_rows.kind_in_vocabulary"].value == 1


def test_the_sensor_skips_a_load_that_loaded_nothing(tmp_path, docs_dir):
    raw, db = write_raw(tmp_path / "raw", {"a.txt": DOCUMENT}), tmp_path / "qcity.duckdb"
    with instance_for_test() as instance:
        assert _load(instance, raw, db).success
        again = _load(instance, raw, db)   # nothing changed: the run ends after the figures stage
        assert again.success
        decision = _sensor_decision(instance, again)
    assert isinstance(decision, SkipReason) and "loaded nothing" in decision.skip_message


def test_a_validation_run_alerts_only_on_what_its_load_did_not_already_report(tmp_path, docs_dir):
    from orchestration.sensors import new_check_evaluations

    # 鼓楼区 names four divisions and nothing in the text decides which: the WARN check on region codes fails
    ambiguous = "2020年，鼓楼区实现地区生产总值500亿元，增长5.0%。\n"
    raw, db = write_raw(tmp_path / "raw", {"a.txt": ambiguous}), tmp_path / "qcity.duckdb"
    with instance_for_test() as instance:
        load = _load(instance, raw, db)
        failed_in_load = {e.check_name for e in load.get_asset_check_evaluations() if not e.passed}
        assert "fact_figure_integrity" in failed_in_load
        validation = _defs_run(instance, raw, db, validates=load.run_id)
        assert "fact_figure_integrity" in {e.check_name for e in validation.get_asset_check_evaluations() if not e.passed}
        assert all(e.passed for e in new_check_evaluations(instance, validation.run_id))   # alerted with the load
        # a failure the load did not report (the warehouse changed since) is the validation run's own alert
        con = duckdb.connect(str(db))
        con.execute("UPDATE fact_figure SET kind = 'forecast' WHERE figure_id = (SELECT min(figure_id) FROM fact_figure)")
        con.close()
        again = _defs_run(instance, raw, db, validates=load.run_id)
        new_failures = {e.check_name for e in new_check_evaluations(instance, again.run_id) if not e.passed}
    assert new_failures == {"fact_figure_rows"}
