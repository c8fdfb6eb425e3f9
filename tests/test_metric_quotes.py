"""Context rules that read a figure's quote and sentence (metric_catalogue.yaml: reread_counts, level_lists,
bare_value_added): one positive and one negative case per rule, through apply_context_rules."""
from __future__ import annotations

import polars as pl
import pytest

from warehouse.metrics import apply_context_rules, metric_id_for, metric_key_for


def _mapped(metric_zh: str, category: str, unit_zh: str, quote: str, sentence: str) -> tuple[str | None, str]:
    frame = pl.DataFrame([("d", "甲市", "2021", category, metric_zh, 0, unit_zh, quote, sentence)], orient="row",
                         schema={"doc_id": pl.String, "region_zh": pl.String, "period": pl.String, "category": pl.String,
                                 "metric_zh": pl.String, "char_start": pl.Int64, "unit_zh": pl.String,
                                 "quote": pl.String, "sentence": pl.String})
    frame = frame.with_columns(pl.lit(metric_id_for(metric_zh, category)).alias("metric_id"),
                               pl.lit(metric_key_for(metric_zh, category)).alias("metric_key"))
    out = apply_context_rules(frame)
    return out["metric_id"][0], out["metric_key"][0]


@pytest.mark.parametrize("metric_zh, category, unit_zh, quote, sentence, expected", [
    # an acquisition verb after the number: the award or brand is its object
    ("企业获得", "award_count", "家", "7家企业获得", "今年全区有7家企业获得区长质量奖。", "award.county_quality"),
    ("企业荣获", "award_count", "家", "5家企业荣获", "5家企业荣获省名牌产品称号。", None),     # a brand, not an award
    # a phrase before its number, a noun after the classifier: the noun is counted
    ("合作社培育的", "brand_count", "个", "合作社培育的6个", "全县合作社培育的6个产品入选浙江名牌产品,带动增收。",
     "brand.provincial"),
    ("企业生产的", "brand_count", "个", "企业生产的4个", "3家企业生产的4个产品进入省名牌公示阶段。", None),
    # …和 before the number: the phrase belongs to the figure before, the counted noun follows
    ("省名牌和", "brand_count", "个", "省名牌和3个", "新认定12个省名牌和3个区域名牌,数量创新高。", "brand.regional"),
    ("省名牌和", "brand_count", "个", "省名牌和3个", "共有省名牌和3个。", None),
    # after its number, the phrase ends before a trailing conjunction or locative
    ("省名牌和", "brand_count", "个", "12个省名牌和", "新认定12个省名牌和3个区域名牌,数量创新高。", "brand.provincial"),
    ("广东名牌中", "brand_count", "个", "58个广东名牌中", "在本次公布的58个广东名牌中,新增21个。", "brand.provincial"),
    ("广东名牌中", "brand_count", "个", "新增21个", "在本次公布的58个广东名牌中,新增21个。", None),  # not its quote's
    # a phrase never spans a line break: the piece next to the number
    ("福建名牌产品\n\n编辑", "brand_count", "项", "15项福建名牌产品\n\n编辑", "南平15项福建名牌产品\n\n编辑",
     "brand.provincial"),
    ("福建名牌\n\n编辑", "brand_count", "项", "福建名牌\n\n编辑15项", "福建名牌\n\n编辑15项", None),
    # bare level words listed before the phrase: their total
    ("市级品牌", "brand_count", "个", "、市级品牌40个", "累计获得国家、省、市级品牌40个。", "brand.multi_level"),
    ("省名牌", "brand_count", "个", "省名牌9个", "中国名牌2个、省名牌9个。", "brand.provincial"),
    # a bare 增加值 is the value added of the output named before it
    ("增加值", "gdp", "亿元", "增加值12.3亿元", "全年规模以上工业总产值45.6亿元,增加值12.3亿元。", "gdp.industry_above_scale"),
    ("增加值", "gdp", "亿元", "增加值8亿元", "全年增加值8亿元。", None),
])
def test_quote_rules(metric_zh, category, unit_zh, quote, sentence, expected):
    metric_id, metric_key = _mapped(metric_zh, category, unit_zh, quote, sentence)
    assert metric_id == expected
    assert metric_key


def test_a_reread_figure_takes_the_key_of_the_phrase_read():
    assert _mapped("省名牌和", "brand_count", "个", "省名牌和3个", "新认定12个省名牌和3个区域名牌。", ) == \
        ("brand.regional", "区域名牌")


def _sentence_figures(rows):
    frame = pl.DataFrame(rows, orient="row", schema={"doc_id": pl.String, "region_zh": pl.String, "period": pl.String,
                                                     "category": pl.String, "metric_zh": pl.String, "char_start": pl.Int64,
                                                     "unit_zh": pl.String, "quote": pl.String, "sentence": pl.String})
    ids = [metric_id_for(r[4], r[3]) for r in rows]
    keys = [metric_key_for(r[4], r[3]) for r in rows]
    return apply_context_rules(frame.with_columns(pl.Series("metric_id", ids, pl.String), pl.Series("metric_key", keys)))


@pytest.mark.parametrize("award, sentence, expected", [
    ("省政府质量奖", "全区累计获省政府质量奖6项、提名奖2项。", "award.quality_nomination"),
    ("中国质量奖", "累计获中国质量奖1项、提名奖2项。", "award.china_quality_nomination"),
    ("省名牌产品", "全区拥有省名牌产品6项、提名奖2项。", None),              # not an award before it
])
def test_a_bare_nomination_is_of_the_award_before_it(award, sentence, expected):
    first = sentence.index(award)
    out = _sentence_figures([
        ("d", "甲区", "2021", "award_count" if "奖" in award else "brand_count", award, first, "项", award + "6项", sentence),
        ("d", "甲区", "2021", "award_count", "提名奖", sentence.index("提名奖"), "项", "提名奖2项", sentence),
    ])
    assert out["metric_id"][1] == expected


def test_a_bare_nomination_in_another_sentence_is_not_sure():
    out = _sentence_figures([
        ("d", "甲区", "2021", "award_count", "省政府质量奖", 0, "项", "省政府质量奖6项", "全区获省政府质量奖6项。"),
        ("d", "甲区", "2021", "award_count", "提名奖", 20, "项", "提名奖2项", "另有提名奖2项。"),
    ])
    assert out["metric_id"].to_list() == ["award.provincial_quality", None]
