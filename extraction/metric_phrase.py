"""The metric phrase of a figure: the noun phrase its number measures, without the words around it.

`clean_metric_phrase` cuts leading years, scope words (全市) and verbs (实现, 完成), and trailing verbs and
copulas (…收入完成, …比重为). A phrase left with only scraps (上年, 调整, 2012年力争) names no metric and
becomes ''. A phrase of only a comparison and a change (比上年末增加, 同比增收) is the change of the noun phrase
stated before it in the sentence, and one opening with a relation (占地区生产总值的比重, 高于全省) its share or
gap: given that `subject`, either is completed (年末常住人口比上年末增加, 第一产业增加值占地区生产总值的比重);
without one, a change becomes '' and a relation stays as written.
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
_RELATION = re.compile(alternation(_CFG["relations"]))
# Where a completed subject's own change (…比上年增加), or for a relation also its own relation (…占…比重),
# begins: the noun phrase that completes the next figure ends there.
_OWN_CHANGE = re.compile("(?:" + alternation(_CFG["comparison_words"] + _CFG["changes"]) + ")+$")
_OWN_RELATION = re.compile("(?:" + alternation(_CFG["relations"]) + ").*$|" + _OWN_CHANGE.pattern)
_EDGE = " \t,，、:：;；。"


def clean_metric_phrase(phrase: str | None, subject: str = "") -> str:
    """The measured noun phrase of `phrase`, in its own script; '' when nothing of it names a metric.

    `subject`: the metric phrase of the figure before in the same sentence, which a bare change completes.
    """
    text, simple, relation, bare = _read(phrase or "")
    if not simple:
        return ""
    if not bare and not relation:
        return text
    if subject and (relation or _CHANGE.search(simple)):
        noun, noun_simple = _cut(subject)
        own = (_OWN_RELATION if relation else _OWN_CHANGE).search(noun_simple)
        if own and own.start() > 0:  # the subject is itself completed (粮食总产量比上年增加): keep its noun
            noun, noun_simple = noun[:own.start()], noun_simple[:own.start()]
        if noun_simple and not _SCRAP.fullmatch(noun_simple) and not _RELATION.match(noun_simple):
            return noun + text
    return text if relation else ""


@lru_cache(maxsize=65536)
def _read(phrase: str) -> tuple[str, str, bool, bool]:
    """_cut(phrase), and whether the cut phrase opens with a relation and whether it is bare (only scraps or
    leading words): what clean_metric_phrase asks of every figure's phrase, remembered with the cut."""
    text, simple = _cut(phrase)
    if not simple:
        return text, simple, False, False
    relation = _RELATION.match(simple) is not None
    bare = _SCRAP.fullmatch(simple) is not None or _LEADING.fullmatch(simple) is not None
    return text, simple, relation, bare


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
