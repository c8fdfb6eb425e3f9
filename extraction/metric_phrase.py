"""The metric phrase of a figure: the noun phrase its number measures, without the words around it.

`clean_metric_phrase` cuts leading years, scope words (全市) and verbs (实现, 完成), and trailing verbs and
copulas (…收入完成, …比重为). A phrase left with only scraps (上年, 调整, 2012年力争) names no metric and
becomes ''. A phrase of only a comparison and a change (比上年末增加, 同比增收) is the change of the noun phrase
stated before it in the sentence: given that `subject`, it is completed (年末常住人口比上年末增加), else ''.
A comparison inside a phrase (地区生产总值比上年增长) stays as written: the documents' own metric phrase keeps
it, and the warehouse's metric_key drops it. The words are data in lexicon/metric_phrase.yaml. Matching runs
on the Simplified reading and the cuts apply to the phrase as written, which keeps the document's script.
Pure; no Dagster.
"""
from __future__ import annotations

import re
from functools import lru_cache

from extraction.lexicon_loader import alternation, load
from extraction.normalize_script import to_simplified

_CFG = load("metric_phrase")
_LEADING = re.compile("(?:" + "|".join([alternation(_CFG["leading_words"]), *_CFG["leading_patterns"]]) + ")")
_TRAILING = re.compile("(?:" + "|".join(_CFG["trailing_patterns"]) + ")$")
_SCRAP = re.compile("(?:" + alternation(_CFG["scraps"] + _CFG["comparison_words"] + _CFG["changes"]) + ")+")
_CHANGE = re.compile(alternation(_CFG["comparison_words"] + _CFG["changes"]))
_TRAILING_CHANGE = re.compile("(?:" + alternation(_CFG["comparison_words"] + _CFG["changes"]) + ")+$")
_EDGE = " \t,，、:：;；。"


def clean_metric_phrase(phrase: str | None, subject: str = "") -> str:
    """The measured noun phrase of `phrase`, in its own script; '' when nothing of it names a metric.

    `subject`: the metric phrase of the figure before in the same sentence, which a bare change completes.
    """
    text, simple = _cut(phrase or "")
    if not simple:
        return ""
    if not _SCRAP.fullmatch(simple) and not _LEADING.fullmatch(simple):
        return text
    if subject and _CHANGE.search(simple):
        noun, noun_simple = _cut(subject)
        change = _TRAILING_CHANGE.search(noun_simple)
        if change:  # the subject is itself a completed change (粮食总产量比上年增加): keep its noun
            noun, noun_simple = noun[:change.start()], noun_simple[:change.start()]
        if noun_simple and not _SCRAP.fullmatch(noun_simple):
            return noun + text
    return ""


@lru_cache(maxsize=65536)
def _cut(phrase: str) -> tuple[str, str]:
    """(phrase as written, its Simplified reading) after the leading and trailing cuts."""
    written = phrase.strip(_EDGE)
    simple = to_simplified(written)
    text = written if len(simple) == len(written) else simple  # a length-changing conversion: cut the Simplified
    changed = True
    while changed and simple:
        changed = False
        m = _LEADING.match(simple)
        if m and m.end() < len(simple):
            text, simple, changed = text[m.end():], simple[m.end():], True
        m = _TRAILING.search(simple)
        if m and m.start() > 0:
            text, simple, changed = text[:m.start()], simple[:m.start()], True
        stripped = simple.strip(_EDGE)
        if stripped != simple:
            lead = len(simple) - len(simple.lstrip(_EDGE))
            text, simple, changed = text[lead:lead + len(stripped)], stripped, True
    return text, simple
