"""Division codes: a figure's region_code is the code of the division its document is about, read from the
document's context; a name several divisions share, with nothing in the document to say which, gets none."""
from __future__ import annotations

import pytest

from extraction.engine import extract_figures
from extraction.models import Document
from extraction.regions import COUNTRY_CODE, division_code, division_rows, divisions_named

CODES = [
    # (text, manifest region_zh, the figures' region_zh, their region_code)
    ("张家界市2021年地区生产总值600亿元。", "", "张家界市", "430800"),
    # shared names resolved by a relative in the text: the city, the province
    ("福州市鼓楼区2021年地区生产总值1300亿元。", "", "鼓楼区", "350102"),
    ("徐州市鼓楼区全年实现地区生产总值500亿元，同比增长6%。", "", "鼓楼区", "320302"),
    ("吉林省长春市朝阳区2020年新增省级名牌产品12个。", "", "朝阳区", "220104"),
    # a shared name and nothing else: not guessed
    ("鼓楼区2021年地区生产总值900亿元。", "", "鼓楼区", ""),
    # a former name keys the code of the division it became
    ("海门市2013年实现地区生产总值700亿元。", "", "海门市", "320684"),
    # a figure whose clause names the wider region takes that region's code
    ("黄山市歙县2020年农产品抽检合格率98%，全省为97%。", "", "安徽省", "340000"),
    # the country
    ("我国2020年国内生产总值突破100万亿元。", "", "全国", COUNTRY_CODE),
    # a manifest region: a shared name is resolved by the text when it can be, and left open when not
    ("福州市鼓楼区2021年地区生产总值1300亿元。", "鼓楼区", "鼓楼区", "350102"),
    ("全区2021年地区生产总值1300亿元。", "鼓楼区", "鼓楼区", ""),
    ("全区2021年地区生产总值1300亿元。", "张家界市", "张家界市", "430800"),
]


@pytest.mark.parametrize("text, override, region, code", CODES)
def test_the_figures_region_code_follows_the_documents_context(text, override, region, code):
    figures = extract_figures(Document("a.txt", text, region_override=override))
    assert figures, text
    last = figures[-1]
    assert (last.region_zh, last.region_code) == (region, code)


def test_a_shared_name_has_one_division_row_per_code():
    rows = {r["region_code"]: r for r in division_rows()}
    gulou = sorted(r["parent_zh"] for r in rows.values() if r["region_zh"] == "鼓楼区")
    assert gulou == ["南京市", "开封市", "徐州市", "福州市"]
    assert len(divisions_named("鼓楼区")) == 4
    assert rows["320684"]["former_names"] == ["海门市"] and rows["320684"]["parent_code"] == "320600"
    assert rows["350102"]["province_code"] == "350000" and rows["350102"]["province_zh"] == "福建省"
    assert rows[COUNTRY_CODE]["level"] == "country"
    assert len(rows) == len(division_rows())  # the code is a key


def test_no_region_no_code():
    assert division_code(None) is None
