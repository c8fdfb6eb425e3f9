"""The expectation suites: every rule fails on data that violates it (and names itself), good data passes,
the seed load passes every ERROR rule, a blocking failure stops the load, failing rows are quarantined,
and `qcity check` reports and exits accordingly."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest

from expectations import frames, suites
from expectations.runner import ERROR, validate_chunks, validate_frame
from expectations.warehouse_checks import WAREHOUSE_SUITES, failed_errors, read_frames, validate_suites
from extraction.models import BASIS_COLUMNS
from tests.conftest import ROOT, materialize_load
from warehouse.transforms import CLEAN_COLUMNS

DOC_ID = "d" * 64
TEXT = "2020年长沙市实现地区生产总值5000亿元，合格率98.5%，增长7.5%。"


def figure_row(**changes) -> dict:
    """A clean figure row that passes every row rule; `changes` override fields."""
    quote = "实现地区生产总值5000亿元"
    start = TEXT.index(quote)
    row = {c: None for c in CLEAN_COLUMNS}
    row.update(
        figure_id="f1", doc_id=DOC_ID, file="a.txt", region_zh="长沙市", period="2020", year=2020,
        period_grain="year", kind="actual", metric_zh="地区生产总值", metric_id="gdp.total", category="gdp",
        value=5000.0, value_max=None, unit_zh="亿元", value_canonical=5000e8, value_max_canonical=None,
        unit_canonical="yuan", qualifier="exact", quote=quote, char_start=start, char_end=start + len(quote),
    )
    row.update(changes)
    return row


def figures_of(rows: list[dict]) -> pl.DataFrame:
    schema = {"year": pl.Int32, "value": pl.Float64, "value_max": pl.Float64, "value_canonical": pl.Float64,
              "value_max_canonical": pl.Float64, "char_start": pl.Int64, "char_end": pl.Int64}
    return pl.DataFrame(rows, schema_overrides=schema, infer_schema_length=None).select(CLEAN_COLUMNS)


def failed_names(results) -> set[str]:
    return {r.name for r in results if not r.success}


# ---- figures: one case per row rule -----------------------------------------------------------------------
RATE = dict(category="rate", metric_id=None, unit_zh="%", unit_canonical="percent", value=98.5, value_canonical=98.5,
            quote="合格率98.5%")
GROWTH = dict(category="growth_rate", metric_id=None, unit_zh="%", unit_canonical="percent", value=7.5,
              value_canonical=7.5, quote="增长7.5%")

FIGURE_CASES = [
    (suites.RATE_PERCENT_WITHIN_0_100, {**RATE, "value": 120.0, "value_canonical": 120.0}),
    (suites.GROWTH_RATE_WITHIN_BOUNDS, {**GROWTH, "value": 1500.0, "value_canonical": 1500.0}),
    (suites.VALUE_CANONICAL_NON_NEGATIVE, {"value": -5000.0, "value_canonical": -5000e8}),
    (suites.VALUE_MAX_NOT_BELOW_VALUE, {"value_max": 4000.0, "value_max_canonical": 4000e8, "qualifier": "range"}),
    (suites.CATEGORY_IN_VOCABULARY, {"category": "weather"}),
    (suites.QUALIFIER_IN_VOCABULARY, {"qualifier": "roughly"}),
    (suites.KIND_IN_VOCABULARY, {"kind": "forecast"}),
    (suites.PERIOD_IN_VOCABULARY, {"period": "FY2020"}),
    (suites.REGION_NOT_NULL, {"region_zh": None}),
    (suites.REGION_IN_DIM_REGION, {"region_zh": "乌有市"}),
    (suites.QUOTE_NOT_EMPTY, {"quote": ""}),
    (suites.QUOTE_EQUALS_RAW_TEXT, {"quote": "实现地区生产总值6000亿元"}),
    (suites.VALUE_CANONICAL_EQUALS_VALUE_TIMES_MULTIPLIER, {"value_canonical": 5000e4}),
    *[(f"{basis}_in_vocabulary", {basis: "guess"}) for basis in BASIS_COLUMNS],
    (suites.VALUE_CANONICAL_FINITE, {"value": float("inf"), "value_canonical": float("inf")}),
    (suites.VALUE_MAX_CANONICAL_FINITE, {"value_max": float("inf"), "value_max_canonical": float("inf"),
                                         "qualifier": "range"}),
    (suites.VALUE_CANONICAL_NOT_NAN, {"value_canonical": float("nan")}),
]


def _with_offsets(row: dict) -> dict:
    if row["quote"] and row["quote"] in TEXT:
        row["char_start"] = TEXT.index(row["quote"])
        row["char_end"] = row["char_start"] + len(row["quote"])
    return row


def validate_figures(rows: list[dict]):
    frame = frames.figure_rule_frame(figures_of(rows), {DOC_ID: TEXT}, {"长沙市"})
    return validate_frame(frame, suites.FIGURE_ROW_RULES, "test_figures")


def test_every_figure_rule_has_a_case():
    assert {name for name, _ in FIGURE_CASES} == {r.name for r in suites.FIGURE_ROW_RULES}


def test_good_figures_pass_every_rule():
    rows = [figure_row(), _with_offsets(figure_row(figure_id="f2", **RATE)),
            _with_offsets(figure_row(figure_id="f3", **GROWTH))]
    assert failed_names(validate_figures(rows)) == set()


@pytest.mark.parametrize("rule, changes", FIGURE_CASES, ids=[c[0] for c in FIGURE_CASES])
def test_figure_rule_fails_on_a_violating_row(rule, changes):
    bad = _with_offsets(figure_row(figure_id="bad", **changes))
    results = validate_figures([figure_row(), bad])
    failed = {r.name: r for r in results if not r.success}
    assert rule in failed
    assert failed[rule].unexpected_count == 1
    assert failed[rule].unexpected_rows[0]["figure_id"] == "bad"


def test_quarantine_files_each_row_under_the_first_rule_it_failed():
    from expectations.quarantine import split_quarantine

    bad_rate = _with_offsets(figure_row(figure_id="bad_rate", **{**RATE, "value": 120.0, "value_canonical": 120.0}))
    bad_kind = figure_row(figure_id="bad_kind", kind="forecast")
    kept, quarantined = split_quarantine(figures_of([figure_row(), bad_rate, bad_kind]), {DOC_ID: TEXT}, {"长沙市"})
    assert kept["figure_id"].to_list() == ["f1"]
    assert [(row["figure_id"], rule) for row, rule in quarantined] == [
        ("bad_rate", suites.RATE_PERCENT_WITHIN_0_100), ("bad_kind", suites.KIND_IN_VOCABULARY)]


# ---- subject facts: the batch goes through the real subject_facts.sql in an in-memory DuckDB --------------
def gdp(figure_id, value_yi, metric_id="gdp.total", **kw):
    return figure_row(figure_id=figure_id, metric_id=metric_id, value=value_yi, value_canonical=value_yi * 1e8, **kw)


def revenue(figure_id, value_yi):
    return gdp(figure_id, value_yi, metric_id="revenue.general_budget", category="revenue", metric_zh="一般公共预算收入")


def standards(figure_id, value, unit_zh="个"):
    return figure_row(figure_id=figure_id, category="standard_count", metric_id="standard.national", metric_zh="国家标准",
                      value=value, value_canonical=value, unit_zh=unit_zh, unit_canonical="count")


GOOD_SUBJECT = [gdp("total", 5000), gdp("part", 2000, metric_id="gdp.secondary_industry", metric_zh="第二产业增加值"),
                revenue("revenue", 300), standards("standards", 12),
                standards("per_10k", 1.42, unit_zh="件/万人") | {"unit_canonical": "per_10k_people"}]

SUBJECT_CASES = [
    ("fact_gdp", suites.GDP_RULES, suites.GDP_TOTAL_YEARLY_MAGNITUDE, [gdp("total", 0.05)]),
    ("fact_gdp", suites.GDP_RULES, suites.GDP_TOTAL_YEARLY_MAGNITUDE, [gdp("total", 5e6)]),
    ("fact_gdp", suites.GDP_RULES, suites.GDP_PART_NOT_ABOVE_TOTAL,
     [gdp("total", 5000), gdp("part", 6000, metric_id="gdp.secondary_industry", metric_zh="第二产业增加值")]),
    ("fact_revenue", suites.REVENUE_RULES, suites.REVENUE_NOT_ABOVE_GDP, [gdp("total", 5000), revenue("revenue", 6000)]),
    ("fact_standard_count", suites.COUNT_RULES, suites.COUNT_NON_NEGATIVE, [standards("standards", -3)]),
    ("fact_standard_count", suites.COUNT_RULES, suites.COUNT_IS_INTEGER, [standards("standards", 2.5)]),
]


def test_every_subject_rule_has_a_case():
    rules = {r.name for r in suites.GDP_RULES + suites.REVENUE_RULES + suites.COUNT_RULES}
    assert {c[2] for c in SUBJECT_CASES} == rules


def test_good_subject_facts_pass():
    subject = frames.batch_subject_frames(figures_of(GOOD_SUBJECT))
    for table, rules in (("fact_gdp", suites.GDP_RULES), ("fact_revenue", suites.REVENUE_RULES),
                         ("fact_standard_count", suites.COUNT_RULES)):
        assert subject[table].height > 0
        assert failed_names(validate_frame(subject[table], rules, table)) == set(), table


@pytest.mark.parametrize("table, rules, rule, rows", SUBJECT_CASES, ids=[f"{c[2]}-{i}" for i, c in enumerate(SUBJECT_CASES)])
def test_subject_rule_fails_on_violating_facts(table, rules, rule, rows):
    subject = frames.batch_subject_frames(figures_of(rows))
    assert rule in failed_names(validate_frame(subject[table], rules, table))


# ---- integrity: mutations of a copy of the seed warehouse, rolled back after reading the frames ------------
def _suite(name):
    return next(s for s in WAREHOUSE_SUITES if s.name == name)


INTEGRITY_CASES = [
    (suites.FIGURE_DOCUMENT_RESOLVES, "DELETE FROM dim_document WHERE doc_id = (SELECT min(doc_id) FROM fact_figure)"),
    (suites.FIGURE_REGION_RESOLVES, "DELETE FROM dim_region WHERE region_code = (SELECT min(region_code) FROM fact_figure)"),
    (suites.FIGURE_REGION_DECIDED, "UPDATE fact_figure SET region_code = NULL WHERE figure_id = (SELECT min(figure_id) FROM fact_figure)"),
    (suites.FIGURE_METRIC_RESOLVES, "DELETE FROM dim_metric WHERE metric_id = (SELECT min(metric_id) FROM fact_figure)"),
    (suites.NO_ORPHAN_FIGURES, "UPDATE dim_document SET retired_at = now() WHERE doc_id = (SELECT min(doc_id) FROM fact_figure)"),
]
# Keys are primary keys in DuckDB, so duplicates can only reach the rules through a frame.
UNIQUE_CASES = [
    (suites.FIGURE_ID_UNIQUE, "fact_figure_integrity"),
    (suites.DOCUMENT_ID_UNIQUE, "dim_document_keys"),
    (suites.REGION_KEY_UNIQUE, "dim_region_keys"),
    (suites.METRIC_KEY_UNIQUE, "dim_metric_keys"),
    (suites.QUARANTINE_KEY_UNIQUE, "quarantined_figures_keys"),
]


@pytest.fixture(scope="module")
def seed_copy(seed_load, tmp_path_factory):
    _, db_path, raw_dir = seed_load
    copy = tmp_path_factory.mktemp("seed_copy") / "qcity.duckdb"
    shutil.copy(db_path, copy)
    return copy, raw_dir


@pytest.fixture(scope="module")
def seed_frames(seed_copy):
    con = duckdb.connect(str(seed_copy[0]), read_only=True)
    try:
        return read_frames(con)
    finally:
        con.close()


def test_every_integrity_rule_has_a_case():
    names = {r.name for s in WAREHOUSE_SUITES if s.name.endswith(("_integrity", "_keys")) for r in s.rules}
    assert {c[0] for c in INTEGRITY_CASES} | {c[0] for c in UNIQUE_CASES} == names


@pytest.mark.parametrize("rule, mutation", INTEGRITY_CASES, ids=[c[0] for c in INTEGRITY_CASES])
def test_integrity_rule_fails_on_a_broken_reference(seed_copy, rule, mutation):
    con = duckdb.connect(str(seed_copy[0]))
    try:
        con.execute("BEGIN TRANSACTION")
        con.execute(mutation).fetchall()
        frame = read_frames(con)["fact_figure_integrity"]
        con.execute("ROLLBACK")
    finally:
        con.close()
    # both engines: GX (`qcity check`, the validation job) and Polars (a load's checks)
    assert rule in failed_names(_assert_engines_agree(frame, suites.FIGURE_INTEGRITY_RULES, "fact_figure_integrity"))


@pytest.mark.parametrize("rule, suite_name", UNIQUE_CASES, ids=[c[0] for c in UNIQUE_CASES])
def test_unique_rule_fails_on_a_duplicate_key(seed_frames, rule, suite_name):
    frame = seed_frames[suite_name]
    if frame.is_empty():  # quarantined_figures is empty after the seed load
        frame = pl.DataFrame({"figure_id": ["f1", None], "expectation": ["x", None], "file": ["a.txt", "b.txt"],
                              "run_id": ["r", "r"]})
    duplicated = pl.concat([frame, frame.head(1), frame.tail(1)])   # a key twice, and (when null) a missing key twice
    assert rule in failed_names(_assert_engines_agree(duplicated, _suite(suite_name).rules, suite_name))


def test_conflict_share_warns_above_threshold_and_passes_below():
    rule = suites.CONFLICT_SHARE_UNDER_THRESHOLD
    mostly_conflicting = pl.DataFrame({"conflict_flag": [1, 1, 1, 0]})
    rarely_conflicting = pl.DataFrame({"conflict_flag": [1] + [0] * 9})
    [bad] = validate_frame(mostly_conflicting, suites.SERIES_RULES, "metric_series")
    [good] = validate_frame(rarely_conflicting, suites.SERIES_RULES, "metric_series")
    assert (bad.name, bad.success, bad.severity) == (rule, False, "WARN")
    assert good.success


def test_missing_metric_series_is_skipped_not_failed():
    outcomes = validate_suites({"metric_series_conflicts": None})
    skipped = [o for o in outcomes if o.suite.name == "metric_series_conflicts"]
    assert skipped[0].skipped and skipped[0].results == []


# ---- the seed load ---------------------------------------------------------------------------------------
def test_seed_load_passes_every_error_expectation(seed_frames):
    outcomes = validate_suites(seed_frames)
    assert failed_errors(outcomes) == []
    assert sum(len(o.results) for o in outcomes) >= 30


def test_seed_load_check_evaluations_pass_with_numeric_metadata(seed_load):
    result, _, _ = seed_load
    evaluations = result.get_asset_check_evaluations()
    names = {e.check_name for e in evaluations}
    assert {"figures_clean_row_rules", "figures_clean_subject_facts", "fact_figure_rows", "fact_figure_integrity",
            "fact_gdp_expectations", "fact_revenue_expectations"} <= names
    blocking_failures = [e.check_name for e in evaluations if not e.passed and e.severity.value == "ERROR"]
    assert blocking_failures == []
    rows = next(e for e in evaluations if e.check_name == "fact_figure_rows")
    assert rows.metadata["rows_checked"].value > 0
    assert rows.metadata["scope"].value.startswith("rows of the ")   # a first load: every document is new
    assert rows.metadata["expectations_passed"].value == len(suites.FIGURE_ROW_RULES)


# ---- a real in-process materialization: quarantine and blocking -------------------------------------------
BAD_DOCUMENT = "2020年，长沙市实现地区生产总值500亿元，第二产业增加值800亿元。全市产品质量监督抽查合格率达120%。\n"
QUARANTINE_ONLY_DOCUMENT = "2020年，长沙市实现地区生产总值500亿元。全市产品质量监督抽查合格率达120%。\n"


def _load_one(tmp_path, text):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "bad.txt").write_text(text, encoding="utf-8")
    db = tmp_path / "qcity.duckdb"
    return materialize_load(raw, db), db


def _materialized(result) -> set[str]:
    return {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}


def test_failing_rows_are_quarantined_and_the_rest_loads(tmp_path, read_db, monkeypatch):
    monkeypatch.setenv("QCITY_GX_DOCS", str(tmp_path / "docs"))
    result, db = _load_one(tmp_path, QUARANTINE_ONLY_DOCUMENT)
    assert "fact_figure" in _materialized(result)
    quarantined = read_db(db, "SELECT expectation, run_id, figure->>'quote' FROM quarantined_figures")
    assert quarantined == [(suites.RATE_PERCENT_WITHIN_0_100, result.run_id, "产品质量监督抽查合格率达120%")]
    assert read_db(db, "SELECT count(*) FROM fact_figure WHERE category = 'gdp'") == [(1,)]
    rows_check = next(e for e in result.get_asset_check_evaluations() if e.check_name == "figures_clean_row_rules")
    # The rule is ERROR, so is the check (red on figures_clean); it does not block: the rest loaded.
    assert (rows_check.passed, rows_check.severity.value) == (False, "ERROR")
    assert rows_check.metadata[f"quarantined.{suites.RATE_PERCENT_WITHIN_0_100}"].value == 1
    assert rows_check.metadata["failing_rows"].value == 1
    [sample] = rows_check.metadata["sample_failing_rows"].value
    assert (sample["expectation"], sample["file"], sample["quote"]) == (
        suites.RATE_PERCENT_WITHIN_0_100, "bad.txt", "产品质量监督抽查合格率达120%")
    # a load's checks evaluate with Polars and write no Data Docs (the validation job and `qcity check` do)
    assert not (tmp_path / "docs").exists()


def test_a_subject_fact_failure_is_quarantined_and_the_load_goes_on(tmp_path, read_db, monkeypatch):
    # Issue 15: a figure failing a subject-fact rule is set aside (expectations/quarantine.py
    # split_subject_quarantine); its document's other figures and the other documents load.
    monkeypatch.setenv("QCITY_GX_DOCS", str(tmp_path / "docs"))
    result, db = _load_one(tmp_path, BAD_DOCUMENT)
    subject = next(e for e in result.get_asset_check_evaluations() if e.check_name == "figures_clean_subject_facts")
    # the check reports the decision: failed (ERROR, red on figures_clean) because it set a figure aside
    assert (subject.passed, subject.severity.value) == (False, "ERROR")
    assert subject.metadata[f"quarantined.{suites.GDP_PART_NOT_ABOVE_TOTAL}"].value == 1
    assert "fact_figure" in _materialized(result)
    quarantined = read_db(db, "SELECT expectation, figure->>'quote' FROM quarantined_figures ORDER BY 1")
    assert quarantined == [(suites.GDP_PART_NOT_ABOVE_TOTAL, "第二产业增加值800亿元"),
                           (suites.RATE_PERCENT_WITHIN_0_100, "产品质量监督抽查合格率达120%")]
    assert read_db(db, "SELECT value FROM fact_figure WHERE metric_id = 'gdp.total'") == [(500.0,)]


# ---- qcity check -----------------------------------------------------------------------------------------
def _qcity_check(db: Path, raw: Path, docs: Path):
    return subprocess.run([str(Path(sys.executable).with_name("qcity")), "check", "--db", str(db),
                           "--docs", str(docs)], capture_output=True, text=True, cwd=ROOT, timeout=180)


def test_qcity_check_prints_every_expectation_and_exits_1_on_an_error(seed_copy, tmp_path):
    # One subprocess (GX import costs seconds): the seed passes everything else, one broken row fails one rule.
    # The exit-0 path on the seed is covered by tests/test_cli.py and test_seed_load_passes_every_error_expectation.
    db, raw = seed_copy
    broken = tmp_path / "broken.duckdb"
    shutil.copy(db, broken)
    con = duckdb.connect(str(broken))
    con.execute("UPDATE fact_figure SET kind = 'forecast' WHERE figure_id = (SELECT min(figure_id) FROM fact_figure)").fetchall()
    con.close()
    run = _qcity_check(broken, raw, tmp_path / "docs")
    assert run.returncode == 1, run.stdout + run.stderr
    assert f"FAIL  [ERROR] fact_figure_rows.{suites.KIND_IN_VOCABULARY}: 1 failing" in run.stdout
    assert suites.KIND_IN_VOCABULARY in run.stderr
    for suite in WAREHOUSE_SUITES:
        if f"SKIP  [ERROR] {suite.name}:" in run.stdout or f"SKIP  [WARN] {suite.name}:" in run.stdout:
            continue  # a table another part of the warehouse has not created yet
        for rule in suite.rules:
            if rule.name != suites.KIND_IN_VOCABULARY:
                assert f"PASS  [{rule.severity}] {suite.name}.{rule.name}: 0 failing" in run.stdout, rule.name
    assert f"Data Docs: {tmp_path / 'docs' / 'index.html'}" in run.stdout
    assert (tmp_path / "docs" / "index.html").is_file()


# ---- what each check reads ----------------------------------------------------------------------------------
RULE_COLUMN_CASES = [
    (suites.RATE_PERCENT_WITHIN_0_100, {"value_canonical", "category", "unit_canonical"}),   # column + row_condition
    (suites.VALUE_MAX_NOT_BELOW_VALUE, {"value_max", "value"}),                              # a column pair
    (suites.QUOTE_EQUALS_RAW_TEXT, {"quote", "text_at_offsets"}),
    (suites.QUARANTINE_KEY_UNIQUE, {"figure_id", "expectation"}),                            # a compound key
    (suites.FIGURE_REGION_RESOLVES, {"dim_region_key", "has_region"}),
]


@pytest.mark.parametrize("name, columns", RULE_COLUMN_CASES, ids=[c[0] for c in RULE_COLUMN_CASES])
def test_a_rule_names_the_columns_it_reads(name, columns):
    rule = next(r for s in WAREHOUSE_SUITES for r in s.rules if r.name == name)
    assert rule.columns == columns


def test_validation_reads_the_rule_columns_and_keeps_the_row_identity():
    frame = frames.figure_rule_frame(figures_of([figure_row(kind="forecast")]), {DOC_ID: TEXT}, {"长沙市"})
    failing = next(r for r in validate_frame(frame, suites.FIGURE_ROW_RULES, "t") if not r.success)
    assert failing.name == suites.KIND_IN_VOCABULARY
    row = failing.unexpected_rows[0]
    assert (row["kind"], row["figure_id"], row["file"], row["quote"]) == ("forecast", "f1", "a.txt", "实现地区生产总值5000亿元")
    assert "metric_zh" not in row and "char_start" not in row


def _mixed_figures() -> pl.DataFrame:
    """Seven figures, three failing (two rules on one row), spread over chunks of two."""
    rows = [figure_row(figure_id=f"f{i}") for i in range(7)]
    rows[1].update(kind="forecast")
    rows[4].update(kind="forecast", region_zh=None)
    rows[6].update(quote="改过的引文")
    return figures_of(rows)


def test_row_rules_validated_in_chunks_give_the_whole_frame_results():
    figures = _mixed_figures()
    whole = validate_frame(frames.figure_rule_frame(figures, {DOC_ID: TEXT}, {"长沙市"}), suites.FIGURE_ROW_RULES, "t")
    chunks = (f for _, f in frames.figure_rule_chunks(figures, {DOC_ID: TEXT}, {"长沙市"}, size=2))
    chunked, rows = validate_chunks(chunks, suites.FIGURE_ROW_RULES, "t")
    assert rows == 7
    assert [(r.name, r.success, r.element_count, r.unexpected_count) for r in chunked] == \
        [(r.name, r.success, r.element_count, r.unexpected_count) for r in whole]
    assert failed_names(chunked) == {suites.KIND_IN_VOCABULARY, suites.REGION_NOT_NULL, suites.REGION_IN_DIM_REGION,
                                     suites.QUOTE_EQUALS_RAW_TEXT}
    kind = next(r for r in chunked if r.name == suites.KIND_IN_VOCABULARY)
    assert [row["figure_id"] for row in kind.unexpected_rows] == ["f1", "f4"]


def test_quarantine_in_chunks_sets_aside_the_same_rows(monkeypatch):
    from expectations.quarantine import split_quarantine

    figures = _mixed_figures()
    whole_kept, whole_out = split_quarantine(figures, {DOC_ID: TEXT}, {"长沙市"})
    monkeypatch.setattr(frames, "RULE_FRAME_CHUNK", 2)
    kept, out = split_quarantine(figures, {DOC_ID: TEXT}, {"长沙市"})
    assert kept.equals(whole_kept) and kept["figure_id"].to_list() == ["f0", "f2", "f3", "f5"]
    assert [(row["figure_id"], rule) for row, rule in out] == [(row["figure_id"], rule) for row, rule in whole_out] == [
        ("f1", suites.KIND_IN_VOCABULARY), ("f4", suites.KIND_IN_VOCABULARY), ("f6", suites.QUOTE_EQUALS_RAW_TEXT)]


def test_a_load_checks_row_rules_on_the_rows_it_wrote_and_rules_across_rows_on_whole_tables(seed_copy, tmp_path, read_db):
    db, raw = seed_copy
    grown_db, grown_raw = tmp_path / "grown.duckdb", tmp_path / "raw"
    shutil.copy(db, grown_db)
    shutil.copytree(raw, grown_raw)
    (grown_raw / "new.txt").write_text("2021年，长沙市实现地区生产总值5500亿元，增长6.5%。\n", encoding="utf-8")
    result = materialize_load(grown_raw, grown_db)
    assert result.success
    checks = {e.check_name: e.metadata for e in result.get_asset_check_evaluations()}
    [(new_figures,)] = read_db(grown_db, "SELECT count(*) FROM fact_figure WHERE file = 'new.txt'")
    [(all_figures,)] = read_db(grown_db, "SELECT count(*) FROM fact_figure WHERE retired_at IS NULL")
    assert new_figures == 2 and all_figures > new_figures
    assert checks["fact_figure_rows"]["rows_checked"].value == new_figures
    assert checks["fact_figure_rows"]["scope"].value == f"rows of the 1 documents loaded by run {result.run_id}"
    assert checks["fact_figure_integrity"]["rows_checked"].value == all_figures
    assert checks["fact_figure_integrity"]["scope"].value == "whole table"
    assert read_db(grown_db, "SELECT load_run_id FROM dim_document WHERE file = 'new.txt'") == [(result.run_id,)]


SEVERITY_CASES = [
    # (rule severity, passed) of each result → the check's severity
    ([("ERROR", True), ("WARN", True)], None),
    ([("ERROR", False), ("WARN", True)], "ERROR"),
    ([("ERROR", True), ("WARN", False)], "WARN"),
    ([("WARN", False), ("ERROR", False)], "ERROR"),
]


@pytest.mark.parametrize("outcomes, severity", SEVERITY_CASES)
def test_a_check_has_the_severity_of_its_strongest_failed_rule(outcomes, severity):
    from assets.check_results import to_check_result
    from expectations.runner import RuleResult, severity_of

    results = [RuleResult(f"r{i}", s, ok, 1, 0 if ok else 1) for i, (s, ok) in enumerate(outcomes)]
    assert severity_of(results) == severity
    check = to_check_result(results, rows=1)
    assert check.passed is (severity is None)
    if severity:
        assert check.severity.value == severity


# ---- the quarantine's Polars form of each rule agrees with GX ---------------------------------------------
# Rows beside the cases above that probe what each expectation type skips: missing values, NaN, a condition
# that does not hold, a range whose upper end is missing.
EDGE_ROWS = [
    {"value_max": None, "value_max_canonical": None},
    {"value_max": float("nan"), "value_max_canonical": float("nan"), "qualifier": "range"},
    {**RATE, "unit_canonical": "points", "value": 120.0, "value_canonical": 120.0},   # not percent: no 0–100 rule
    {"category": None},
    {"qualifier": None, "kind": None, "period": None},
    {"quote": None},
    {"value_canonical": -0.0},
    {**GROWTH, "value": -100.0, "value_canonical": -100.0},
]


@pytest.mark.parametrize("rule", suites.FIGURE_ROW_RULES, ids=[r.name for r in suites.FIGURE_ROW_RULES])
def test_the_quarantine_rule_fails_exactly_the_rows_gx_fails(rule):
    from expectations.polars_rules import failing_rows

    rows = [figure_row()] + [_with_offsets(figure_row(figure_id=f"case{i}", **changes))
                             for i, (_, changes) in enumerate(FIGURE_CASES)]
    rows += [_with_offsets(figure_row(figure_id=f"edge{i}", **changes)) for i, changes in enumerate(EDGE_ROWS)]
    frame = frames.figure_rule_frame(figures_of(rows), {DOC_ID: TEXT}, {"长沙市"})
    [gx] = validate_frame(frame, [rule], "equivalence", sample=len(rows))
    by_polars = frame["figure_id"].gather(failing_rows(frame, [rule]).get(rule.name, [])).to_list()
    assert sorted(r["figure_id"] for r in gx.unexpected_rows) == sorted(by_polars)


@pytest.mark.parametrize("table, rules, frame", [
    ("fact_gdp", suites.GDP_RULES, pl.DataFrame({
        "figure_id": ["total", "huge", "part", "part_over", "no_total", "half"],
        "metric_id": ["gdp.total", "gdp.total", "gdp.secondary", "gdp.secondary", "gdp.secondary", "gdp.total"],
        "period_grain": ["year", "year", "year", "year", "year", "half_year"],
        "value_canonical": [5e11, 9e15, 1e11, 6e11, 1e11, 1e5],
        "gdp_total_yuan": [None, None, 5e11, 5e11, None, None]})),
    ("fact_count", suites.COUNT_RULES, pl.DataFrame({
        "figure_id": ["whole", "negative", "fraction", "rate_unit"],
        "value_canonical": [12.0, -3.0, 2.5, 1.42],
        "count_distance_to_integer": [0.0, 0.0, 0.5, None]})),
], ids=["gdp", "count"])
def test_the_subject_fact_rules_fail_exactly_the_rows_gx_fails(table, rules, frame):
    from expectations.polars_rules import failing_rows

    by_polars = failing_rows(frame, rules)
    for result in validate_frame(frame, rules, table, sample=frame.height):
        expected = sorted(r["figure_id"] for r in result.unexpected_rows)
        assert sorted(frame["figure_id"].gather(by_polars.get(result.name, [])).to_list()) == expected, result.name
        assert expected, f"{result.name}: the table has no failing row for it"


# ---- the two engines: a load's checks (Polars) and `qcity check` / the validation job (GX) agree ------------
def _as_frame(frame) -> pl.DataFrame:
    """A suite's frame as one frame (the figure rows come chunk by chunk)."""
    return pl.concat(list(frame.rule_frames())) if isinstance(frame, frames.FigureRows) else frame


