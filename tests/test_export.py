"""`qcity export --format parquet DIR`: a real CLI subprocess over a real warehouse, read back with DuckDB."""
from __future__ import annotations

import subprocess

import duckdb

from tests.conftest import ROOT

QCITY = ROOT / ".venv" / "bin" / "qcity"


def _export(db, out, *extra):
    return subprocess.run([str(QCITY), "export", "--format", "parquet", str(out), "--db", str(db), *extra],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_export_writes_every_table_and_view_as_readable_parquet(seed_load, tmp_path):
    _, db, _ = seed_load
    out = tmp_path / "export"
    done = _export(db, out)
    assert done.returncode == 0, done.stderr
    con = duckdb.connect(str(db), read_only=True)
    names = [r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' AND table_name <> 'schema_migrations'"
    ).fetchall()]
    expected = {n: con.execute(f'SELECT count(*) FROM "{n}"').fetchall()[0][0] for n in names}
    con.close()
    assert {"metric_series", "target_progress", "fact_figure", "dim_metric"} <= set(expected)
    reader = duckdb.connect()
    for name, rows in expected.items():
        folder, single = out / name, out / f"{name}.parquet"
        if folder.is_dir():
            source = f"read_parquet('{folder}/**/*.parquet', hive_partitioning = true)"
        else:
            assert single.is_file(), f"{name} was not exported"
            source = f"read_parquet('{single}')"
        assert reader.execute(f"SELECT count(*) FROM {source}").fetchall()[0][0] == rows, name


def test_export_partitions_tables_with_a_year(seed_load, tmp_path):
    _, db, _ = seed_load
    out = tmp_path / "export"
    assert _export(db, out).returncode == 0
    assert (out / "metric_series" / "year=2020").is_dir()
    assert (out / "fact_figure").is_dir()
    assert (out / "dim_metric.parquet").is_file()
    value = duckdb.connect().execute(
        f"""SELECT value FROM read_parquet('{out}/metric_series/**/*.parquet', hive_partitioning = true)
            WHERE region_zh = '长沙市' AND metric_id = 'gdp.total' AND year = 2018""").fetchall()
    assert value == [(1_100_341_000_000.0,)]


def test_export_of_a_missing_warehouse_is_a_clear_error(tmp_path):
    done = _export(tmp_path / "none.duckdb", tmp_path / "out")
    assert done.returncode == 1
    assert "no warehouse" in done.stderr
