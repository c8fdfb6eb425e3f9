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
    assert any(c.name == "figures_clean_expectations" for c in checks)


def test_only_the_subject_fact_check_of_the_batch_blocks():
    """The row rules' failures are quarantined and the rest loads; the subject facts stop the load."""
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    blocking = {k.name: graph.get_check_spec(k).blocking for k in graph.asset_check_keys
                if k.asset_key.to_user_string() == "figures_clean"}
    assert blocking == {"figures_clean_expectations": False, "figures_clean_subject_facts": True}
