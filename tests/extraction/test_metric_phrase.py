"""Spec table of the metric phrase cleaner (extraction/metric_phrase.py): phrase [+ subject] → measured noun phrase."""
from __future__ import annotations

import pytest

from extraction.engine import extract_figures
from extraction.metric_phrase import clean_metric_phrase
from extraction.models import Document

POSITIVE = [
    # (phrase as the extractor found it, the subject before it in the sentence, expected metric_zh)
    ("一般公共财政预算收入完成", "", "一般公共财政预算收入"),           # trailing verb
    ("2021年全县实现地区生产总值", "", "地区生产总值"),                  # year, scope, verb
    ("2019年度全市完成税收收入", "", "税收收入"),
    ("全縣實現地區生產總值", "", "地區生產總值"),                        # Traditional stays Traditional
    ("占地区生产总值的比重为", "", "占地区生产总值的比重"),               # trailing copula
    ("进出口总额超", "", "进出口总额"),
    ("其中第三产业增加值", "", "第三产业增加值"),
    ("上半年规模以上工业增加值", "", "规模以上工业增加值"),
    ("标准化良好行为", "", "标准化良好行为"),                           # 行为 is no copula
    ("达州市地区生产总值", "", "达州市地区生产总值"),                    # 达州 is no verb
    ("共享单车投放量", "", "共享单车投放量"),                            # 共享 is no verb
    ("地区生产总值比上年增长", "", "地区生产总值比上年增长"),            # a comparison inside a phrase stays
    ("比上年末增加", "年末常住人口", "年末常住人口比上年末增加"),         # a bare change takes its subject
    ("同比增收", "一般公共预算收入", "一般公共预算收入同比增收"),
    ("比上年增长", "粮食总产量比上年增加", "粮食总产量比上年增长"),       # subject already a change: its noun
    ("省著名商标", "中国驰名商标", "省著名商标"),                        # a real phrase ignores the subject
    ("占地区生产总值的比重", "第二产业增加值", "第二产业增加值占地区生产总值的比重"),  # a share of the subject
    ("高于全省平均水平", "食品抽检合格率", "食品抽检合格率高于全省平均水平"),          # a gap of the subject
    ("占地区生产总值的比重", "", "占地区生产总值的比重"),                 # no subject: the relation as written
    ("比上年提高", "服务业占地区生产总值的比重", "服务业占地区生产总值的比重比上年提高"),  # the share's change
    ("占全省的比重", "城镇人口占总人口的比重", "城镇人口占全省的比重"),   # the subject's own share is not the noun
]
NEGATIVE = [
    # scraps of issue 14 and their kin: no metric, whatever the subject
    ("同比增收增长", ""), ("将", ""), ("调整", ""), ("上年", ""), ("2012年力争", ""), ("全市", ""),
    ("上年", "合格率"), ("调整", "三次产业结构"), ("2015年力争", "镇(街道)比例"), ("", "地区生产总值"),
    ("比上年增长", ""), ("比上年增长", "同比增长"),                       # a change with no subject (or a scrap one)
]


@pytest.mark.parametrize("phrase, subject, expected", POSITIVE)
def test_clean_metric_phrase(phrase, subject, expected):
    assert clean_metric_phrase(phrase, subject) == expected


@pytest.mark.parametrize("phrase, subject", NEGATIVE)
def test_scraps_name_no_metric(phrase, subject):
    assert clean_metric_phrase(phrase, subject) == ""


@pytest.mark.parametrize("text, expected", [
    ("今年全县一般公共预算收入完成12.5亿元。", ["一般公共预算收入"]),
    ("2020年全市实现地区生产总值1500亿元，比上年增长5.1%。", ["地区生产总值", "地区生产总值比上年增长"]),
    ("年末常住人口52.3万人，比上年末增加0.4万人。", ["年末常住人口", "年末常住人口比上年末增加"]),
    ("第三产业增加值480亿元，占地区生产总值的比重为52.1%。", ["第三产业增加值", "第三产业增加值占地区生产总值的比重"]),
])
def test_extracted_figures_carry_the_clean_phrase(text, expected):
    assert [f.metric_zh for f in extract_figures(Document("spec.txt", text))] == expected
