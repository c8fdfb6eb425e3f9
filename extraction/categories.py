"""Category of a figure (the 12 classes) from its unit family, metric phrase and clause."""
from __future__ import annotations

import re
from functools import lru_cache

from extraction.lexicon_loader import alternation, load

_CFG = load("categories")
_GROWTH = re.compile(rf"(?:{alternation(_CFG['growth_cues'])})[了到达]?\s*$")
# what a text that _GROWTH matches ends with, bar trailing spaces: a lead ending otherwise is no growth,
# without scanning it (asked several times per figure)
_GROWTH_LAST = frozenset(c[-1] for c in _CFG["growth_cues"]) | frozenset("了到达")
_BENCH = re.compile(alternation(_CFG["benchmark_cues"]))
_TIME = re.compile(alternation(_CFG["time_compare_cues"]))


def _rule_set(rules: list[dict]) -> tuple[list[tuple[str, re.Pattern, frozenset]], re.Pattern]:
    """(category, cue regex, the first characters of its cues) per rule, and one regex over every cue: most
    texts hold none, and one search says so before the rules are tried in order; a rule none of whose
    first characters is in the text cannot match it and is not scanned."""
    return ([(r["category"], re.compile(alternation(r["cues"])), frozenset(c[0] for c in r["cues"])) for r in rules],
            re.compile(alternation(cue for r in rules for cue in r["cues"])))


_MONEY = _rule_set(_CFG["money_rules"])
_NOT_GDP = re.compile(alternation(_CFG["money_not_gdp"]))
_COUNT = _rule_set(_CFG["count_rules"])
_AWARD_ONLY = _rule_set([r for r in _CFG["count_rules"] if r["category"] == "award_count"])
PEOPLE_UNITS = set(_CFG["people_units"])
_GROWTH_SUBJECT = re.compile(alternation(_CFG["growth_subject_cues"]))
_HOLDER_OF = re.compile(rf"\s*\d+(?:\.\d+)?\s*(?:{alternation(_CFG['holder_of_measures'])})")


def counts_holders(norm: str, end: int) -> bool:
    """Is the count ending at `end` followed by another count it holds (86家90项)?"""
    return bool(_HOLDER_OF.match(norm, end))


def benchmark_category(sentence_lead: str) -> str:
    """全市为5.4% after 增幅…: the benchmark's own growth rate; otherwise a level."""
    return "growth_rate" if _GROWTH_SUBJECT.search(sentence_lead) else "rate"


def _first(rule_set, *texts) -> str | None:
    rules, any_cue = rule_set
    for text in texts:
        if not text or not any_cue.search(text):
            continue
        best = None
        chars = set(text)
        for cat, rx, firsts in rules:
            if chars.isdisjoint(firsts):
                continue
            # the cue nearest the end of the phrase names what is counted (标准化试点 → 试点); at the same
            # end, the longer cue is the more specific (品牌示范区 over 示范区)
            # finditer's matches of non-empty cues do not overlap, so their ends rise: the last has the
            # greatest end (and is the only one with it)
            last = None
            for last in rx.finditer(text):
                pass
            key = (last.end(), last.end() - last.start()) if last else None
            if key and (best is None or key > best[0]):
                best = (key, cat)
        if best:
            return best[1]
    return None


# Verdicts on the phrases a corpus's figures are read from, remembered (bounded, per process): across the 77 real
# documents of bench/ in one process, 31% of categorize's calls and 35% of the rule scans repeat an earlier one
_PHRASES = 4096


@lru_cache(maxsize=_PHRASES)
def names_counted(phrase: str) -> bool:
    """Does the phrase name a kind of thing the count categories count (名牌, 标准, 质量奖, 认证 …)?"""
    return _first(_COUNT, phrase) is not None


@lru_cache(maxsize=_PHRASES)  # asked several times per figure, of leads that repeat (同比增长): bounded
def is_growth(lead: str) -> bool:
    """增长8.8%, 比上年提高2.6个百分点: a change over time right before the number."""
    tail = lead.rstrip()
    return bool(tail) and tail[-1] in _GROWTH_LAST and bool(_GROWTH.search(lead))


@lru_cache(maxsize=_PHRASES)
def categorize(family: str, kind_hint: str, metric: str, lead: str, clause: str, unit_text: str = "") -> str:
    """`lead` is the text right before the number in its clause; `clause` the wider context."""
    if kind_hint == "rank" or family == "rank":
        return "rank"
    if kind_hint in ("ratio", "index"):
        return "rate"
    if family in ("percent", "permille", "points", "ratio"):
        if family != "ratio" and is_growth(lead):
            if _BENCH.search(lead) and not _TIME.search(lead):
                return "rate"
            return "growth_rate"
        return "rate"
    if family == "money":
        cat = _first(_MONEY, metric, lead) or "amount_other"
        return "amount_other" if cat == "gdp" and _NOT_GDP.search(metric) else cat
    if family == "physical":
        return "amount_other"
    if unit_text in PEOPLE_UNITS:
        return _first(_AWARD_ONLY, metric, clause) or "count_other"
    return _first(_COUNT, metric, clause) or "count_other"
