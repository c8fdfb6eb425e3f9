"""The metric catalogue: one case per matching rule, the seed gold's metrics, the file's integrity, context rules."""
from __future__ import annotations

import csv
import re
from pathlib import Path

import polars as pl
import pytest
import yaml

from warehouse import metrics
from warehouse.metrics import apply_context_rules, catalogue, catalogue_rows, metric_id_for, metric_key_for

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
    ("一般公共预算支出增长", "growth_rate", "expenditure.general_budget.growth"),  # spending is not revenue
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
    by_context = {i for r in data["context_rules"]["structure_phrases"] for i in r["metrics"]}
    for m in catalogue():
        assert re.fullmatch(r"[a-z_]+(\.[a-z_]+)+", m.metric_id), m.metric_id
        assert m.aliases or m.patterns or m.rules or m.metric_id in by_context or m.metric_id.endswith("all_levels"), m.metric_id
    seen: dict[tuple[str, str], str] = {}
    for m in catalogue():
        for alias in m.aliases:
            assert seen.setdefault((alias, m.category), m.metric_id) == m.metric_id, f"{alias} in two metrics"
    referenced = [r["other"] for r in data["context_rules"]["local_counterparts"]] + \
                 [i for r in data["context_rules"]["paired_phrases"] for i in r["metrics"]] + sorted(by_context)
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


# ---- one table of positive and negative phrases per catalogue entry (tests/metric_catalogue_cases.yaml) ----
CASES = yaml.safe_load((Path(__file__).with_name("metric_catalogue_cases.yaml")).read_text(encoding="utf-8"))
ENTRIES = {m.metric_id: m for m in catalogue()}
ASSIGNED_BY_CONTEXT = {"revenue.general_budget.all_levels"}    # never by a phrase (context_rules.local_counterparts)


def _case_rows(kind: str):
    for metric_id, table in CASES.items():
        for case in table[kind]:
            phrase, category = (case[0], case[1]) if isinstance(case, list) else (case, ENTRIES[metric_id].category)
            yield pytest.param(metric_id, phrase, category, id=f"{metric_id}:{phrase}")


def test_every_entry_has_positive_and_negative_cases():
    assert set(CASES) == set(ENTRIES) - ASSIGNED_BY_CONTEXT
    assert all(table["positive"] and table["negative"] for table in CASES.values())


@pytest.mark.parametrize("metric_id, phrase, category", _case_rows("positive"))
def test_entry_maps_its_phrases(metric_id, phrase, category):
    assert metric_id_for(phrase, category) == metric_id


@pytest.mark.parametrize("metric_id, phrase, category", _case_rows("negative"))
def test_entry_does_not_map_other_phrases(metric_id, phrase, category):
    assert metric_id_for(phrase, category) != metric_id


@pytest.mark.parametrize("phrase, expected", [
    ("固定资产投资比上年增长", "economy.fixed_asset_investment.growth"),       # the growth of every entry
    ("社会消费品零售总额同比增长", "economy.retail_sales.growth"),
    ("产品质量监督抽查合格率比上年提高", "rate.product_spot_check_pass.growth"),  # a rate's change, in points
    ("第三产业占比提高", "rate.structure.tertiary.growth"),
    ("年末常住人口比上年末增加", "population.resident.growth"),
    ("生产总值年均增长", None),                                              # a plan-period average is not a year's growth
    ("户籍人均生产总值增长", "gdp.per_capita.registered.growth"),       # not the per-resident one
    ("第二产业比上年增长", "gdp.secondary_industry.growth"),              # a table row's growth
    ("三个区分别实现地区生产总值增长", None),                                # several metrics at once
])
def test_growth_rate_takes_the_growth_id_of_its_entry(phrase, expected):
    assert metric_id_for(phrase, "growth_rate") == expected


def test_every_growth_id_is_a_dim_metric_row():
    ids = {r["metric_id"] for r in catalogue_rows()}
    assert {m.growth_id for m in catalogue()} <= ids


def test_three_sector_structure_assigns_shares_in_order():
    out = apply_context_rules(_figures([
        ("d", "甲县", "2022", "rate", "三次产业结构调整为", 10),
        ("d", "甲县", "2022", "rate", "三次产业结构调整为", 14),
        ("d", "甲县", "2022", "rate", "三次产业结构调整为", 18),
        ("e", "乙县", "2022", "rate", "三次产业结构由", 10),                  # six values (由 A:B:C 调整为 D:E:F):
        *[("e", "乙县", "2022", "rate", "三次产业结构由", 12 + i) for i in range(5)],  # no share is sure
    ]))
    assert out["metric_id"].to_list() == ["rate.structure.primary", "rate.structure.secondary",
                                          "rate.structure.tertiary", None, None, None, None, None, None]


@pytest.mark.parametrize("phrase, category, key", [
    ("地方公共财政预算收入", "revenue", "一般公共预算收入"),                 # period names of the same revenue
    ("2020年全市一般公共预算收入", "revenue", "一般公共预算收入"),
    ("产品质量监督抽查合格率", "rate", "产品质量监督抽检合格率"),            # 抽查 / 抽检
    ("產品質量監督抽檢合格率", "rate", "产品质量监督抽检合格率"),            # Simplified
    ("歙县城镇常住居民人均可支配收入", "income", "城镇居民人均可支配收入"),   # no region name
    ("湖北省名牌产品", "brand_count", "省名牌"),                              # a region keeps its level
    ("取得福建名牌", "brand_count", "取得省名牌"),
    ("咸宁市名牌", "brand_count", "市名牌"),
    ("“江西省政府质量奖”", "award_count", "省政府质量奖"),                  # a government award keeps its level
    ("温州市政府质量奖", "award_count", "市政府质量奖"),
    ("地区生产总值比上年增长", "growth_rate", "地区生产总值增长"),           # one growth wording, no comparison
    ("地区生产总值增速", "growth_rate", "地区生产总值增长"),
    ("省著名商標數", "brand_count", "省著名商标"),
    ("制造业质量竞争力指数", "rate", "制造业质量竞争力指数"),                # 指数 keeps its 数
    ("将", "count_other", "~count_other"),                                    # names nothing: marked, never empty
    ("三个区分别实现地区生产总值", "gdp", "~三个区分别实现地区生产总值"),
])
def test_metric_key(phrase, category, key):
    assert metric_key_for(phrase, category) == key
