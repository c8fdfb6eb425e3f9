"""Rule-based figure extraction: Document -> list[Figure].

The engine normalises the text (keeping offsets), finds numeric mentions, and for each one reads
its metric, category, qualifier, period, kind and region with the small rule modules, each driven
by a lexicon in extraction/lexicon/.
"""
from __future__ import annotations

import bisect
import gc
import re
from dataclasses import dataclass
from itertools import accumulate, count
from operator import add, attrgetter

from extraction import categories, exclusions, kinds, metrics, qualifiers
from extraction.context import DocumentContext, build_context
from extraction.mentions import Mention, scan
from extraction.metric_phrase import clean_metric_phrase
from extraction.models import Document, Figure
from extraction.normalize import NormText, normalize
from extraction.periods import PeriodContext, find_cues
from extraction.tables import scan_tables, table_lines
from extraction.units import canonical

try:  # the gazetteer is optional: without it figures have no region
    from extraction.regions import division_code, wider_region
except Exception:  # pragma: no cover
    wider_region = None

    def division_code(region):
        return None

# each list holds the line break, which _starts writes the others as
_SENTENCE_BREAKS = ("。", "!", "?", "\n")
_PARAGRAPH_BREAKS = ("\n", "??")  # ?? is where mojibake ate a paragraph indent
_WIDER = re.compile(r"(全市|全省)(?:平均)?为\s*$")
_WIDER_WORDS = ("全市", "全省")  # what _WIDER needs to find in a text
_WIDER_LAST = "为"  # ... and in a lead: it ends with 为 and spaces (one `in`, where the search is a call per figure)
_CLAUSE_BREAK = re.compile(r"[。;;!?\n、]")
_CLAUSE_END = re.compile(r"[,。;;!?\n]")
_CJK_CHAR = re.compile(r"[\u4e00-\u9fff]")
# the rest of a count's clause, up to the next number (a year is no number: 荣获2016年度…奖)
_COUNT_TAIL = re.compile(r"(?:[^,。;;!?\n\d]|(?:19|20)\d{2}年)*")
_FOLLOWS_NOUN = re.compile(r"[\u4e00-\u9fff“\"]")
_FOLLOWS_NOUN_MARKS = "“\""  # the class's characters outside the CJK range
_NOT_NOUN_START = set("的以左和及与或、到至比较同增下上提占为是共,。")
_QUOTE_MAX_EXTEND = 40
_CLAUSE_MAX = 120
MAX_TEXT = 20_000_000
_UNIQUE_SCAN_BUDGET = 200_000_000  # chars scanned by raw.find per document


def extract_figures(document: Document) -> list[Figure]:
    """All figures of a document. A rule bug raises: the caller records the document as rejected
    (extraction/batch.py) rather than loading it as active and empty."""
    if not gc.isenabled():
        return _extract(document)
    # The rules make a few objects per figure and no reference cycles: the collector's passes over a long
    # text's growing figure list are pure cost (~5% of a 40,000-figure text). It resumes after.
    gc.disable()
    try:
        return _extract(document)
    finally:
        gc.enable()


def _region_name(context: DocumentContext, norm_lead: str) -> tuple[str, str, str]:
    """The figure's region, its basis and its division code: the document's, or the wider one its clause
    names (全省为). The code is empty where the region is ambiguous or outside the gazetteer."""
    region = context.region.value
    if region is None:
        return "", "default", ""
    m = _WIDER.search(norm_lead)
    if m and wider_region is not None:
        wide = wider_region(region, m.group(1))
        if wide is not None:
            return wide.name, "clause", division_code(wide) or ""
    return region.name, context.region.basis, division_code(region) or ""


def _starts(norm: str, breaks: tuple[str, ...]) -> list[int]:
    """0 and the end of each break in the text, in order: the ends of re.finditer of the breaks' alternation (no
    break holds another's character, so none overlaps another). Every break list holds the line break: each other
    break has its last character written as one (str.replace finds the same leftmost, non-overlapping occurrences
    the scan does), and the ends are the running sums of the lengths of the lines between, in C iterators (a
    str.find loop took a Python step per break)."""
    text = norm
    for brk in breaks:
        if brk != "\n" and brk in text:
            text = text.replace(brk, brk[:-1] + "\n")
    return [0, *map(add, accumulate(map(len, text.split("\n")[:-1])), count(1))]


def _start_before(starts: list[int], pos: int) -> int:
    return starts[bisect.bisect_right(starts, pos) - 1]


class _Budget:
    """Characters the uniqueness search may still scan: keeps huge repetitive texts linear."""

    def __init__(self, chars: int):
        self.left = chars