def _verdicts(results) -> list[tuple]:
    """What a check reports of each rule: success, rows read, failing rows, and which rows (by identity)."""
    return [(r.name, r.success, r.element_count, r.unexpected_count,
             sorted(row.get("figure_id") or row.get("doc_id") or row.get("region_code") or row.get("metric_id") or ""
                    for row in r.unexpected_rows)) for r in results]


def _assert_engines_agree(frame: pl.DataFrame, rules, name: str) -> list:
    from expectations.polars_rules import evaluate_frame

    sample = max(frame.height, 1)
    by_gx = validate_frame(frame, rules, name, sample=sample)
    assert _verdicts(evaluate_frame(frame, rules, sample=sample)) == _verdicts(by_gx), name
    return by_gx


@pytest.mark.parametrize("suite", WAREHOUSE_SUITES, ids=[s.name for s in WAREHOUSE_SUITES])
def test_the_polars_engine_gives_the_gx_results_on_a_loaded_warehouse(seed_frames, suite):
    frame = seed_frames.get(suite.name)
    if frame is None:
        pytest.skip(f"{suite.name}: its table does not exist in the seed warehouse")
    _assert_engines_agree(_as_frame(frame), suite.rules, suite.name)


def test_the_polars_engine_gives_the_gx_results_on_every_failing_figure_row():
    rows = [figure_row()] + [_with_offsets(figure_row(figure_id=f"case{i}", **changes))
                             for i, (_, changes) in enumerate(FIGURE_CASES)]
    rows += [_with_offsets(figure_row(figure_id=f"edge{i}", **changes)) for i, changes in enumerate(EDGE_ROWS)]
    frame = frames.figure_rule_frame(figures_of(rows), {DOC_ID: TEXT}, {"长沙市"})
    results = _assert_engines_agree(frame, suites.FIGURE_ROW_RULES, "fact_figure_rows")
    assert {name for name, _ in FIGURE_CASES} <= failed_names(results)


