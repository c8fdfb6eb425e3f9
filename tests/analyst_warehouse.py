"""The warehouse the analyst-facing tests (CLI, sql formats, export, the DuckDB command-line client) read:
built once per session by the real `qcity load` subprocess, into a new DuckDB file.

raw/ is the repository's, plus one document whose pass rate of 120 % the checks quarantine, so that
`quarantined_figures` has a row (its `figure` column is JSON).
"""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT, copy_raw

QCITY = str(Path(sys.executable).with_name("qcity"))
QUARANTINED_RATE = "2020年，长沙市产品质量监督抽查合格率达120%。\n"


def qcity(*args: str, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([QCITY, *args], capture_output=True, text=True, cwd=ROOT, timeout=timeout,
                          env={**os.environ, **(env or {})})


@dataclass(frozen=True)
class Warehouse:
    db: Path
    raw: Path
    load: subprocess.CompletedProcess


@pytest.fixture(scope="session")
def analyst_warehouse(tmp_path_factory) -> Warehouse:
    base = tmp_path_factory.mktemp("analyst_warehouse")
    raw = copy_raw(base / "raw")
    (raw / "zz_rate_120.txt").write_text(QUARANTINED_RATE, encoding="utf-8")
    db = base / "q.duckdb"
    run = qcity("load", "--raw", str(raw), "--db", str(db))
    # 3: loaded, with the 120 % figure set aside
    assert run.returncode == 3 and ": succeeded" in run.stdout, run.stdout + run.stderr
    return Warehouse(db, raw, run)
