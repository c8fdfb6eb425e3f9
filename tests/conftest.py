"""Shared fixtures: the repository, ../shared, and a real seed load into a temporary DuckDB file."""
from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
RAW = ROOT / "raw"

# Every load in the tests (in-process and CLI subprocesses) writes the analyst report (assets/report.py) here,
# not into the repository's out/report, which concurrent test runs would overwrite under each other.
os.environ["QCITY_REPORT_DIR"] = tempfile.mkdtemp(prefix="qcity-test-report-")
atexit.register(shutil.rmtree, os.environ["QCITY_REPORT_DIR"], ignore_errors=True)  # one per test process


@pytest.fixture(scope="session")
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"../shared is missing beside the repository ({SHARED})")
    return SHARED


def copy_raw(dest: Path) -> Path:
    shutil.copytree(RAW, dest)
    return dest


def write_raw(raw: Path, docs: dict[str, str | bytes]) -> Path:
    """A raw/ folder of these files (text as UTF-8, bytes as they are)."""
    raw.mkdir(parents=True, exist_ok=True)
    for name, content in docs.items():
        path = raw / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return raw


def materialize_load(raw_dir: Path, db_path: Path):
    """One real in-process materialization of the whole graph (assets + checks)."""
    from dagster import DagsterInstance, materialize

    from orchestration.definitions import ASSETS
    from orchestration.resources import resources_from_env

    return materialize(
        ASSETS,
        resources=resources_from_env(str(db_path), str(raw_dir)),
        instance=DagsterInstance.ephemeral(),
        raise_on_error=False,
    )


def reload_copy(db_path: Path, raw_dir: Path, copy_path: Path) -> tuple[dict, dict, list[tuple]]:
    """Load raw_dir again into a copy of db_path: (checksums before, checksums after, load_runs rows)."""
    import duckdb

    from warehouse.io import table_checksums

    shutil.copy(db_path, copy_path)
    con = duckdb.connect(str(copy_path), read_only=True)
    before = table_checksums(con)
    con.close()
    assert materialize_load(raw_dir, copy_path).success
    con = duckdb.connect(str(copy_path), read_only=True)
    try:
        after = table_checksums(con)
        runs = con.execute("SELECT documents_new, figures_inserted FROM load_runs ORDER BY started_at").fetchall()
    finally:
        con.close()
    return before, after, runs


@pytest.fixture(scope="session")
def seed_load(tmp_path_factory):
    """The embedded raw/ loaded once into a temporary warehouse: (result, db_path, raw_dir)."""
    base = tmp_path_factory.mktemp("seed_load")
    raw_dir = copy_raw(base / "raw")
    db_path = base / "qcity.duckdb"
    result = materialize_load(raw_dir, db_path)
    assert result.success, "the seed load failed"
    return result, db_path, raw_dir


@pytest.fixture
def read_db():
    import duckdb

    def _read(db_path: Path, sql: str, params=None):
        con = duckdb.connect(str(db_path), read_only=True)
        try:
            return con.execute(sql, params or []).fetchall()
        finally:
            con.close()

    return _read
