"""The warehouse after real loads: seed rows, the series gold, targets, edits, removals and conflicts."""
from __future__ import annotations

import csv
import math
import shutil

import duckdb
import pytest

from tests.conftest import materialize_load, reload_copy

EDITED, REMOVED, ADDED = "s09.txt", "s01.txt", "zhuhai_2020_flash.txt"
# A second source for 珠海市's 2020 GDP that disagrees with s07 (3481.94亿元) by far more than rounding.
ADDED_TEXT = "珠海市统计局快报。2020年全市实现地区生产总值3600.00亿元，同比增长3.0%。\n"


def test_haimen_first_half_gdp_is_catalogued(seed_load, read_db):
    _, db, _ = seed_load
    rows = read_db(db, """SELECT value_canonical FROM fact_figure WHERE retired_at IS NULL AND region_zh = '海门市'
                          AND metric_id = 'gdp.total' AND period = 'relative:this_year_H1'""")
    assert rows == [(41_000_000_000.0,)]


def test_every_target_is_listed_once_dated_or_undated(seed_load, read_db):
    _, db, _ = seed_load
    targets = read_db(db, "SELECT count(*) FROM fact_figure WHERE retired_at IS NULL AND kind = 'target' AND region_zh = '南通市'")[0][0]
    dated = read_db(db, "SELECT target_year, attained FROM target_progress WHERE region_zh = '南通市'")
    undated = read_db(db, "SELECT metric_id, target_value_canonical, target_qualifier FROM undated_targets WHERE region_zh = '南通市'")
    assert targets > 0 and len(dated) + len(undated) == targets
    assert all(year is not None and attained in ("yes", "no", "pending") for year, attained in dated)
    assert ("brand.provincial", 240.0, "exact") in undated


def test_target_progress_judges_the_target_year(seed_load, read_db):
    _, db, _ = seed_load
    rows = read_db(db, "SELECT attained, actual_value_canonical IS NULL, target_year FROM target_progress")
    assert rows and {a for a, _, _ in rows} <= {"yes", "no", "pending"}
    assert all((a == "pending") == no_actual for a, no_actual, _ in rows)
    # a verdict for every dated target whose year has an actual of its series
    assert read_db(db, """SELECT count(*) FROM target_progress t WHERE attained = 'pending' AND EXISTS (
                              SELECT 1 FROM metric_series s WHERE s.region_zh = t.region_zh
                              AND s.series_key = t.series_key AND s.year = t.target_year)""") == [(0,)]


def test_metric_series_reproduces_the_series_gold(seed_load, read_db, shared):
    _, db, _ = seed_load
    series = {(r, m, y): (v, prev, yoy) for r, m, y, v, prev, yoy in read_db(
        db, "SELECT region_zh, metric_id, year, value_canonical, previous_value_canonical, yoy_change FROM metric_series")}
    with open(shared / "gold" / "series_gold.csv", encoding="utf-8", newline="") as f:
        gold = list(csv.DictReader(f))
    assert gold
    gold_values = {(g["region_zh"], g["metric_id"], int(g["year"])): float(g["value_canonical"]) for g in gold}
    missing = [(key, want, series.get(key)) for key, want in gold_values.items()
               if key not in series or not math.isclose(series[key][0], want, rel_tol=1e-9)]
    assert missing == []
    for (region, metric, year), want in gold_values.items():
        before = gold_values.get((region, metric, year - 1))
        if before is not None:
            assert math.isclose(series[(region, metric, year)][2], want - before, rel_tol=1e-9, abs_tol=1e-9)


def test_series_gold_sources_do_not_conflict(seed_load, read_db):
    _, db, _ = seed_load
    assert read_db(db, "SELECT region_zh, metric_id, year FROM metric_series WHERE conflict AND catalogued AND region_zh IN ('新化县', '珠海市', '长沙市')") == []


@pytest.fixture(scope="module")
def changed_load(seed_load, tmp_path_factory):
    """The seed warehouse after one load that edits s09, removes s01 and adds a disagreeing source."""
    _, db, raw = seed_load
    base = tmp_path_factory.mktemp("changed")
    raw2, db2 = base / "raw", base / "qcity.duckdb"
    shutil.copytree(raw, raw2)
    shutil.copy(db, db2)
    con = duckdb.connect(str(db2), read_only=True)
    before = con.execute("SELECT file, figure_id FROM fact_figure WHERE retired_at IS NULL").fetchall()
    con.close()
    edited = (raw2 / EDITED).read_text(encoding="utf-8")
    assert "800.35亿元" in edited
    (raw2 / EDITED).write_text(edited.replace("800.35亿元", "810.35亿元"), encoding="utf-8")
    (raw2 / REMOVED).unlink()
    (raw2 / ADDED).write_text(ADDED_TEXT, encoding="utf-8")
    assert materialize_load(raw2, db2).success
    return db2, before, raw2


