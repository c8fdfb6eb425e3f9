"""The document context: each document-level decision with its basis and evidence, decided once."""
from __future__ import annotations

import pytest

from extraction import context as context_module
from extraction.context import build_context
from extraction.engine import extract_figures
from extraction.exclusions import blocked_mask
from extraction.models import BASES, Document
from extraction.normalize import normalize
from extraction.periods import find_cues


def _context(doc: Document):
    nt = normalize(doc.text)
    return build_context(doc, nt, find_cues(nt.norm, blocked_mask(nt.norm)), [])


# (case, document, decision, expected value, expected basis)
CASES = [
    ("a bulletin's Traditional title year",
     Document("a.txt", "全年生產總值增長6%。", title="衡陽市2019年國民經濟與社會發展統計公報"), "subject_year", 2019, "title"),
    ("a bulletin title in the first line when there is no manifest title",
     Document("a.txt", "湘潭市2020年国民经济和社会发展统计公报\n\n全市生产总值2343亿元。"), "subject_year", 2020, "title"),
    ("a body sentence with a year is no title: it is the opening statement",
     Document("a.txt", "2018年度全市抽查产品合格率为93%,连续三年提高。"), "subject_year", 2018, "opening"),
    ("a compared year opens nothing",
     Document("a.txt", "与2018年相比,全市抽查产品合格率提高2个百分点。"), "subject_year", None, "default"),
    ("the opening statement 「YYYY年是…」",
     Document("a.txt", "2023年是全面贯彻落实的开局之年。全省生产总值增长5%。"), "subject_year", 2023, "opening"),
    ("a work report reviews the year before its title year",
     Document("a.txt", "各位代表:过去一年全县生产总值增长7%。", title="2020年某县政府工作报告"), "subject_year", 2019, "title"),
    ("the manifest's year overrides every other evidence",
     Document("a.txt", "全年生产总值增长6%。", title="株洲市2019年统计公报", year_override=2018), "subject_year", 2018, "manifest"),
    ("the manifest's published date",
     Document("a.txt", "今年全市新增商标200件。", published="2021-06-01"), "date", (2021, 6), "dateline"),
    ("a dateline near the top",
     Document("a.txt", "发布时间:2019-04-02 10:00\n今年全市新增商标200件。"), "date", (2019, 4), "dateline"),
    ("the region a title names",
     Document("a.txt", "全市新增名牌产品20个。", title="株洲市名牌产品再添新成员"), "region", "株洲市", "title"),
    ("the region only the URL spells, most specific of a nested chain",
     Document("a.txt", "上半年,全市财政收入增长8%。", url="http://yueyang.hunan.example.com/a.html"), "region", "岳阳市", "url"),
    ("我国 with no division: 全国",
     Document("a.txt", "我国制造业质量竞争力指数达到84.3。"), "region", "全国", "opening"),
    ("the manifest's region overrides the gazetteer",
     Document("a.txt", "株洲市新增名牌产品20个。", region_override="醴陵市"), "region", "醴陵市", "manifest"),
    ("a plan by its title",
     Document("a.txt", "主要目标\n到2020年,新增标准50项。", title="某省标准化发展规划(2016—2020年)"), "plan", True, "title"),
    ("a plan's horizon from its title span",
     Document("a.txt", "主要目标\n新增标准50项。", title="湖南省标准化发展规划(2016—2020年)"), "horizon", 2020, "title"),
    ("a five-year plan's horizon from its name",
     Document("a.txt", "发展目标\n新增标准50项。", title="岳阳市“十四五”质量发展规划"), "horizon", 2025, "title"),
    ("a goals notice's horizon from its opening paragraph",
     Document("a.txt", "记者获悉,全市将开展示范城市创建,力争2019年通过验收。\n合格率达到95%以上。"), "horizon", 2019, "opening"),
    ("a news report is no plan",
     Document("a.txt", "全市新增名牌产品20个,力争明年再增10个。"), "plan", False, "default"),
]


@pytest.mark.parametrize("case,doc,decision,value,basis", CASES, ids=[c[0] for c in CASES])
def test_document_decisions(case, doc, decision, value, basis):
    got = getattr(_context(doc), decision)
    shown = got.value.name if hasattr(got.value, "name") else got.value
    assert (shown, got.basis) == (value, basis)
    assert got.basis in BASES
    if got.basis != "default":
        assert got.rule and got.evidence  # every decision says which rule fired on what


def test_review_sections_of_a_plan_are_actual():
    doc = Document("a.txt", "一、发展现状\n2015年合格率达到92%。\n二、主要目标\n合格率达到95%以上。",
                   title="某市质量发展规划(2016—2020年)")
    ctx = _context(doc)
    assert len(ctx.review_spans) == 1
    kinds = [(f.value, f.kind, f.period) for f in extract_figures(doc)]
    assert kinds == [(92, "actual", "2015"), (95, "target", "target:2020")]


def test_context_is_built_once_per_document(monkeypatch):
    calls = []
    real = context_module.build_context

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr("extraction.engine.build_context", counting)
    text = "2022年是关键一年。\n全市新增商标200件,名牌产品30个,标准15项,合格率95%。"
    figures = extract_figures(Document("a.txt", text))
    assert len(figures) == 4 and len(calls) == 1


def test_every_figure_has_a_basis_from_the_vocabulary():
    doc = Document("a.txt", "株洲市2019年统计公报\n\n全年生产总值增长6%。上半年新增商标20件。力争新增标准10项。",
                   published="2020-03-01")
    for f in extract_figures(doc):
        assert {f.period_basis, f.region_basis, f.kind_basis} <= set(BASES)
