"""The code location loads: `dagster definitions validate` and the objects the UI shows."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def test_dagster_definitions_validate():
    dagster = str(Path(sys.executable).with_name("dagster"))
    run = subprocess.run([dagster, "definitions", "validate", "-w", "workspace.yaml"], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr


def test_graph_schedule_and_sensor():
    from orchestration.definitions import defs

    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {"raw_documents", "figures", "figures_clean", "fact_figure", "fact_gdp", "fact_revenue",
            "fact_certification_count", "fact_standard_count"} <= keys
    schedule = defs.resolve_schedule_def("nightly_load_schedule")
    assert schedule.cron_schedule == "0 2 * * *" and schedule.execution_timezone == "Asia/Shanghai"
    assert defs.resolve_sensor_def("raw_documents_sensor") is not None
    for name in ("check_alerts_sensor", "run_failure_alert_sensor"):   # issue 18: alerts
        assert defs.resolve_sensor_def(name).required_resource_keys == {"warehouse"}
    checks = defs.resolve_asset_graph().asset_check_keys
    assert any(c.name == "figures_clean_row_rules" for c in checks)
    # the validation job: the warehouse checks alone (GX, Data Docs), launched after each load by its sensor
    from expectations.warehouse_checks import WAREHOUSE_SUITES

    validation = defs.resolve_job_def("warehouse_validation_job")
    assert {k.name for k in validation.asset_layer.asset_graph.asset_check_keys} == {s.name for s in WAREHOUSE_SUITES}
    assert defs.resolve_sensor_def("validation_after_load_sensor").job_name == "warehouse_validation_job"


def test_no_check_blocks_and_each_sits_on_the_asset_it_guards():
    """The quarantine keeps failing rows out and the rest loads; the warehouse checks run after the commit:
    none blocks. Each check hangs on the asset it validates."""
    from expectations.warehouse_checks import WAREHOUSE_SUITES
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    specs = {k.name: (k.asset_key.to_user_string(), graph.get_check_spec(k).blocking) for k in graph.asset_check_keys}
    assert specs["figures_clean_row_rules"] == ("figures_clean", False)
    assert specs["figures_clean_subject_facts"] == ("figures_clean", False)
    assert specs["metric_series_conflicts"] == ("metric_series", False)
    for suite in WAREHOUSE_SUITES:
        assert specs[suite.name] == (suite.asset, False)


def test_every_asset_has_its_own_description():
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    descriptions = {k.to_user_string(): graph.get(k).description for k in graph.get_all_asset_keys()}
    assert all(descriptions.values()), [k for k, d in descriptions.items() if not d]
    assert len(set(descriptions.values())) == len(descriptions), "two assets share a description"


def test_the_dagster_code_has_no_import_cycle():
    """orchestration.resources is the leaf: importing it loads no asset, check, job or definitions module."""
    code = ("import sys, orchestration.resources; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('assets', 'expectations') "
            "or m in ('orchestration.definitions', 'orchestration.jobs', 'orchestration.sensors')))")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"


def test_every_run_that_writes_the_warehouse_goes_through_one_limit(tmp_path, monkeypatch):
    """Every stage that writes the DuckDB file is in the duckdb_write pool, and the instance settings that
    `make setup` installs cap the runs holding such a step to one at a time."""
    import shutil

    from dagster import DagsterInstance

    from orchestration.definitions import defs
    from orchestration.resources import WRITE_POOL

    graph = defs.resolve_asset_graph()
    pools = {k.to_user_string(): graph.get(k).pools for k in graph.get_all_asset_keys()}
    writers = {"raw_documents", "figures", "figures_clean", "fact_figure", "dim_document", "load_runs"}
    assert all(pools[a] == {WRITE_POOL} for a in writers), {a: pools[a] for a in writers}
    shutil.copy(ROOT / "orchestration" / "dagster.yaml", tmp_path / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))  # the settings' event log lives under it
    with DagsterInstance.get() as instance:
        pool = instance.get_concurrency_config().pool_config
    assert (pool.pool_granularity.value, pool.default_pool_limit) == ("run", 1)