@pytest.mark.parametrize("flags", [[1, 1, 1, 0], [1] + [0] * 9, [None, 1, 0, 0, 0, 0], [None, None]],
                         ids=["above-threshold", "below-threshold", "with-missing", "all-missing"])
def test_the_polars_engine_gives_the_gx_results_on_the_conflict_share(flags):
    _assert_engines_agree(pl.DataFrame({"conflict_flag": flags}, schema={"conflict_flag": pl.Int32}),
                          suites.SERIES_RULES, "metric_series")


@pytest.mark.parametrize("table, rules, rows", [(c[0], c[1], c[3]) for c in SUBJECT_CASES],
                         ids=[f"{c[2]}-{i}" for i, c in enumerate(SUBJECT_CASES)])
def test_the_polars_engine_gives_the_gx_results_on_violating_subject_facts(table, rules, rows):
    subject = frames.batch_subject_frames(figures_of(rows))
    _assert_engines_agree(subject[table], rules, table)


def test_a_condition_no_row_meets_reads_no_row_in_both_engines():
    frame = frames.figure_rule_frame(figures_of([figure_row()]), {DOC_ID: TEXT}, {"长沙市"})   # no rate, no growth
    by_gx = _assert_engines_agree(frame, suites.FIGURE_ROW_RULES, "fact_figure_rows")
    rate = next(r for r in by_gx if r.name == suites.RATE_PERCENT_WITHIN_0_100)
    assert (rate.success, rate.element_count) == (True, 0)
