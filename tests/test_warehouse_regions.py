"""Regions by division code, through the real `qcity load` on a real DuckDB file: a name several divisions
share keeps one row per division in dim_region, each document's figures carry the code its context decides,
an undecidable name is listed in ambiguous_region instead of guessed, and series of two divisions of one
name stay apart."""
from __future__ import annotations

import pytest

from tests.analyst_warehouse import qcity
from tests.conftest import write_raw

DOCUMENTS = {
    "fuzhou.txt": "福州市鼓楼区2020年地区生产总值1300亿元。\n2021年鼓楼区地区生产总值1400亿元。\n",
    "nanjing.txt": "南京市鼓楼区2020年地区生产总值1500亿元。\n",
    "alone.txt": "鼓楼区2020年地区生产总值900亿元。\n",
    "haimen.txt": "海门市2013年实现地区生产总值700亿元。\n",
}


@pytest.fixture(scope="module")
def region_load(tmp_path_factory):
    base = tmp_path_factory.mktemp("region_codes")
    raw = write_raw(base / "raw", DOCUMENTS)
    db = base / "w.duckdb"
    run = qcity("load", "--raw", str(raw), "--db", str(db))
    assert run.returncode == 0, run.stdout + run.stderr
    return db


def test_dim_region_is_keyed_by_code_with_every_division_of_a_shared_name(region_load, read_db):
    rows = read_db(region_load, "SELECT region_code, parent_zh, province_zh FROM dim_region WHERE region_zh = '鼓楼区' "
                                "ORDER BY region_code")
    assert rows == [("320106", "南京市", "江苏省"), ("320302", "徐州市", "江苏省"), ("350102", "福州市", "福建省"),
                    ("410204", "开封市", "河南省")]
    assert read_db(region_load, "SELECT count(*) = count(DISTINCT region_code) FROM dim_region") == [(True,)]
    assert read_db(region_load, "SELECT region_code, status FROM dim_region_name WHERE region_zh = '海门市'") == \
        [("320684", "former")]


def test_each_document_and_figure_carries_the_code_its_context_decides(region_load, read_db):
    docs = dict(read_db(region_load, "SELECT file, region_code FROM dim_document"))
    assert docs == {"fuzhou.txt": "350102", "nanjing.txt": "320106", "alone.txt": None, "haimen.txt": "320684"}
    figures = read_db(region_load, "SELECT file, region_zh, region_code FROM fact_figure GROUP BY ALL ORDER BY file")
    assert figures == [("alone.txt", "鼓楼区", None), ("fuzhou.txt", "鼓楼区", "350102"),
                       ("haimen.txt", "海门市", "320684"), ("nanjing.txt", "鼓楼区", "320106")]


def test_an_undecidable_name_is_recorded_as_ambiguous_with_its_candidates(region_load, read_db):
    [(file, region, candidates)] = read_db(region_load, "SELECT file, region_zh, candidates FROM ambiguous_region")
    assert (file, region) == ("alone.txt", "鼓楼区")
    assert candidates == ["320106 鼓楼区 (南京市)", "320302 鼓楼区 (徐州市)", "350102 鼓楼区 (福州市)",
                          "410204 鼓楼区 (开封市)"]


def test_two_divisions_of_one_name_keep_their_own_series(region_load, read_db):
    rows = read_db(region_load, """SELECT region_code, year, value_canonical, source_count FROM metric_series
                                   WHERE region_zh = '鼓楼区' AND metric_id = 'gdp.total' ORDER BY region_code NULLS LAST, year""")
    assert rows == [("320106", 2020, 1.5e11, 1), ("350102", 2020, 1.3e11, 1), ("350102", 2021, 1.4e11, 1),
                    (None, 2020, 9e10, 1)]
    # each row names its files beside the doc_ids, so a query reaches the documents without unnesting hashes
    assert read_db(region_load, "SELECT DISTINCT files FROM metric_series WHERE region_code = '350102'") == \
        [(["fuzhou.txt"],)]


def test_a_roll_up_by_province_is_one_join(region_load, read_db):
    rows = read_db(region_load, """SELECT r.province_zh, count(DISTINCT f.region_code) FROM fact_figure f
                                   JOIN dim_region r USING (region_code) GROUP BY ALL ORDER BY 1""")
    assert rows == [("江苏省", 2), ("福建省", 1)]


def test_an_undecided_region_is_a_warning_of_qcity_check(region_load):
    run = qcity("check", "--db", str(region_load))
    assert run.returncode == 0, run.stdout + run.stderr   # a WARN rule: reported, not an error
    assert "FAIL  [WARN] fact_figure_integrity.fact_figure_region_code_decided: 1 failing of 5" in run.stdout
