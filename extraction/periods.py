"""When a figure holds: explicit years, 上半年, 今年/去年, 累计/目前 stocks, 每年, target years.

Cues are found once per document. Year and 今年/去年/上半年 cues govern the rest of their paragraph;
stock (累计) and 每年 cues only the rest of their sentence. The nearest cue before a figure wins.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import NamedTuple

from extraction.context import DocumentContext
from extraction.lexicon_loader import alternation, compile_guarded, first_char_search, load, may_match, required_chars

_CFG = load("periods")
_REL = _CFG["relative"]
# The year forms (patterns), then the cue words of the other kinds, in the order the cue pattern tries them
_CUE_FORMS = [("stock", _CFG["dated_stock"]), ("yh1", _CFG["year_h1"]), ("year", _CFG["year"])]
_CUE_WORDS = [("h1", _REL["this_year_h1"]), ("this", _REL["this_year"]), ("last", _REL["last_year"]),
              ("yend", _REL["year_end_target"]), ("whole", _CFG["whole_year"]), ("frame", _CFG["cumulative_frame"]),
              ("avg", _CFG["average"]), ("cumc", _CFG["cumulative_carry"]), ("cum", _CFG["cumulative"]),
              ("weak", _CFG["cumulative_weak"]), ("annual", _CFG["annual"])]
_CUE_PATTERN = "|".join([rf"(?P<{kind}>{p})" for kind, p in _CUE_FORMS]
                        + [rf"(?P<{kind}>{alternation(words)})" for kind, words in _CUE_WORDS])
_CUE_RE = compile_guarded(_CUE_PATTERN)
# _CUE_RE.finditer as two scans: the forms from their first characters, and every word in one alternation of literals
# (each kind's words as alternation orders them, kind after kind), which re jumps through by its first characters,
# where the whole pattern tried its 14 branches at every 1, 2, 年 or 上. A word's kind is the first kind listing it.
_FORM_SEARCH = first_char_search("|".join(rf"(?P<{kind}>{p})" for kind, p in _CUE_FORMS))
_WORD_KIND: dict[str, str] = {}
for _kind, _words in _CUE_WORDS:
    for _w in sorted(set(_words), key=lambda w: (-len(w), w)):  # alternation's order
        _WORD_KIND.setdefault(_w, _kind)
del _kind, _words, _w
_WORD_SEARCH = re.compile("|".join(re.escape(w) for w in _WORD_KIND)).search  # dict order: the order tried


def cue_matches(norm: str):
    """(match, kind) of each `_CUE_RE.finditer(norm)` match (kind: its lastgroup). The leftmost of the next form and
    the next word is the next match; where both start at once the form is, as the pattern tries the forms first."""
    form, word = _FORM_SEARCH(norm, 0), _WORD_SEARCH(norm, 0)
    while form is not None or word is not None:
        if word is None or form is not None and form.start() <= word.start():
            m, kind = form, form.lastgroup
        else:
            m, kind = word, _WORD_KIND[word.group()]
        yield m, kind
        pos = m.end()  # the next match starts here or after: a scan whose match began before it searches again
        if form is not None and form.start() < pos:
            form = _FORM_SEARCH(norm, pos)
        if word is not None and word.start() < pos:
            word = _WORD_SEARCH(norm, pos)


_YEAR_IN = re.compile(r"(?:19|20)\d{2}")
_COMPARE = re.compile(rf"(?:{alternation(_CFG['compare_lead'])})\s*$")
_BASIS = re.compile(rf"(?:{alternation(_CFG['basis_lead'])})\s*$")
_THIS_BLOCK = re.compile(rf"(?:{alternation(_CFG['this_year_blockers_before'])})\s*$")
_OPENING = re.compile(_CFG["opening_cue"])
_OPENING_WINDOW = int(_CFG["opening_window"])
_TARGET_LEAD = re.compile(rf"(?:{alternation(_CFG['target_year_lead'])})\s*$")
_TARGET_TAIL = re.compile(_CFG["target_year_tail"])
_CUM_BLOCK = re.compile(rf"(?:{alternation(_CFG['cumulative_blockers'])})\s*$")
_REL_BLOCK_BEFORE = re.compile(rf"(?:{alternation(_CFG['relative_blockers_before'])})\s*$")
_REL_BLOCK_AFTER = re.compile(rf"(?:{alternation(_CFG['relative_blockers_after'])})")
_REVIEW_MONTHS = set(_CFG["review_months"])
# what a lead that one of the end-anchored lead patterns above matches ends with, bar trailing whitespace:
# a cue whose lead ends otherwise is tried against none of them (most cues)
_LEAD_CUE_LAST = frozenset(w[-1] for key in ("compare_lead", "basis_lead", "target_year_lead", "relative_blockers_before",
                                             "this_year_blockers_before") for w in _CFG[key])
_YEAR_RANGE = compile_guarded(_CFG["year_range"])
_YEAR_RANGE_NEEDS = required_chars(_YEAR_RANGE.pattern)  # 年 and a range word: a text without skips the scan
_YEAR_RANGE_MARKER = _CFG["year_range_marker"]
_CARRY = bool(_CFG.get("stock_cue_carries", False))
SENTENCE_SCOPED = {"cum", "weak", "annual", "avg"}  # 'frame' and year cues govern the paragraph


_UNSET = object()


class Cue(NamedTuple):  # a tuple: built once per cue of a text, several times cheaper than a frozen dataclass
    pos: int
    end: int
    kind: str          # year, yh1, h1, this, last, yend, whole, cum, weak, annual
    year: int | None
    role: str = ""     # compare, target or ""


def find_cues(norm: str, mask: bytearray | None = None) -> list[Cue]:
    """Every period cue of a normalised text, in order."""
    cues = []
    for m, kind in cue_matches(norm):
        year, role = None, ""
        lead = norm[max(0, m.start() - 4):m.start()]
        cued = lead.rstrip()[-1:] in _LEAD_CUE_LAST  # can a lead pattern match at all
        if kind == "stock":
            kind = "year"  # a dated stock is a year cue
        if kind in ("year", "yh1"):
            if mask is not None and mask[m.start()]:
                continue
            year = int(_YEAR_IN.search(m.group(0)).group(0))
            if cued and _BASIS.search(lead):
                continue
            if cued and _COMPARE.search(lead):
                role = "compare"
            elif cued and _TARGET_LEAD.search(lead) or _TARGET_TAIL.match(norm, m.end()):
                role = "target"
        elif kind in ("this", "last", "h1"):
            if cued and _REL_BLOCK_BEFORE.search(lead) or _REL_BLOCK_AFTER.match(norm, m.end()):
                continue
            if kind == "this" and cued and _THIS_BLOCK.search(lead):
                continue
        elif kind in ("cum", "cumc", "weak", "frame") and _CUM_BLOCK.search(norm, max(0, m.start() - 3), m.start()):
            continue
        cues.append(Cue(m.start(), m.end(), kind, year, role))
    return cues


@dataclass
class PeriodContext:
    """Period resolution for one document: its cues, and the document context they fall back to.
    Every resolution returns (period, basis): basis `clause`/`sentence`/`paragraph` for a cue of the
    figure's own clause, sentence or paragraph, else the basis of the document-level decision used."""

    doc: DocumentContext
    cues: list[Cue]
    cue_pos: list[int]
    opening: tuple[str, str] | None = None    # (period, basis) set by the body's opening cue (2010年, / 今年来,)
    first_whole: int = -1                     # position of the first 全年
    ranges: list[tuple[int, int, int, int]] = field(default_factory=list)  # YYYY至YYYY年 spans: start, end, years
    range_ends: list[int] = field(default_factory=list)
    marker_pos: list[int] = field(default_factory=list)  # every 分别
    # the cues that make a target's period from anywhere in its paragraph (a target year, 今年, 年底 in a
    # dated document), found once: resolve_target bisects to the nearest instead of walking back over
    # every cue of a long paragraph (quadratic in a one-line text)
    wide: list[Cue] = field(default_factory=list)
    wide_pos: list[int] = field(default_factory=list)
    _whole: object = None  # _whole_year()'s answer once made (_UNSET until then)

    def __post_init__(self):
        self._whole = _UNSET

    @property
    def doc_year(self) -> int | None:
        return self.doc.doc_year

    @property
    def subject_year(self) -> int | None:
        return self.doc.subject_year.value

    @classmethod
    def build(cls, norm: str, doc: DocumentContext, cues: list[Cue], first_figure: int | None = None) -> "PeriodContext":
        ctx = cls(doc, cues, [c.pos for c in cues])
        op = _OPENING.search(norm[:_OPENING_WINDOW])
        if op and (first_figure is None or op.end() <= first_figure):  # it opens the account
            word = op.group(1)
            y = _YEAR_IN.match(word)
            if y:
                ctx.opening = (y.group(0), "opening")
            else:
                period, _ = ctx._rel("h1" if "上半年" in word else "last" if word == "去年" else "this", "opening")
                ctx.opening = (period, "opening")
        wholes = [c.pos for c in cues if c.kind == "whole"]
        ctx.first_whole = wholes[0] if wholes else -1
        # found once per document, so that each figure's look-up is a bisection, not a scan of its sentence
        ctx.ranges = [(m.start(), m.end(), int(m.group(1)), int(m.group(2))) for m in _YEAR_RANGE.finditer(norm)] \
            if may_match(_YEAR_RANGE_NEEDS, norm) else []
        ctx.range_ends = [r[1] for r in ctx.ranges]
        # the 分别 after a span: year_range's only question, and only asked of a text with spans
        ctx.marker_pos = [m.start() for m in re.finditer(re.escape(_YEAR_RANGE_MARKER), norm)] if ctx.ranges else []
        ctx.wide = [c for c in cues if ctx._target_anywhere(c)]
        ctx.wide_pos = [c.pos for c in ctx.wide]
        return ctx

    def _target_anywhere(self, c: Cue) -> bool:
        """Does the cue give a target its period wherever it sits in the paragraph (see resolve_target)?"""
        return c.kind in ("year", "yh1") and c.role == "target" or c.kind == "yend" and bool(self.doc_year) \
            or c.kind == "this"

    def year_range(self, pos: int, sent_start: int) -> tuple[int, int, int] | None:
        """(end, first year, last year) of a 'YYYY至YYYY年…分别' span before `pos` in its sentence."""
        i = bisect.bisect_right(self.range_ends, pos) - 1  # the last span ending before pos
        if i < 0 or self.ranges[i][0] < sent_start:
            return None
        start, end, first, last = self.ranges[i]
        j = bisect.bisect_left(self.marker_pos, end)  # a 分别 between the span and the figure
        if j >= len(self.marker_pos) or self.marker_pos[j] + len(_YEAR_RANGE_MARKER) > pos:
            return None
        return end, first, last

    def cue_before(self, pos: int, end: int) -> bool:
        """Is there a cue at or after `pos` and before `end`? (A bisection: callers skip work when not.)"""
        i = bisect.bisect_left(self.cue_pos, pos)
        return i < len(self.cue_pos) and self.cue_pos[i] < end

    def year_after(self, pos: int, end: int) -> int | None:
        """A plain year named after `pos` and before `end` (16个品牌进入2020年度…500强: the figure's own year)."""
        for i in range(bisect.bisect_left(self.cue_pos, pos), len(self.cues)):  # no copy of the list per figure
            c = self.cues[i]
            if c.pos >= end:
                break
            if c.kind == "year" and not c.role:
                return c.year
        return None

    def _before(self, pos: int, floor: int):
        cues = self.cues
        for i in range(bisect.bisect_left(self.cue_pos, pos) - 1, -1, -1):  # nearest first, no copy
            c = cues[i]
            if c.pos < floor:
                break
            if c.end <= pos:
                yield c

    def _rel(self, kind: str, scope: str) -> tuple[str, str]:
        """今年/去年/上半年: a year when the document is dated (basis: the date's), else relative."""
        base = self.doc_year
        basis = self.doc.date.basis if base else scope
        if kind == "this":
            return (str(base), basis) if base else ("relative:this_year", scope)
        if kind == "last":
            return (str(base - 1), basis) if base else ("relative:last_year", scope)
        if kind == "h1":
            return (f"{base}H1", basis) if base else ("relative:this_year_H1", scope)
        return "unknown", "default"

    def _whole_year(self) -> tuple[str, str] | None:
        """全年 in a document about a year: that year; in a review published early in a year: the year before.
        A decision about the document: made once (asked for many of its figures)."""
        if self._whole is _UNSET:
            self._whole = self._decide_whole_year()
        return self._whole

    def _decide_whole_year(self) -> tuple[str, str] | None:
        if self.subject_year:
            return str(self.subject_year), self.doc.subject_year.basis
        if self.doc_year and self.doc.doc_month in _REVIEW_MONTHS:
            return str(self.doc_year - 1), self.doc.date.basis
        return None

    @staticmethod
    def _scope(c: Cue, sent_start: int, clause_start: int) -> str:
        return "clause" if c.pos >= clause_start else "sentence" if c.pos >= sent_start else "paragraph"

    def resolve_target(self, pos: int, para_start: int, sent_start: int, sent_end: int) -> tuple[str, str]:
        # the nearest cue that decides, first in the figure's sentence (every rule), then before it in the
        # paragraph (only the cues that decide from anywhere: self.wide)
        found = next((c for c in self._before(pos, max(sent_start, para_start)) if self._target_of(c, sent_start)), None)
        if found is None:
            i = bisect.bisect_left(self.wide_pos, sent_start) - 1
            while i >= 0 and self.wide_pos[i] >= para_start:
                if self.wide[i].end <= pos:
                    found = self.wide[i]
                    break
                i -= 1
        if found is not None:
            return self._target_of(found, sent_start)
        return self._target_after(pos, sent_end)

    def _target_of(self, c: Cue, sent_start: int) -> tuple[str, str] | None:
        """The target period a cue before the figure gives it, or None when it gives none."""
        scope = self._scope(c, sent_start, sent_start)
        if c.kind in ("year", "yh1") and c.role == "target":
            return f"target:{c.year}", scope
        if c.kind == "year" and not c.role and c.pos >= sent_start:
            return f"target:{c.year}", scope  # 2021年,全市将新增…
        if c.kind == "annual" and c.pos >= sent_start:
            return "target:annual", scope
        if c.kind == "yend" and self.doc_year:
            return f"target:{self.doc_year}", self.doc.date.basis
        if c.kind == "this":
            period, basis = self._rel("this", scope)
            return (f"target:{period}", basis) if period.isdigit() else (period, basis)
        return None

    def _target_after(self, pos: int, sent_end: int) -> tuple[str, str]:
        """No cue before the figure decided: a cue after it in its sentence, its goals section, the horizon."""
        # a deadline may close the sentence (投入100万元…于年底前建成)
        for i in range(bisect.bisect_left(self.cue_pos, pos), len(self.cues)):
            c = self.cues[i]
            if c.pos >= sent_end:
                break
            if c.kind == "yend" and self.doc_year:
                return f"target:{self.doc_year}", self.doc.date.basis
            if c.kind == "year" and c.role == "target":
                return f"target:{c.year}", "sentence"
        goal_year = self.doc.goal_year(pos)
        if goal_year:
            return f"target:{goal_year}", "section"
        horizon = self.doc.horizon
        if horizon.value:
            return f"target:{horizon.value}", horizon.basis
        return "target:unknown", "default"

    def resolve(self, pos: int, para_start: int, sent_start: int, clause_start: int, is_change: bool,
                is_stock: bool = True) -> tuple[str, str]:
        """The period of an actual figure at `pos`, and its basis. Only counts and amounts (`is_stock`) can be
        running totals: a 累计 carries over to the following sentences for them, never for rates."""
        weak_seen = None
        cues = self.cues
        for i in range(bisect.bisect_left(self.cue_pos, pos) - 1, -1, -1):  # self._before, inlined: once per figure
            c = cues[i]
            if c.pos < para_start:
                break
            if c.end > pos:
                continue
            if c.kind in ("cum", "cumc", "weak") and not is_stock:
                continue
            if c.kind in SENTENCE_SCOPED and c.pos < sent_start:
                continue
            if c.kind == "cumc" and c.pos < sent_start and not _CARRY:
                continue
            scope = "clause" if c.pos >= clause_start else "sentence" if c.pos >= sent_start else "paragraph"  # _scope
            if c.kind == "weak":
                weak_seen = weak_seen or scope
                continue
            if weak_seen and c.kind in ("cum", "cumc", "annual"):
                return "cumulative", weak_seen
            if weak_seen and c.kind in ("year", "yh1", "h1", "this", "last") and c.pos < sent_start:
                return "cumulative", weak_seen  # 先后出台… reaches back past a year named in an earlier sentence
            if c.kind in ("year", "yh1"):
                if c.role == "compare" and (is_change or c.pos < clause_start):
                    continue
                if c.role == "target":
                    continue
                return (f"{c.year}H1" if c.kind == "yh1" else str(c.year)), scope
            if c.kind in ("h1", "this", "last"):
                return self._rel(c.kind, scope)
            if c.kind == "whole":
                whole = self._whole_year()
                if whole:
                    return whole
                continue
            if c.kind in ("cum", "cumc", "frame", "avg"):
                return "cumulative", scope
            if c.kind == "annual":
                return "annual", scope
        if weak_seen:
            return self.opening or ("cumulative", weak_seen)
        if 0 <= self.first_whole < pos:
            whole = self._whole_year()
            if whole:
                return whole
        return self.document_period()

    def document_period(self) -> tuple[str, str]:
        """The period a figure with no cue of its own inherits from the document."""
        if self.opening:
            return self.opening
        if self.subject_year:
            return (f"{self.subject_year}H1" if self.doc.subject_h1 else str(self.subject_year)), self.doc.subject_year.basis
        if self.doc.subject_h1:
            return self._rel("h1", "title")
        return "unknown", "default"
