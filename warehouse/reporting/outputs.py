"""Where a warehouse's report and Data Docs go: beside the warehouse they describe.

`qcity load --db other.duckdb` must not overwrite the default warehouse's report: the default warehouse
(warehouse/qcity.duckdb) keeps out/report and out/gx_docs; any other one writes <db dir>/<db stem>_report
and <db dir>/<db stem>_data_docs. An environment variable or a command's option still wins.
"""
from __future__ import annotations

import os
from pathlib import Path

from orchestration.settings import DEFAULT_DB, PROJECT_ROOT

DEFAULT_OUT = PROJECT_ROOT / "out"


def beside_warehouse(db_path: str | Path | None, suffix: str, default_dir: Path) -> Path:
    """default_dir for the default warehouse (or none given), else <db dir>/<db stem><suffix>."""
    if db_path is None or Path(db_path).resolve() == DEFAULT_DB.resolve():
        return default_dir
    db = Path(db_path).resolve()
    return db.with_name(f"{db.stem}{suffix}")


def output_dir(env_var: str, db_path: str | Path | None, suffix: str, default_dir: Path) -> Path:
    """$env_var when set, else beside the warehouse."""
    return Path(os.environ.get(env_var) or beside_warehouse(db_path, suffix, default_dir))
