"""The whole graph, materialized in-process into a real DuckDB file."""
from __future__ import annotations

import pytest

from tests.conftest import reload_copy

pytestmark = pytest.mark.usefixtures("seed_load")


def test_every_raw_document_is_loaded(seed_load, read_db):
    _, db, raw = seed_load
    files = sorted(p.name for p in raw.iterdir() if p.suffix == ".txt")
    loaded = [r[0] for r in read_db(db, "SELECT file FROM dim_document WHERE retired_at IS NULL ORDER BY file")]
    assert loaded == files


def test_haimen_first_half_gdp(seed_load, read_db):
    _, db, _ = seed_load
    rows = read_db(db, "SELECT region_zh, period, value_canonical, quote FROM fact_gdp WHERE quote LIKE '%410亿元%'")
    assert ("海门市", "relative:this_year_H1", 41_000_000_000.0, "地区生产总值410亿元") in rows


def test_every_figure_quote_is_its_raw_text(seed_load, read_db):
    _, db, raw = seed_load
    rows = read_db(db, "SELECT f.file, f.char_start, f.char_end, f.quote FROM fact_figure f")
    assert rows
    texts = {}
    for file, start, end, quote in rows:
        text = texts.setdefault(file, (raw / file).read_text(encoding="utf-8"))
        assert text[start:end] == quote


@pytest.mark.parametrize("table, category", [
    ("fact_gdp", "gdp"), ("fact_revenue", "revenue"),
    ("fact_certification_count", "certification_count"), ("fact_standard_count", "standard_count"),
])
def test_subject_tables_hold_their_category(seed_load, read_db, table, category):
    _, db, _ = seed_load
    n_subject = read_db(db, f"SELECT count(*) FROM {table}")[0][0]
    n_figures = read_db(db, "SELECT count(*) FROM fact_figure WHERE retired_at IS NULL AND category = ?", [category])[0][0]
    assert n_subject > 0
    assert n_subject <= n_figures


def test_rate_check_ran_and_passed(seed_load):
    result, _, _ = seed_load
    evaluations = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert evaluations.get("figures_clean_row_rules") is True


def test_reload_of_unchanged_raw_changes_nothing(seed_load, tmp_path):
    _, db, raw = seed_load
    before, after, runs = reload_copy(db, raw, tmp_path / "copy.duckdb")
    assert before == after
    assert runs[-1] == (0, 0)


@pytest.mark.parametrize("asset", ["raw_documents", "figures", "figures_clean", "fact_figure", "fact_gdp", "metric_series"])
def test_each_asset_reports_its_row_count_and_column_schema(seed_load, read_db, asset):
    result, db, _ = seed_load
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key.to_user_string() == asset]
    metadata = event.materialization.metadata
    columns = {c.name: c for c in metadata["dagster/column_schema"].value.columns}
    table = {"raw_documents": "staging.stg_document", "figures": "staging.stg_figure",
             "figures_clean": "staging.stg_figure_clean"}.get(asset, asset)
    assert metadata["dagster/row_count"].value == read_db(db, f"SELECT count(*) FROM {table}")[0][0] > 0
    assert list(columns) == [row[0] for row in read_db(db, f"DESCRIBE {table}")]
    if asset in ("fact_figure", "fact_gdp"):
        assert columns["quote"].description == "the document's text at [char_start, char_end)"


def test_every_figure_keeps_the_sentence_its_quote_sits_in(seed_load, read_db):
    _, db, raw = seed_load
    rows = read_db(db, "SELECT f.file, f.quote, f.sentence FROM fact_figure f")
    for file, quote, sentence in rows:
        assert quote in sentence, (file, quote, sentence)
        assert sentence.strip("…") in (raw / file).read_text(encoding="utf-8") or "…" in sentence
    # and the series view carries it, so a series reaches its statements in one query
    assert read_db(db, "SELECT count(*) FROM series_figure WHERE sentence IS NULL") == [(0,)]


def test_a_load_whose_suites_cannot_run_still_records_its_check_counts(tmp_path, monkeypatch, read_db):
    """The load commits before the warehouse suites run; when they raise, load_runs still gets the run's
    counts: the batch checks that passed, and every warehouse suite as failed."""
    import assets.facts
    from expectations.warehouse_checks import WAREHOUSE_SUITES
    from tests.conftest import materialize_load, write_raw

    def broken(*args, **kwargs):
        raise RuntimeError("a suite that cannot run")

    monkeypatch.setattr(assets.facts, "validate_suites", broken)
    raw = write_raw(tmp_path / "raw", {"a.txt": "海门市2020年上半年完成地区生产总值410亿元,同比增长8.8%。\n"})
    db = tmp_path / "w.duckdb"
    result = materialize_load(raw, db)
    assert not result.success
    [(status, passed, failed)] = read_db(db, "SELECT status, checks_passed, checks_failed FROM load_runs")
    assert status == "loaded" and passed >= 1 and failed == len(WAREHOUSE_SUITES)
