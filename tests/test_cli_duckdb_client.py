"""Other DuckDB clients read the warehouse: the DuckDB 1.5 command-line client (PyPI `duckdb-cli`, the
`duckdb` binary) opens a warehouse that `qcity load` created and answers queries over its tables and views;
a file written in DuckDB 2.0's own format is refused by it, and the README's conversion makes it readable."""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.analyst_warehouse import analyst_warehouse  # noqa: F401  (the session fixture)
from tests.conftest import ROOT
from warehouse.io import STORAGE_COMPATIBILITY_VERSION, connect

DUCKDB_CLI = Path(sys.executable).with_name("duckdb")


def duckdb_cli(db: Path, sql: str, *mode: str) -> subprocess.CompletedProcess:
    if not DUCKDB_CLI.exists():
        pytest.fail(f"{DUCKDB_CLI} is missing: `make setup` installs duckdb-cli (the test extra)")
    return subprocess.run([str(DUCKDB_CLI), "-readonly", *mode, str(db), "-c", sql],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)


def python_rows(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_the_client_is_the_1_5_line_that_cannot_read_duckdb_2_files():
    """What the other tests mean: the binary is DuckDB 1.5, not the Python package's 2.0."""
    run = subprocess.run([str(DUCKDB_CLI), "--version"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0 and run.stdout.startswith("v1.5."), run.stdout + run.stderr
    assert duckdb.__version__.startswith("2."), duckdb.__version__


@pytest.mark.parametrize("sql", [
    "SELECT count(*) AS n FROM dim_document",
    "SELECT count(*) AS n FROM fact_figure WHERE retired_at IS NULL",
    "SELECT count(*) AS n FROM metric_series",                  # views, JSON and list columns too
    "SELECT count(*) AS n FROM quarantined_figures WHERE json_extract_string(figure, '$.quote') IS NOT NULL",
    "SELECT region_zh, year, value_canonical FROM metric_series WHERE metric_id = 'gdp.total' ORDER BY region_zh, year",
])
def test_the_duckdb_1_5_client_opens_a_warehouse_qcity_load_created(analyst_warehouse, sql):
    run = duckdb_cli(analyst_warehouse.db, sql, "-json")
    assert run.returncode == 0, run.stderr
    rows = json.loads(run.stdout or "[]")
    expected = python_rows(analyst_warehouse.db, sql)
    assert [tuple(r.values()) for r in rows] == expected
    assert expected and expected != [(0,)], "the query must have something to compare"


def test_a_new_warehouse_is_written_in_the_compatible_storage_version(analyst_warehouse):
    run = duckdb_cli(analyst_warehouse.db, "SELECT tags['storage_version'] AS v FROM duckdb_databases() "
                                           "WHERE NOT internal", "-csv")
    assert run.returncode == 0, run.stderr
    assert list(csv.reader(io.StringIO(run.stdout))) == [["v"], [f"{STORAGE_COMPATIBILITY_VERSION}+"]]


def test_an_existing_file_keeps_its_format_and_the_readme_conversion_makes_it_readable(tmp_path):
    old = tmp_path / "old.duckdb"
    con = duckdb.connect(str(old))                     # DuckDB 2.0's default format, as before this change
    con.execute("CREATE TABLE t AS SELECT 1 AS x")
    con.close()
    con = connect(old)                                 # a load reopens it: the format does not change
    storage = con.execute("SELECT tags['storage_version'] FROM duckdb_databases() WHERE NOT internal").fetchall()
    con.close()
    assert storage == [("v2.0.0+",)]
    refused = duckdb_cli(old, "SELECT x FROM t")
    assert refused.returncode != 0 and "version number 69" in refused.stdout + refused.stderr

    # The conversion the README gives (section "Other DuckDB clients"), with the Python package's DuckDB.
    new = tmp_path / "new.duckdb"
    subprocess.run([sys.executable, "-"], input=README_CONVERSION.format(old=old, new=new), text=True, check=True,
                   timeout=120)
    run = duckdb_cli(new, "SELECT x FROM t", "-csv")
    assert run.returncode == 0 and run.stdout.split() == ["x", "1"], run.stdout + run.stderr


# Must stay the README's recipe, line for line (test below).
README_CONVERSION = """import duckdb
con = duckdb.connect()
con.execute("ATTACH '{old}' AS old (READ_ONLY)")
con.execute("ATTACH '{new}' AS new (STORAGE_VERSION 'v1.0.0')")
con.execute("COPY FROM DATABASE old TO new")
"""


def test_the_readme_gives_the_tested_conversion():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    recipe = README_CONVERSION.format(old="warehouse/qcity.duckdb", new="warehouse/qcity-v1.duckdb")
    assert f"<<'EOF'\n{recipe}EOF\n" in readme
