"""`qcity export --format parquet DIR`: a real CLI subprocess over a real warehouse, read back with DuckDB
and Polars."""
from __future__ import annotations

import json
import subprocess

import duckdb
import polars as pl
import pytest

from tests.analyst_warehouse import analyst_warehouse  # noqa: F401  (the session fixture)
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
        f"""SELECT value_canonical FROM read_parquet('{out}/metric_series/**/*.parquet', hive_partitioning = true)
            WHERE region_zh = '长沙市' AND metric_id = 'gdp.total' AND year = 2018""").fetchall()
    assert value == [(1_100_341_000_000.0,)]


def test_export_of_a_missing_warehouse_is_a_clear_error(tmp_path):
    done = _export(tmp_path / "none.duckdb", tmp_path / "out")
    assert done.returncode == 1
    assert "no warehouse" in done.stderr


# ---- column types and order, as Polars reads the files ------------------------------------------------
POLARS_TYPE = {"INTEGER": "Int32", "BIGINT": "Int64", "VARCHAR": "String", "DOUBLE": "Float64", "BOOLEAN": "Boolean",
               "DATE": "Date", "JSON": "String"}


@pytest.fixture(scope="module")
def exported(analyst_warehouse, tmp_path_factory):
    out = tmp_path_factory.mktemp("export_types") / "export"
    done = _export(analyst_warehouse.db, out)
    assert done.returncode == 0, done.stderr
    con = duckdb.connect(str(analyst_warehouse.db), read_only=True)
    try:
        columns = {}
        for name, column, data_type in con.execute(
                """SELECT table_name, column_name, data_type FROM information_schema.columns
                   WHERE table_schema = 'main' AND table_name <> 'schema_migrations'
                   ORDER BY table_name, ordinal_position""").fetchall():
            columns.setdefault(name, []).append((column, data_type))
    finally:
        con.close()
    return out, columns


def _polars_frame(out, name):
    folder = out / name
    return pl.read_parquet(folder if folder.is_dir() else out / f"{name}.parquet")


def test_every_relation_keeps_its_columns_in_order_and_year_as_integer(exported):
    out, columns = exported
    with_year = [name for name, cols in columns.items() if "year" in dict(cols)]
    assert {"fact_figure", "metric_series", "series_figure", "fact_gdp"} <= set(with_year)
    for name, cols in columns.items():
        frame = _polars_frame(out, name)
        assert frame.columns == [c for c, _ in cols], name
        if name in with_year:
            assert (out / name).is_dir(), f"{name} is partitioned by year"
            assert str(frame.schema["year"]) == "Int32", name
        for column, data_type in cols:
            if data_type in POLARS_TYPE:
                assert str(frame.schema[column]) == POLARS_TYPE[data_type], (name, column, data_type)


def test_year_values_survive_the_partitioning(exported, analyst_warehouse):
    out, _ = exported
    con = duckdb.connect(str(analyst_warehouse.db), read_only=True)
    expected = con.execute("SELECT year, count(*) FROM fact_figure GROUP BY year ORDER BY year NULLS LAST").fetchall()
    con.close()
    frame = _polars_frame(out, "fact_figure")
    counts = frame.group_by("year").len().sort("year", nulls_last=True)
    assert list(counts.iter_rows()) == expected
    assert None in dict(expected), "some figures have no year: they must come back with year null"


def test_a_quarantined_figure_is_json_text(exported, analyst_warehouse):
    out, _ = exported
    frame = pl.read_parquet(out / "quarantined_figures.parquet")
    assert frame.schema["figure"] == pl.String
    assert frame.height >= 1, "the warehouse has the 120 % rate quarantined"
    figures = [json.loads(text) for text in frame["figure"]]
    assert any("合格率达120%" in f["quote"] for f in figures), figures
