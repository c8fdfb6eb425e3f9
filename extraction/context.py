"""The document context: decisions that hold for a whole document, made once, before any figure is read.

../shared/spec/figures.md ("Document context") orders the evidence: the year the document reports on
(a bulletin's title, then the body's opening statement), its date (the manifest's `published`, then a
dateline), its region (title, opening lines, dateline, source URL, then 我国/全国), and whether it is a plan
with a horizon. Each decision keeps its basis (one of `models.BASES`) and the evidence it read, so a figure
that inherits it can say so, and `explain()` shows why. Figures inherit only where they have no cue of their own.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from extraction import kinds
from extraction.lexicon_loader import alternation, line_start_matches, load, may_match, required_words
from extraction.models import Document
from extraction.normalize import NormText, normalize

_CFG = load("context")
_TITLE_YEAR = re.compile(_CFG["bulletin_title_year"])
_BULLETIN = re.compile(alternation(_CFG["bulletin_words"]))
_DELIVERED = re.compile(alternation(_CFG["delivered_report_words"]))
_FURNITURE = re.compile(_CFG["furniture_line"])
_HEADLINE_LINE = re.compile(_CFG["headline_line"])
_HEADLINE_MAX = int(_CFG["headline_max_chars"])
_DATELINE = re.compile(_CFG["dateline"])
_DATELINE_WINDOW = int(_CFG["dateline_window"])
_NATIONAL = re.compile(alternation(_CFG["national_cues"]))
_TITLE_SPAN = re.compile(_CFG["title_span"])
_FIVE_YEAR = {k: int(v) for k, v in _CFG["five_year_plans"].items()}
_FIVE_YEAR_RE = re.compile(alternation(_FIVE_YEAR))
_HORIZON = re.compile(_CFG["horizon_year"])
_REVIEW = re.compile(alternation(_CFG["review_headings"]))
_GOALS = re.compile(alternation(_CFG["goal_headings"]))
_GOAL_SECTION = re.compile(_CFG["goal_section_opening"], re.M)
# 到/至, a year, 年: a text without them has no goals section, and the scan (re tries ^ at every position) is skipped
_GOAL_SECTION_NEEDS = required_words(_GOAL_SECTION.pattern, _GOAL_SECTION.flags)
# its matches at line starts (it never reads a line break past its ^), found by a scan re jumps through from line break to
# line break: the plain finditer when the lexicon's pattern is not of that form
_GOAL_SECTION_MATCHES = line_start_matches(_GOAL_SECTION) or (lambda norm: ((m.start(), m) for m in _GOAL_SECTION.finditer(norm)))
_LIST_ITEM = re.compile(_CFG["list_item"])
_SENTENCE_END = re.compile(r"[。!?;\n]")
_HEAD_LINES = 8
_FURNITURE_MAX = 200  # a longer line is body text, whatever it opens with

try:  # the gazetteer is optional: without it the document has no region
    from extraction.regions import NATIONAL, RegionInfo, divisions_named, lookup, resolve_document_region_basis
except Exception:  # pragma: no cover
    NATIONAL = RegionInfo = divisions_named = lookup = resolve_document_region_basis = None


@dataclass(frozen=True)
class Decision:
    """One document-level decision: its value, its basis, and the evidence (rule and text) it rests on."""

    value: object
    basis: str = "default"
    rule: str = ""
    evidence: str = ""


_NONE = Decision(None)


@dataclass
class DocumentContext:
    date: Decision = _NONE             # (year, month) the document was written: manifest `published` or dateline
    subject_year: Decision = _NONE     # the year the document reports on
    subject_h1: bool = False           # its title speaks of 上半年
    region: Decision = _NONE           # extraction.regions.RegionInfo
    plan: Decision = Decision(False)   # every figure is a goal (a plan, 实施意见, a goals notice)
    horizon: Decision = _NONE          # the year the goals are set for
    head_end: int = 0                  # norm offset where the body starts (title lines and page furniture above)
    body_opening: tuple[int, int] = (0, 0)  # the body's first sentence
    review_spans: list[tuple[int, int]] = field(default_factory=list)  # a plan's review sections: actuals
    goal_sections: list[tuple[int, int, int]] = field(default_factory=list)  # (start, end, goal year)

    @property
    def doc_year(self) -> int | None:
        return self.date.value[0] if self.date.value else None

    @property
    def doc_month(self) -> int | None:
        return self.date.value[1] if self.date.value else None

    def in_review(self, pos: int) -> bool:
        if not self.review_spans:  # asked for every figure; most documents have none
            return False
        return any(s <= pos < e for s, e in self.review_spans)

    def goal_year(self, pos: int) -> int | None:
        """The goal year of the goals section `pos` sits under (到2025年,…: then a list), or None."""
        if not self.goal_sections:  # asked for many figures; most documents have none
            return None
        return next((y for s, e, y in self.goal_sections if s <= pos < e), None)

    def explain(self) -> dict:
        return {name: {"value": d.value if not hasattr(d.value, "name") else d.value.name, "basis": d.basis,
                       "rule": d.rule, "evidence": d.evidence}
                for name, d in (("date", self.date), ("subject_year", self.subject_year), ("region", self.region),
                                ("plan", self.plan), ("horizon", self.horizon))}


def build_context(document: Document, nt: NormText, cues: list, first_figures: list[int]) -> DocumentContext:
    """The context of `document`. `cues` are the period cues of its normalised text (extraction.periods),
    `first_figures` the sorted start offsets of its mentions."""
    norm = nt.norm
    title_nt = normalize(document.title) if document.title else None
    title = title_nt.norm if title_nt else ""
    ctx = DocumentContext()
    ctx.head_end = _head_end(norm)
    ctx.body_opening = _opening_sentence(norm, ctx.head_end)
    ctx.date = _date(document, norm)
    head = title or (_first_line(norm) if ctx.head_end > 0 else "")  # a body sentence is no title
    head = re.sub(r"《[^》]*》", "", head)
    ctx.subject_h1 = "上半年" in head
    ctx.subject_year = _subject_year(document, head, title, norm, cues, first_figures, ctx)
    ctx.region = _region(document, norm, ctx, nt, title_nt)
    ctx.plan = _plan(norm, document.title, ctx)
    ctx.horizon = _horizon(norm, head, ctx)
    if ctx.plan.value:
        ctx.review_spans = _review_spans(norm)
    ctx.goal_sections = _goal_sections(norm)
    return ctx


def document_region(document: Document):
    """The region of a document with no figures (its dim_document row): the same decision build_context makes."""
    nt = normalize(document.text)
    norm = nt.norm
    ctx = DocumentContext()
    ctx.head_end = _head_end(norm)
    ctx.body_opening = _opening_sentence(norm, ctx.head_end)
    return _region(document, norm, ctx, nt).value


def _first_line(norm: str) -> str:
    for line in norm.split("\n", _HEAD_LINES):
        if line.strip():
            return line.strip()[:80]
    return ""


def _head_end(norm: str) -> int:
    """Where the body starts: after the title lines (short lines without a full stop) and page furniture
    (breadcrumbs, datelines, sources, 原标题) at the top of the text."""
    pos = seen = 0
    while seen < _HEAD_LINES:
        nl = norm.find("\n", pos)
        text = (norm[pos:] if nl < 0 else norm[pos:nl]).strip()
        short_title = len(text) <= _HEADLINE_MAX and "。" not in text
        furniture = len(text) <= _FURNITURE_MAX and (_FURNITURE.match(text) or _HEADLINE_LINE.match(text))
        if text and not (short_title or furniture):
            return pos
        if nl < 0:
            return pos
        seen += bool(text)
        pos = nl + 1
    return pos


def _opening_sentence(norm: str, head_end: int) -> tuple[int, int]:
    m = _SENTENCE_END.search(norm, head_end)
    return head_end, m.start() if m else len(norm)


def _date(document: Document, norm: str) -> Decision:
    m = _DATELINE.match(document.published or "")
    if m:
        return Decision((int(m.group(1)), int(m.group(2))), "dateline", "manifest published", document.published)
    m = _DATELINE.search(norm[:_DATELINE_WINDOW])
    if m:
        return Decision((int(m.group(1)), int(m.group(2))), "dateline", "dateline", m.group(0))
    return _NONE


def _subject_year(document: Document, head: str, title: str, norm: str, cues: list, first_figures: list[int],
                  ctx: DocumentContext) -> Decision:
    if document.year_override:
        return Decision(int(document.year_override), "manifest", "manifest year", str(document.year_override))
    ty = _TITLE_YEAR.search(head)
    if ty and _BULLETIN.search(head) and not _DELIVERED.search(head):
        return Decision(int(ty.group(1)), "title", "bulletin title year", head)
    # the body's opening statement: a year cue of its first sentence before its first figure
    # (去年/今年 count where the document is dated: 「去年,全省…」 in a page of 2014 reports on 2013)
    start, end = ctx.body_opening
    figure = next((p for p in first_figures if p >= start), len(norm))
    for c in cues:
        if c.pos >= min(end, figure):
            break
        if c.pos < start or c.role:
            continue
        if c.kind == "year" and not _DELIVERED.search(norm, c.end, c.end + 24):  # not a report's title year
            return Decision(c.year, "opening", "opening statement", norm[start:min(end, c.end + 12)])
        if c.kind in ("this", "last") and ctx.doc_year:
            year = ctx.doc_year - (c.kind == "last")
            return Decision(year, "opening", "opening statement, dated", norm[start:min(end, c.end + 12)])
    # a report delivered in year Y (政府工作报告) reviews Y-1
    if _DELIVERED.search(head):
        delivered = int(ty.group(1)) if ty else ctx.doc_year
        if delivered:
            return Decision(delivered - 1, "title", "report reviews the year before", head)
    return _NONE


def _region(document: Document, norm: str, ctx: DocumentContext, nt: NormText | None = None,
            title_nt: NormText | None = None) -> Decision:
    # the region resolver converts the text and title to Simplified itself unless their NormTexts already hold it
    simplified = {"body_simplified": nt.simplified if nt else None,
                  "title_simplified": title_nt.simplified if title_nt else None}
    if document.region_override:
        info = lookup(document.region_override) if lookup else None
        if info is None or info.name != document.region_override:
            info = _named_region(document.region_override, info)
        elif len(divisions_named(info.name)) > 1:
            # a name several divisions share: the text's own reading says which, if it resolves to that name
            found, _ = resolve_document_region_basis(document.text, document.title, document.url, **simplified)
            info = found if found is not None and found.name == info.name else replace(info, ambiguous=True)
        return Decision(info, "manifest", "manifest region_zh", document.region_override)
    if resolve_document_region_basis is None:
        return _NONE
    info, basis = resolve_document_region_basis(document.text, document.title, document.url, **simplified)
    if info is not None:
        evidence = document.url if basis == "url" else info.name
        return Decision(info, basis, "gazetteer", evidence)
    if NATIONAL is None:
        return _NONE
    if title_nt is None and document.title:
        title_nt = normalize(document.title)
    title = title_nt.norm if title_nt else ""
    for basis, m in (("title", _NATIONAL.search(title)), ("opening", _NATIONAL.search(norm, 0, ctx.body_opening[1]))):
        if m:
            return Decision(NATIONAL, basis, "national", m.group(0))
    return _NONE


def _named_region(name: str, found):
    """A manifest region the gazetteer does not spell that way: keep the analyst's name."""
    if found is not None:
        return RegionInfo(name, found.level, found.parent, found.province, found.code)
    return RegionInfo(name, "", None, "", None)