def test_edit_changes_only_that_files_rows(changed_load, read_db):
    db, before, _ = changed_load
    after = read_db(db, "SELECT file, figure_id FROM fact_figure WHERE retired_at IS NULL")
    untouched = lambda rows: {r for r in rows if r[0] not in (EDITED, REMOVED, ADDED)}  # noqa: E731
    assert untouched(after) == untouched(before)
    old = {f for file, f in before if file == EDITED}
    new = {f for file, f in after if file == EDITED}
    assert old and new and old != new
    assert read_db(db, """SELECT value_canonical FROM metric_series WHERE region_zh = '长沙市'
                          AND metric_id = 'revenue.general_budget' AND year = 2017""") == [(81_035_000_000.0,)]


def test_removed_file_figures_are_retired_not_deleted(changed_load, read_db):
    db, before, _ = changed_load
    n_before = sum(1 for file, _ in before if file == REMOVED)
    rows = read_db(db, "SELECT count(*), count(retired_at) FROM fact_figure WHERE file = ?", [REMOVED])
    assert n_before > 0 and rows == [(n_before, n_before)]
    assert read_db(db, "SELECT count(*) FROM dim_document WHERE file = ? AND retired_at IS NULL", [REMOVED]) == [(0,)]
    assert read_db(db, "SELECT count(*) FROM metric_series WHERE region_zh = '新化县' AND year = 2020") == [(0,)]


def test_disagreeing_sources_set_conflict(changed_load, read_db):
    db, _, _ = changed_load
    rows = read_db(db, """SELECT source_count, min_value_canonical, max_value_canonical, conflict FROM metric_series
                          WHERE region_zh = '珠海市' AND metric_id = 'gdp.total' AND year = 2020""")
    assert rows == [(2, 348_194_000_000.0, 360_000_000_000.0, True)]
    agreeing = read_db(db, """SELECT source_count, conflict FROM metric_series
                              WHERE region_zh = '珠海市' AND metric_id = 'gdp.growth' AND year = 2020""")
    assert agreeing == [(2, False)]


def test_reload_after_change_is_idempotent(changed_load, tmp_path):
    db, _, raw = changed_load
    before, after, _ = reload_copy(db, raw, tmp_path / "again.duckdb")
    assert {"fact_figure", "dim_document", "fact_rate"} <= set(before)
    assert after == before


def test_migration_010_keeps_the_figures_and_their_comments_without_the_key_index(tmp_path):
    """A warehouse from before migration 010 keeps every figure row and column comment; fact_figure no longer
    carries a primary key (its ART index was rewritten at every checkpoint), and the views over it still read."""
    import duckdb

    from warehouse import io

    db = tmp_path / "before_010.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE schema_migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMP)")
    for path in io.migration_files():
        if path.name < "010":
            con.execute(path.read_text(encoding="utf-8"))
            con.execute("INSERT INTO schema_migrations VALUES (?, now())", [path.name])
    con.execute("""INSERT INTO fact_figure (figure_id, doc_id, file, region_zh, period, year, period_grain, kind,
                       metric_id, category, value, unit_zh, value_canonical, unit_canonical, qualifier, quote, char_start,
                       char_end, loaded_at, sentence)
                   VALUES ('f1', 'd1', 'a.txt', '泰州市', '2020', 2020, 'year', 'actual', 'gdp.total', 'gdp', 5000, '亿元',
                           5e11, 'yuan', 'exact', '5000亿元', 10, 16, now(), '全市生产总值5000亿元。'),
                          ('f2', 'd1', 'a.txt', '泰州市', '2021', 2021, 'year', 'actual', 'gdp.total', 'gdp', 5500, '亿元',
                           5.5e11, 'yuan', 'exact', '5500亿元', 30, 36, now(), NULL)""")
    before = con.execute("SELECT * FROM fact_figure ORDER BY figure_id").fetchall()
    comments = con.execute("SELECT column_name, comment FROM duckdb_columns() WHERE table_name = 'fact_figure'"
                           " AND comment IS NOT NULL ORDER BY column_name").fetchall()
    con.close()
    assert len(comments) == 6

    con = io.connect(db)  # applies 010
    try:
        assert con.execute("SELECT * FROM fact_figure ORDER BY figure_id").fetchall() == before
        assert con.execute("SELECT column_name, comment FROM duckdb_columns() WHERE table_name = 'fact_figure'"
                           " AND comment IS NOT NULL ORDER BY column_name").fetchall() == comments
        constraints = {r[0] for r in con.execute(
            "SELECT constraint_type FROM duckdb_constraints() WHERE table_name = 'fact_figure'").fetchall()}
        assert constraints == {"NOT NULL"}
        assert con.execute("SELECT count(*) FROM active_figure").fetchall()[0][0] == 2
        assert con.execute("SELECT count(*) FROM series_figure").fetchall()[0][0] == 2
    finally:
        con.close()
