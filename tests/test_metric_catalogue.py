"""The metric catalogue: one case per matching rule, the seed gold's metrics, the file's integrity, context rules."""
from __future__ import annotations

import csv
import re

import polars as pl
import pytest
import yaml

from warehouse import metrics
from warehouse.metrics import apply_context_rules, catalogue, catalogue_rows, metric_id_for

SUBJECT_CATEGORIES = ("gdp", "revenue", "standard_count", "certification_count")


@pytest.mark.parametrize("phrase, category, expected", [
    ("地区生产总值", "gdp", "gdp.total"),                                   # exact alias
    ("GDP", "gdp", "gdp.total"),                                             # latin alias
    ("地区生产总值(GDP)", "gdp", "gdp.total"),                               # bracketed alias
    ("2021年全县实现地区生产总值", "gdp", "gdp.total"),                      # year + scope + verb prefix
    ("预计完成地区生产总值", "gdp", "gdp.total"),                            # 预计/完成 prefix
    ("地區(qū)生產(chǎn)總值", "gdp", "gdp.total"),                          # Traditional + pinyin noise
    ("2020年珠海市全市实现地区生产总值", "gdp", "gdp.total"),                 # leading region name
    ("人均地区生产总值", "gdp", "gdp.per_capita"),                           # not gdp.total
    ("人均GDP", "gdp", "gdp.per_capita"),
    ("第一产业增加值", "gdp", "gdp.primary_industry"),                       # not gdp.total
    ("第三產業實現增加值", "gdp", "gdp.tertiary_industry"),
    ("金灣和斗門三個行政區分別實現地區生產總值", "gdp", None),                 # districts' GDP: not the city's
    ("地区生产总值同比增长", "growth_rate", "gdp.growth"),                   # growth id of gdp.total
    ("地方财政预算收入下降", "growth_rate", "revenue.general_budget.growth"),
    ("人均GDP比上年增长", "growth_rate", "gdp.per_capita.growth"),
    ("一般公共预算支出增长", "growth_rate", None),                           # spending is not revenue
    ("地方公共财政预算收入", "revenue", "revenue.general_budget"),
    ("财政总收入", "revenue", "revenue.fiscal_total"),
    ("税收收入", "revenue", "revenue.tax"),
    ("省名牌产品数", "brand_count", "brand.provincial"),                     # trailing 数
    ("湖北省名牌", "brand_count", "brand.provincial"),                       # pattern
    ("咸宁市名牌", "brand_count", "brand.city"),                             # region kept when it is the metric
    ("国家标准", "standard_count", "standard.national"),
    ("民生服务领域制定泰州市地方标准数", "standard_count", "standard.local"), # head noun decides
    ("参与制修订国际、国家、行业标准数", "standard_count", "standard.multi_level"),
    ("采用国际标准和国外先进标准数", "standard_count", "standard.adopted_international"),
    ("制定行业服务标准", "standard_count", "standard.service"),
    ("通过完善计量检测体系确认企业数", "certification_count", "certification.measurement_system"),
    ("国家标准", "gdp", None),                                               # category must agree
    ("招引项目总投资", "amount_other", None),                                # not catalogued
    ("", "gdp", None),
])
def test_metric_id_for(phrase, category, expected):
    assert metric_id_for(phrase, category) == expected


def test_every_seed_gold_subject_metric_is_catalogued(shared):
    known = {r["metric_id"] for r in catalogue_rows()}
    with open(shared / "gold" / "seed_gold.csv", encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["category"] in SUBJECT_CATEGORIES]
    assert rows
    unmapped = sorted({(r["category"], r["metric_zh"]) for r in rows if metric_id_for(r["metric_zh"], r["category"]) is None})
    assert unmapped == []
    assert {metric_id_for(r["metric_zh"], r["category"]) for r in rows} <= known


def test_catalogue_file_is_consistent():
    data = yaml.safe_load(metrics._DATA.read_text(encoding="utf-8"))
    ids = [m["id"] for m in data["metrics"]]
    assert len(ids) == len(set(ids)), "duplicate metric ids"
    rows = catalogue_rows()
    assert len({r["metric_id"] for r in rows}) == len(rows), "a growth id collides with another id"
    for m in catalogue():
        assert re.fullmatch(r"[a-z_]+(\.[a-z_]+)+", m.metric_id), m.metric_id
        assert m.aliases or m.patterns or m.metric_id.endswith("all_levels") or m.metric_id.startswith("income."), m.metric_id
    seen: dict[tuple[str, str], str] = {}
    for m in catalogue():
        for alias in m.aliases:
            assert seen.setdefault((alias, m.category), m.metric_id) == m.metric_id, f"{alias} in two metrics"
    referenced = [r["other"] for r in data["context_rules"]["local_counterparts"]] + \
                 [i for r in data["context_rules"]["paired_phrases"] for i in r["metrics"]]
    assert set(referenced) <= set(ids)


def _figures(rows):
    frame = pl.DataFrame(rows, orient="row", schema={"doc_id": pl.String, "region_zh": pl.String, "period": pl.String,
                                       "category": pl.String, "metric_zh": pl.String, "char_start": pl.Int64})
    return frame.with_columns(
        pl.struct("metric_zh", "category").map_elements(lambda s: metric_id_for(s["metric_zh"], s["category"]),
                                                        return_dtype=pl.String).alias("metric_id"))


def test_all_level_revenue_beside_a_local_one_is_its_own_metric():
    out = apply_context_rules(_figures([
        ("d", "长沙市", "2017", "revenue", "一般公共预算收入", 10),
        ("d", "长沙市", "2017", "revenue", "地方一般公共预算收入", 40),
        ("d", "长沙市", "2017", "growth_rate", "一般公共预算收入比上年增长", 10),
        ("d", "长沙市", "2017", "growth_rate", "地方一般公共预算收入增长", 40),
    ]))
    assert out["metric_id"].to_list() == [
        "revenue.general_budget.all_levels", "revenue.general_budget",
        "revenue.general_budget.all_levels.growth", "revenue.general_budget.growth"]


def test_revenue_without_a_local_counterpart_stays_general_budget():
    out = apply_context_rules(_figures([("d", "珠海市", "2020", "revenue", "一般公共预算收入", 5)]))
    assert out["metric_id"].to_list() == ["revenue.general_budget"]


def test_paired_phrase_assigns_its_metrics_in_text_order():
    out = apply_context_rules(_figures([
        ("d", "长沙市", "2014", "income", "城乡居民人均可支配收入", 322),
        ("d", "长沙市", "2014", "income", "城乡居民人均可支配收入", 302),
    ]))
    assert out["metric_id"].to_list() == ["income.disposable.rural", "income.disposable.urban"]