def _plan(norm: str, title: str, ctx: DocumentContext) -> Decision:
    if kinds.document_is_plan(norm, title):
        return Decision(True, "title" if title else "opening", "plan document", title or _first_line(norm))
    # a goals notice: the opening paragraph announces what will be done (将…) by a horizon (力争2018年)
    start = ctx.head_end
    nl = norm.find("\n", start)
    opening = norm[start:nl if nl >= 0 else len(norm)]
    m = _HORIZON.search(opening)
    if m and kinds.announces_goals(opening):
        year = int(m.group(1))
        if ctx.doc_year is None or year >= ctx.doc_year:
            return Decision(True, "opening", "goals notice", m.group(0))
    return Decision(False)


def _horizon(norm: str, head: str, ctx: DocumentContext) -> Decision:
    span = _TITLE_SPAN.search(head)
    if span:
        return Decision(int(span.group(2)), "title", "title span", span.group(0))
    fy = _FIVE_YEAR_RE.search(head)
    if fy:
        return Decision(_FIVE_YEAR[fy.group(0)], "title", "five-year plan", fy.group(0))
    if ctx.plan.rule == "goals notice":  # the goal year its opening paragraph announces
        return Decision(int(_HORIZON.search(ctx.plan.evidence).group(1)), "opening", "goal year", ctx.plan.evidence)
    return _NONE


