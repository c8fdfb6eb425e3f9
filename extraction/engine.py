"""Rule-based figure extraction: Document -> list[Figure].

The engine normalises the text (keeping offsets), finds numeric mentions, and for each one reads
its metric, category, qualifier, period, kind and region with the small rule modules, each driven
by a lexicon in extraction/lexicon/.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from extraction import categories, exclusions, kinds, metrics, qualifiers
from extraction.mentions import Mention, scan
from extraction.models import Document, Figure
from extraction.normalize import NormText, normalize
from extraction.metric_phrase import clean_metric_phrase
from extraction.periods import PeriodContext
from extraction.tables import scan_tables, table_line_mask
from extraction.units import canonical

try:  # owned by the region engineer; the extractor works without it
    from extraction.regions import resolve_document_region, wider_region
except Exception:  # pragma: no cover
    resolve_document_region = wider_region = None

_SENTENCE_BREAK = re.compile(r"[。!?\n]")
_PARAGRAPH_BREAK = re.compile(r"\n|\?\?")  # ?? is where mojibake ate a paragraph indent
_WIDER = re.compile(r"(全市|全省)(?:平均)?为\s*$")
_CLAUSE_BREAK = re.compile(r"[。;;!?\n、]")
_CJK_CHAR = re.compile(r"[\u4e00-\u9fff]")
_FOLLOWS_NOUN = re.compile(r"[\u4e00-\u9fff“\"]")
_NOT_NOUN_START = set("的以左和及与或、到至比较同增下上提占为是共,。")
_QUOTE_MAX_EXTEND = 40
MAX_TEXT = 20_000_000
_UNIQUE_SCAN_BUDGET = 200_000_000  # chars scanned by raw.find per document


def extract_figures(document: Document) -> list[Figure]:
    """All figures of a document. A rule bug raises: the caller records the document as rejected
    (extraction/batch.py) rather than loading it as active and empty."""
    return _extract(document)


def _region(doc: Document):
    if resolve_document_region is None:
        return None
    try:
        return resolve_document_region(doc.text, doc.title, doc.url)
    except Exception:
        return None


def _region_name(region, norm_lead: str) -> str:
    if region is None:
        return ""
    m = _WIDER.search(norm_lead)
    if m and wider_region is not None:
        try:
            wide = wider_region(region, m.group(1))
            if wide is not None:
                return wide.name
        except Exception:
            pass
    return region.name


def _starts(norm: str, rx: re.Pattern) -> list[int]:
    return [0] + [m.end() for m in rx.finditer(norm)]


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
    ctx: PeriodContext
    plan: bool
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
    for s, e in table_line_mask(norm):  # table cells are read by the table rules only
        scan_mask[s:e] = b"\x01" * (e - s)
    mentions = sorted(scan(norm, scan_mask) + scan_tables(norm, mask), key=lambda m: m.num_start)
    doc = _Doc(
        nt=nt,
        ctx=PeriodContext.build(norm, document.title, document.published, mask,
                                mentions[0].start if mentions else None),
        plan=kinds.document_is_plan(norm, document.title),
        outlook=kinds.outlook_start(norm),
        sentence_starts=_starts(norm, _SENTENCE_BREAK),
        paragraph_starts=_starts(norm, _PARAGRAPH_BREAK),
    )
    region = _region(document)
    budget = _Budget(_UNIQUE_SCAN_BUDGET)
    figures: list[Figure] = []
    done: list[Mention] = []
    prev_info: dict | None = None
    for m in mentions:
        prev = done[-1] if done else None
        sent_start = _start_before(doc.sentence_starts, m.start)
        if m.start == sent_start and sent_start >= 2 and norm[sent_start - 1] == "\n" and _CJK_CHAR.match(norm[sent_start - 2]):
            sent_start = _start_before(doc.sentence_starts, sent_start - 1)  # a line wrapped before the number
        para_start = min(sent_start, _start_before(doc.paragraph_starts, m.start))
        floor = max(sent_start, prev.end if prev and prev.end <= m.start else 0)
        info = _describe(nt, m, floor, sent_start, prev_info if prev and prev.end > sent_start else None)
        target = doc.plan or m.start >= doc.outlook or kinds.is_target(norm, m.start, sent_start, para_start)
        if target:
            period = doc.ctx.resolve_target(m.start, para_start, sent_start, doc.sentence_end(m.start))
        else:
            period = _actual_period(doc, m, info, sent_start, para_start, done, figures)
        qs, qe = _unique_quote(nt, *nt.raw_span(info["quote_start"], info["quote_end"]), budget)
        qualifier = m.qualifier
        if qualifier == "exact" and qualifiers.clause_decreases(norm[info["clause_start"]:m.num_start]):
            qualifier = "decrease"
        figures.append(Figure(
            doc=document.name,
            region_zh=_region_name(region, norm[max(0, m.start - 6):m.start]),
            period=period,
            metric_zh=clean_metric_phrase(info["metric"], figures[-1].metric_zh if prev and prev.end > sent_start else ""),
            category=info["category"],
            value=m.value,
            value_max=m.value_max,
            unit_zh=_unit_as_written(nt, m),
            value_canonical=canonical(m.value, m.unit),
            qualifier=qualifier,
            kind="target" if target else "actual",
            quote=nt.raw[qs:qe],
            char_start=qs,
            char_end=qe,
        ))
        done.append(m)
        prev_info = info
    return figures


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
                   done: list[Mention], figures: list[Figure]) -> str:
    norm = doc.norm
    prev = done[-1] if done else None
    if m.kind_hint == "ratio" and prev is not None and prev.kind_hint == "ratio" and prev.end + 1 >= m.num_start:
        return figures[-1].period  # the terms of one ratio share its period
    cat = info["category"]
    period = doc.ctx.resolve(m.start, para_start, sent_start, info["clause_start"], cat == "growth_rate",
                             cat not in ("rate", "growth_rate", "rank"))
    if cat == "rank" and prev is not None and prev.end >= sent_start and m.start - prev.end <= 8 \
            and not _CLAUSE_BREAK.search(norm, prev.end, m.start) and figures[-1].category != "rank":
        period = figures[-1].period  # 101件,居全省第二位: a rank holds when its figure holds
    span = doc.ctx.year_range(norm, m.start, sent_start)
    if span:  # the k-th figure after 2015至2017年…分别 holds for the k-th year
        k = sum(1 for d in done if span[0] <= d.start < m.start)
        if span[1] + k <= span[2]:
            period = str(span[1] + k)
    return period


def _describe(nt: NormText, m: Mention, floor: int, sent_start: int, prev_info: dict | None) -> dict:
    """Metric phrase, category and quote span of a mention."""
    norm = nt.norm
    if m.kind_hint == "table":
        metric = m.extras.get("metric", "")
        cat = categories.categorize(m.unit.family, "", metric, "", metric)
        return {"metric": metric, "category": cat, "quote_start": m.start, "quote_end": m.end,
                "clause_start": m.start, "metric_span": (m.start, m.start), "family": m.unit.family}
    ls, le = metrics.left_metric(norm, m.start, floor)
    clause_start = metrics.clause_start(norm, m.start, floor)
    lead = norm[clause_start:m.num_start]
    after = m.end
    nxt = norm[after:after + 1]
    number_first = bool(nxt and _FOLLOWS_NOUN.match(nxt) and nxt not in _NOT_NOUN_START)
    left_ok = metrics.is_substantive(norm[ls:le])
    rs, re_ = metrics.right_metric(norm, after, len(norm)) if number_first or not left_ok else (after, after)
    right_ok = metrics.is_substantive(norm[rs:re_])
    q_start, q_end = min(m.start, ls if left_ok else m.start), m.end
    inherited = False
    if number_first and right_ok and (not left_ok or m.unit.family in ("count",) and le - ls <= 3):
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
        grows = m.unit.family in ("percent", "points") and categories.is_growth(lead) and not _WIDER.search(lead)
        q_start = min(ms, m.start) if grows and ms < m.start else own
    else:
        ms, me = ls, le
    metric = nt.plain[ms:me].strip()
    if inherited and (m.kind_hint == "rank" or m.unit.family in ("percent", "points", "permille")
                      and categories.is_growth(lead)):
        metric = metric + nt.plain[clause_start:m.num_start].strip()  # 产值 + 居全省, 收入 + 同比增长
    clause = norm[clause_start:max(m.end, re_)]
    cat = categories.categorize(m.unit.family, m.kind_hint, norm[ms:me], lead, clause, m.unit.text)
    if inherited and prev_info is not None:
        if _WIDER.search(lead) and m.unit.family in ("percent", "points"):
            cat = categories.benchmark_category(norm[sent_start:m.num_start])
        elif _WIDER.search(lead) or prev_info["family"] == m.unit.family and (
                m.unit.family not in ("percent", "points", "permille") or not categories.is_growth(lead)):
            cat = prev_info["category"]
    return {"metric": metric, "category": cat, "quote_start": q_start, "quote_end": q_end,
            "clause_start": clause_start, "metric_span": (ms, me), "family": m.unit.family}
