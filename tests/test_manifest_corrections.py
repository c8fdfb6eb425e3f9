"""Manifest corrections (`region_zh`, `year`) through real loads: an analyst fixes a document once, every row follows."""
from __future__ import annotations

from expectations import suites
from tests.test_reliability import qcity, rows, write_raw

# A county article that names no division: the extractor can only guess its region and year.
UNNAMED = "全县新增注册商标300件,省名牌产品12个,产品质量监督抽查合格率为96.5%。"


def test_a_manifest_correction_sets_region_and_year_of_every_row_with_basis_manifest(tmp_path):
    raw = write_raw(tmp_path / "raw", {"county.txt": UNNAMED})
    db = tmp_path / "w.duckdb"
    first = qcity("load", "--raw", str(raw), "--db", str(db))
    # without a region the figures cannot load: they wait in quarantine, with their reason
    assert first.returncode == 3, first.stdout + first.stderr
    assert rows(db, "SELECT count(*) FROM fact_figure WHERE retired_at IS NULL") == [(0,)]
    assert rows(db, "SELECT expectation, count(*) FROM quarantined_figures WHERE resolved_at IS NULL GROUP BY ALL") \
        == [(suites.REGION_IN_DIM_REGION, 3)]

    (raw / "manifest.csv").write_text("file,url,title,published,region_zh,year\ncounty.txt,,,,平江县,2019\n",
                                      encoding="utf-8")
    second = qcity("load", "--raw", str(raw), "--db", str(db))
    assert second.returncode == 0, second.stdout + second.stderr
    assert "1 changed" in second.stdout  # the manifest row alone re-extracts the document
    after = rows(db, "SELECT region_zh, period, year, region_basis, period_basis FROM fact_figure "
                     "WHERE retired_at IS NULL ORDER BY char_start")
    assert after == [("平江县", "2019", 2019, "manifest", "manifest")] * 3
    assert rows(db, "SELECT count(*) FROM quarantined_figures WHERE resolved_at IS NULL") == [(0,)]
    # the figures now join a series of the corrected region and year
    assert rows(db, "SELECT count(*) FROM metric_series WHERE region_zh = '平江县' AND year = 2019")[0][0] >= 1