def _unique_quote(nt: NormText, s: int, e: int, budget: _Budget) -> tuple[int, int]:
    """Extend a raw span [s, e) left, then right, until its text occurs once in the raw text."""
    raw = nt.raw
    for _ in range(_QUOTE_MAX_EXTEND):
        budget.left -= len(raw)
        if budget.left < 0:
            break
        q = raw[s:e]
        first = raw.find(q)
        if first == s and raw.find(q, s + 1) < 0:
            break
        if s > 0 and raw[s - 1] != "\n":
            s -= 1
        elif e < len(raw) and raw[e] != "\n":
            e += 1
        else:
            break
    return s, e


@dataclass
class _Doc:
    """Everything the rules need about one document, computed once."""

    nt: NormText
    context: DocumentContext
    periods: PeriodContext
    goals: kinds.GoalCues
    outlook: int
    sentence_starts: list[int]
    paragraph_starts: list[int]

    @property
    def norm(self) -> str:
        return self.nt.norm

    def sentence_end(self, pos: int) -> int:
        i = bisect.bisect_right(self.sentence_starts, pos)
        return self.sentence_starts[i] if i < len(self.sentence_starts) else len(self.norm)


def _extract(document: Document) -> list[Figure]:
    text = document.text if isinstance(document.text, str) else ""
    if not text or len(text) > MAX_TEXT:
        return []
    nt = normalize(text)
    norm = nt.norm
    mask = exclusions.blocked_mask(norm)
    scan_mask = bytearray(mask)
    lines = table_lines(norm)
    for s, e in lines:  # table cells are read by the table rules only
        scan_mask[s:e] = b"\x01" * (e - s)
    mentions = scan(norm, scan_mask)  # in order of num_start
    table_mentions = scan_tables(norm, mask, lines) if lines else []
    if table_mentions:
        mentions = sorted(mentions + table_mentions, key=attrgetter("num_start"))
    cues = find_cues(norm, mask)
    context = build_context(document, nt, cues, [m.start for m in mentions])
    doc = _Doc(
        nt=nt,
        context=context,
        periods=PeriodContext.build(norm, context, cues, mentions[0].start if mentions else None),
        goals=kinds.GoalCues(norm),
        outlook=kinds.outlook_start(norm),
        sentence_starts=_starts(norm, _SENTENCE_BREAKS),
        paragraph_starts=_starts(norm, _PARAGRAPH_BREAKS),
    )
    budget = _Budget(_UNIQUE_SCAN_BUDGET)
    figures: list[Figure] = []
    done: list[Mention] = []
    done_starts: list[int] = []  # their starts, in order: counting the figures after a point is a bisection
    headline: list[int] = []  # figures of the title lines whose period is inherited
    prev_info: dict | None = None
    sentence_starts, paragraph_starts, bisect_right = doc.sentence_starts, doc.paragraph_starts, bisect.bisect_right
    # a figure takes the document's region unless its clause names a wider one (全市为, 全省为): without those
    # words in the text, the document's region is every figure's, decided once
    wider_possible = any(w in norm for w in _WIDER_WORDS)
    doc_region = _region_name(context, "")
    decreases_possible = any(w in norm for w in qualifiers.CLAUSE_DECREASE_WORDS)
    for m in mentions:
        prev = done[-1] if done else None
        sent_start = sentence_starts[bisect_right(sentence_starts, m.start) - 1]  # _start_before, inlined
        if m.start == sent_start and sent_start >= 2 and norm[sent_start - 1] == "\n" and _CJK_CHAR.match(norm[sent_start - 2]):
            sent_start = _start_before(sentence_starts, sent_start - 1)  # a line wrapped before the number
        para_start = min(sent_start, paragraph_starts[bisect_right(paragraph_starts, m.start) - 1])
        floor = max(sent_start, prev.end if prev and prev.end <= m.start else 0)
        info = _describe(nt, m, floor, sent_start, prev_info if prev and prev.end > sent_start else None)
        kind_basis = _target_basis(doc, m, sent_start, para_start)
        if kind_basis:
            period, period_basis = doc.periods.resolve_target(m.start, para_start, sent_start, doc.sentence_end(m.start))
        else:
            period, period_basis = _actual_period(doc, m, info, sent_start, para_start, done, done_starts, figures)
        if m.start < context.head_end and period_basis in _INHERITED:
            headline.append(len(figures))
        qs, qe = nt.raw_span(info["quote_start"], info["quote_end"])
        if budget.left >= 0:  # once spent, the search leaves every span as it is: not called (a long text's figures)
            qs, qe = _unique_quote(nt, qs, qe, budget)
        qualifier = m.qualifier
        if qualifier == "exact" and decreases_possible and qualifiers.clause_decreases(norm[info["clause_start"]:m.num_start]):
            qualifier = "decrease"
        # _region_name gives the document's region unless _WIDER matches the lead: decided once (doc_region)
        lead6 = norm[max(0, m.start - 6):m.start] if wider_possible else ""
        region_zh, region_basis, region_code = _region_name(context, lead6) \
            if _WIDER_LAST in lead6 and _WIDER.search(lead6) else doc_region
        metric_zh = clean_metric_phrase(info["metric"], figures[-1].metric_zh if prev and prev.end > sent_start else "")
        # positional, in Figure's field order: a call by keyword costs twice as much (once per figure)
        figures.append(Figure(document.name, region_zh, period, metric_zh, info["category"], m.value, m.value_max,
                              _unit_as_written(nt, m), canonical(m.value, m.unit), qualifier,
                              "target" if kind_basis else "actual", nt.raw[qs:qe], qs, qe,
                              period_basis, region_basis, kind_basis or "default", region_code))
        done.append(m)
        done_starts.append(m.start)
        prev_info = info
    _headline_periods(figures, headline, doc)
    return figures


