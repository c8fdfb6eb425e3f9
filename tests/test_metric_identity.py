"""Real loads of small raw folders: evidence columns, the one unit table, metric_key series and targets meeting
their actuals (issues 13 item 2 and 4, issue 14)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from extraction.models import BASES, BASIS_COLUMNS
from tests.conftest import ROOT, materialize_load, write_raw
from warehouse.reporting.quality import metric_coverage

DOCUMENTS = {
    "plan.txt": "珠海市质量强市规划\n到2020年，珠海市地区生产总值达到3000亿元，快递业务量达到5000万件，"
                "城镇登记失业率控制在3%以内。到2030年，珠海市地区生产总值达到6000亿元。\n",
    "bulletin.txt": "珠海市2020年国民经济和社会发展统计公报\n2020年珠海市实现地区生产总值3481.94亿元。"
                    "全年快递业务量4800万件。城镇登记失业率2.5%。年末户籍人口76.6万。\n",
    "bulletin_2019.txt": "珠海市2019年国民经济和社会发展统计公报\n2019年珠海市快递业务量4100万件。\n",
}


@pytest.fixture(scope="module")
def small_load(tmp_path_factory):
    base = tmp_path_factory.mktemp("identity")
    raw = write_raw(base / "raw", DOCUMENTS)
    db = base / "qcity.duckdb"
    assert materialize_load(raw, db).success
    return db


def test_fact_figure_carries_the_basis_columns(small_load, read_db):
    rows = read_db(small_load, f"SELECT {', '.join(BASIS_COLUMNS)} FROM fact_figure WHERE retired_at IS NULL")
    assert rows and all(value in BASES for row in rows for value in row)
    comments = dict(read_db(small_load, """SELECT column_name, comment FROM duckdb_columns()
                                           WHERE table_name = 'fact_figure' AND column_name LIKE '%_basis'"""))
    assert set(comments) == set(BASIS_COLUMNS) and all(comments.values())


def test_bare_wan_loads_with_the_extractors_canonical_value(small_load, read_db):
    rows = read_db(small_load, "SELECT value, unit_zh, value_canonical FROM fact_figure WHERE metric_zh LIKE '%户籍人口'")
    assert rows == [(76.6, "万", 766_000.0)]
    assert read_db(small_load, "SELECT count(*) FROM quarantined_figures") == [(0,)]


def test_every_active_figure_has_a_metric_key(small_load, read_db):
    assert read_db(small_load, """SELECT count(*) FROM fact_figure WHERE retired_at IS NULL
                                  AND coalesce(metric_key, '') = ''""") == [(0,)]


def test_uncatalogued_figures_form_a_series_by_metric_key(small_load, read_db):
    rows = read_db(small_load, """SELECT year, value_canonical, previous_value_canonical, catalogued, metric_id FROM metric_series
                                  WHERE region_zh = '珠海市' AND metric_key = '快递业务量' ORDER BY year""")
    assert rows == [(2019, 41_000_000.0, None, False, None), (2020, 48_000_000.0, 41_000_000.0, False, None)]


@pytest.mark.parametrize("metric, target_year, attained, actual", [
    ("gdp.total", 2020, "yes", 348_194_000_000.0),              # catalogued, at least
    ("rate.urban_unemployment", 2020, "yes", 2.5),               # 控制在3%以内: at most
    ("快递业务量", 2020, "no", 48_000_000.0),                    # matched by metric_key
    ("gdp.total", 2030, "pending", None),                        # the year has no actual yet
])
def test_target_meets_the_actual_of_its_year(small_load, read_db, metric, target_year, attained, actual):
    rows = read_db(small_load, """SELECT attained, actual_value_canonical FROM target_progress WHERE region_zh = '珠海市'
                                  AND coalesce(metric_id, metric_key) = ? AND target_year = ?""", [metric, target_year])
    assert rows == [(attained, actual)]


def _qcity(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(Path(sys.executable).with_name("qcity")), *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)


def test_coverage_per_category_matches_the_figures(small_load, read_db):
    rows = {r.category: r for r in metric_coverage(small_load)}
    expected = read_db(small_load, """SELECT category, count(*), count(metric_id) FROM fact_figure
                                      WHERE retired_at IS NULL GROUP BY category""")
    assert {(c, r.figures, r.with_metric_id) for c, r in rows.items()} == set(expected)
    assert rows["gdp"].share == 1.0 and 0 < rows["count_other"].share < 1   # 户籍人口 catalogued, 快递业务量 not


def test_qcity_check_prints_the_coverage(small_load, tmp_path):
    raw = small_load.parent / "raw"
    done = _qcity("check", "--db", str(small_load), "--docs", str(tmp_path / "docs"))
    assert done.returncode == 0, done.stderr
    assert "metric_id coverage  gdp: 3 of 3 (100.0%)" in done.stdout.splitlines()


def test_report_shows_the_coverage(small_load, tmp_path):
    done = _qcity("report", "--db", str(small_load), "--no-checks", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    html = (tmp_path / "index.html").read_text(encoding="utf-8")
    coverage = html.split('class="coverage"')[1].split("</table>")[0]
    assert "<td>gdp</td>" in coverage and "100.0%" in coverage