def _review_spans(norm: str) -> list[tuple[int, int]]:
    """A plan's review sections (发展现状, 「十三五」时期的成就): from a review heading to the next goals heading."""
    spans = []
    for m in _REVIEW.finditer(norm):
        line_start = norm.rfind("\n", 0, m.start()) + 1
        if m.start() - line_start > 12:  # a heading opens its line
            continue
        g = _GOALS.search(norm, m.end())
        end = g.start() if g else len(norm)
        if spans and line_start < spans[-1][1]:
            continue
        spans.append((line_start, end))
    return spans


def _goal_sections(norm: str) -> list[tuple[int, int, int]]:
    """Paragraphs that open with a goal year, each with the list items under it (the paragraph after it too,
    when it ends with a colon): (start, end, year). A report that merely opens with 到2020年 governs nothing else."""
    sections: list[tuple[int, int, int]] = []
    if not may_match(_GOAL_SECTION_NEEDS, norm):
        return sections
    for start, m in _GOAL_SECTION_MATCHES(norm):
        if sections and start < sections[-1][1]:
            continue  # an item of the list above (its own goal year is a cue of its paragraph): each line once
        end = _line_end(norm, start)
        introduces = norm[start:end].rstrip().endswith(":")
        while end < len(norm):
            nxt = end + 1
            while nxt < len(norm) and norm[nxt] == "\n":
                nxt += 1
            line_end = _line_end(norm, nxt)
            if not (_LIST_ITEM.match(norm, nxt, line_end) or introduces):
                break
            introduces = False
            end = line_end
        sections.append((start, end, int(m.group(1))))
    return sections


def _line_end(norm: str, pos: int) -> int:
    nl = norm.find("\n", pos)
    return len(norm) if nl < 0 else nl