_INHERITED = ("title", "opening", "manifest", "default")  # the bases of PeriodContext.document_period()


def _target_basis(doc: _Doc, m: Mention, sent_start: int, para_start: int) -> str | None:
    """Why the figure is a goal (the basis of kind `target`), or None for an actual."""
    context = doc.context
    if context.review_spans and context.in_review(m.start):
        return None  # a plan's review section reports actuals
    if context.plan.value:
        if context.plan.rule == "goals notice" and doc.goals.reports_done(sent_start, doc.sentence_end(m.start)):
            return None  # a goals notice may also say what was done last year
        return context.plan.basis
    if m.start >= doc.outlook:
        return "section"
    own = doc.goals.target_basis(m.start, sent_start, para_start)
    if own is None and context.goal_sections and context.goal_year(m.start) and not doc.goals.reports_actual(sent_start, m.start):
        return "section"  # a goal listed under 「到2025年,…:」
    return own


def _headline_periods(figures: list[Figure], headline: list[int], doc: _Doc) -> None:
    """A title figure with no cue of its own takes the year the document reports on; in a document with
    none, the period of the first body figure stating the same number; else unknown."""
    if not headline:
        return
    context = doc.context
    head_end_raw = doc.nt.to_raw[context.head_end]
    for i in headline:
        fig = figures[i]
        if context.subject_year.value:
            continue  # document_period() already gave it the subject year
        twin = next((f for f in figures if f.char_start >= head_end_raw and f.value == fig.value
                     and f.unit_zh == fig.unit_zh and f.kind == fig.kind), None)
        if twin is not None:
            fig.period, fig.period_basis = twin.period, "body"
        else:
            fig.period, fig.period_basis = ("target:unknown" if fig.kind == "target" else "unknown"), "default"


def _unit_as_written(nt: NormText, m: Mention) -> str:
    """The unit in the document's script, minus a 余/多 written inside it (3万余人 → 万人)."""
    if not m.unit_span:
        return m.implied_unit
    a, b = m.unit_span
    written = nt.norm[a:b]
    if "多" not in written and "余" not in written:
        return nt.plain[a:b]
    return "".join(p for p, n in zip(nt.plain[a:b], written) if n not in "多余")


def _actual_period(doc: _Doc, m: Mention, info: dict, sent_start: int, para_start: int,
                   done: list[Mention], done_starts: list[int], figures: list[Figure]) -> tuple[str, str]:
    norm = doc.nt.norm
    periods = doc.periods
    prev = done[-1] if done else None
    if m.kind_hint == "ratio" and prev is not None and prev.kind_hint == "ratio" and prev.end + 1 >= m.num_start:
        return figures[-1].period, figures[-1].period_basis  # the terms of one ratio share its period
    if m.kind_hint == "streak":
        return "cumulative", "clause"  # 连续14年: a running count by its own words
    cat = info["category"]
    resolved = periods.resolve(m.start, para_start, sent_start, info["clause_start"], cat == "growth_rate",
                                   cat not in ("rate", "growth_rate", "rank"))
    if cat == "rank" and prev is not None and prev.end >= sent_start and m.start - prev.end <= 8 \
            and not _CLAUSE_BREAK.search(norm, prev.end, m.start) and figures[-1].category != "rank":
        resolved = figures[-1].period, "clause"  # 101件,居全省第二位: a rank holds when its figure holds
    window = min(len(norm), m.end + _CLAUSE_MAX)  # a clause is short: never scan the rest of the text
    if resolved[1] != "clause" and periods.cue_before(m.end, window):
        clause_end = _CLAUSE_END.search(norm, m.end, window)
        year = periods.year_after(m.end, clause_end.start() if clause_end else window)
        if year:  # no cue before it in its clause, a year after it: 5家企业荣获2016年度市长质量奖
            resolved = str(year), "clause"
    span = periods.year_range(m.start, sent_start) if periods.ranges else None  # most texts have no span
    if span:  # the k-th figure after 2015至2017年…分别 holds for the k-th year
        k = bisect.bisect_left(done_starts, m.start) - bisect.bisect_left(done_starts, span[0])
        if span[1] + k <= span[2]:
            resolved = str(span[1] + k), "sentence"
    return resolved


