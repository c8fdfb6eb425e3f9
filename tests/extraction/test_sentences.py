"""The sentence behind a figure: one case per rule of extraction/sentences.py (input text, quote, sentence)."""
from __future__ import annotations

import pytest

from extraction.sentences import ELLIPSIS, Sentences

CASES = [
    # a sentence runs from the previous sentence end through the next one
    ("去年全县粮食产量12万吨。今年全县新增注册商标300件，增长5%。", "300件", "今年全县新增注册商标300件，增长5%。"),
    # a semicolon separates clauses of one sentence; it does not end it
    ("第一产业增加值20亿元；第二产业增加值35亿元。", "35亿元", "第一产业增加值20亿元；第二产业增加值35亿元。"),
    # ！ and ？ end a sentence too, half-width forms as well
    ("质量工作成效显著!全市抽检合格率达到97.5%!", "97.5%", "全市抽检合格率达到97.5%!"),
    # a table row is a line: the line break ends it, and the whitespace around it is trimmed
    ("指标 | 数值\n  主导产业标准 | 18项  \n合计 | 30项", "18项", "主导产业标准 | 18项"),
    # the last sentence of a text without a final end runs to the end of the text
    ("全市共有地理标志产品6个", "6个", "全市共有地理标志产品6个"),
    # a quote at the very start of the text
    ("12家企业获评省长质量奖。", "12家", "12家企业获评省长质量奖。"),
]


@pytest.mark.parametrize("text, quote, sentence", CASES, ids=[c[2][:12] for c in CASES])
def test_the_sentence_around_a_quote(text, quote, sentence):
    start = text.index(quote)
    assert Sentences.of(text).around(start, start + len(quote)) == sentence


def test_a_sentence_longer_than_the_limit_is_cut_around_the_quote():
    text = "甲" * 1000 + "合格率98%" + "乙" * 1000
    start = text.index("合格率98%")
    sentence = Sentences.of(text).around(start, start + len("合格率98%"))
    assert sentence.startswith(ELLIPSIS) and sentence.endswith(ELLIPSIS) and "合格率98%" in sentence
    assert len(sentence) <= 400 + 2 * len(ELLIPSIS)
