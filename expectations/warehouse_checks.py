"""Run the suites against the warehouse tables (what `qcity check` prints)."""
from __future__ import annotations

from pathlib import Path

from expectations.runner import RuleResult, validate_frame
from expectations.suites import FIGURE_ROW_RULES
from warehouse.io import connect
from warehouse.locking import db_lock_path, hold


def run_warehouse_suites(db_path: str | Path, lock_timeout: float = 30.0) -> dict[str, list[RuleResult]]:
    with hold(db_lock_path(db_path), lock_timeout, "check the warehouse"):
        con = connect(db_path, read_only=True)
        try:
            figures = con.sql("SELECT * FROM fact_figure WHERE retired_at IS NULL").pl()
        finally:
            con.close()
    return {"figures": validate_frame(figures, FIGURE_ROW_RULES, "fact_figure")}