def _describe(nt: NormText, m: Mention, floor: int, sent_start: int, prev_info: dict | None) -> dict:
    """Metric phrase, category and quote span of a mention."""
    norm = nt.norm
    if m.kind_hint == "table":
        extras = m.extras or {}
        metric = extras.get("metric", "")
        cat = categories.categorize(m.unit.family, "", metric, extras.get("column", ""), metric)
        return {"metric": metric, "category": cat, "shared_category": cat, "quote_start": m.start, "quote_end": m.end,
                "clause_start": m.start, "metric_span": (m.start, m.start), "family": m.unit.family}
    family = m.unit.family  # read a dozen times below
    clause_start = metrics.clause_start(norm, m.start, floor)
    ls, le = metrics.left_metric(norm, m.start, floor, clause_start)
    lead = norm[clause_start:m.num_start]
    after = m.end
    nxt = norm[after:after + 1]
    # _FOLLOWS_NOUN on one character, as a comparison (once per figure)
    number_first = bool(nxt and ("\u4e00" <= nxt <= "\u9fff" or nxt in _FOLLOWS_NOUN_MARKS) and nxt not in _NOT_NOUN_START)
    left_ok = metrics.is_substantive(norm[ls:le])
    rs, re_ = metrics.right_metric(norm, after, len(norm)) if number_first or not left_ok else (after, after)
    right_ok = rs < re_ and metrics.is_substantive(norm[rs:re_])  # an empty phrase is never substantive
    q_start, q_end = min(m.start, ls if left_ok else m.start), m.end
    inherited = False
    # 5个省级品牌: the noun after a count is its metric when the phrase before it names no counted thing
    right_names = family == "count" and number_first and right_ok and categories.names_counted(norm[rs:re_]) \
        and not categories.names_counted(norm[ls:le])
    if number_first and right_ok and (not left_ok or family in ("count",) and le - ls <= 3 or right_names):
        ms, me = rs, re_
        q_start, q_end = m.start, max(m.end, re_)
    elif left_ok:
        ms, me = ls, le
    elif right_ok:
        ms, me = rs, re_
        q_end = max(m.end, re_)
    elif prev_info is not None:
        ms, me = prev_info["metric_span"]
        inherited = True
        # a growth rate is quoted with the amount it qualifies; anything else with its own clause
        own = clause_start
        while own < m.start and norm[own] in "()[]【】 ":
            own += 1
        grows = family in ("percent", "points") and categories.is_growth(lead) \
            and not (_WIDER_LAST in lead and _WIDER.search(lead))
        q_start = min(ms, m.start) if grows and ms < m.start else own
    else:
        ms, me = ls, le
    metric = nt.plain[ms:me].strip()
    if inherited and (m.kind_hint == "rank" or family in ("percent", "points", "permille")
                      and categories.is_growth(lead)):
        metric = metric + nt.plain[clause_start:m.num_start].strip()  # 产值 + 居全省, 收入 + 同比增长
    clause = norm[clause_start:max(m.end, re_)]
    if family == "count":  # what a count is of may follow its verb: 5家企业荣获…质量奖
        tail = _COUNT_TAIL.match(norm, max(m.end, re_), max(m.end, re_) + 30)
        clause += tail.group(0)
    counted = norm[ms:me]
    if family == "count" and number_first and right_ok:
        counted = norm[rs:re_]  # 12个示范社区: the noun after a count is what it counts
    cat = categories.categorize(family, m.kind_hint, counted, lead, clause, m.unit.text)
    if inherited and prev_info is not None:
        wider = _WIDER_LAST in lead and _WIDER.search(lead) is not None
        if wider and family in ("percent", "points"):
            cat = categories.benchmark_category(norm[sent_start:m.num_start])
        elif wider or prev_info["family"] == family and (
                family not in ("percent", "points", "permille") or not categories.is_growth(lead)):
            cat = prev_info["shared_category"]
    shared = cat  # what a figure sharing this one's metric inherits
    if family == "count" and categories.counts_holders(norm, m.end):
        cat = "count_other"  # 86家90项: the holders of the next count, which is the brand or standard count
    return {"metric": metric, "category": cat, "shared_category": shared, "quote_start": q_start, "quote_end": q_end,
            "clause_start": clause_start, "metric_span": (ms, me), "family": family}
