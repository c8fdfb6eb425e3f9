"""When a figure holds: explicit years, 上半年, 今年/去年, 累计/目前 stocks, 每年, target years.

Cues are found once per document. Year and 今年/去年/上半年 cues govern the rest of their paragraph;
stock (累计) and 每年 cues only the rest of their sentence. The nearest cue before a figure wins.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from extraction.lexicon_loader import alternation, compile_guarded, load

_CFG = load("periods")
_REL = _CFG["relative"]
_CUE_RE = compile_guarded("|".join([
    rf"(?P<yh1>{_CFG['year_h1']})",
    rf"(?P<year>{_CFG['year']})",
    rf"(?P<h1>{alternation(_REL['this_year_h1'])})",
    rf"(?P<this>{alternation(_REL['this_year'])})",
    rf"(?P<last>{alternation(_REL['last_year'])})",
    rf"(?P<yend>{alternation(_REL['year_end_target'])})",
    rf"(?P<whole>{alternation(_CFG['whole_year'])})",
    rf"(?P<frame>{alternation(_CFG['cumulative_frame'])})",
    rf"(?P<avg>{alternation(_CFG['average'])})",
    rf"(?P<cumc>{alternation(_CFG['cumulative_carry'])})",
    rf"(?P<cum>{alternation(_CFG['cumulative'])})",
    rf"(?P<weak>{alternation(_CFG['cumulative_weak'])})",
    rf"(?P<annual>{alternation(_CFG['annual'])})",
]))
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
_TITLE_YEAR = re.compile(_CFG["bulletin_title"])
_BULLETIN = re.compile(alternation(_CFG["bulletin_words"]))
_REVIEW_MONTHS = set(_CFG["review_months"])
_DATELINE = re.compile(r"((?:19|20)\d{2})\s*(?:年|-|/|\.)\s*(\d{1,2})\s*(?:月|-|/|\.)\s*(\d{1,2})")
_YEAR_RANGE = compile_guarded(_CFG["year_range"])
_YEAR_RANGE_MARKER = _CFG["year_range_marker"]
_CARRY = bool(_CFG.get("stock_cue_carries", False))
SENTENCE_SCOPED = {"cum", "weak", "annual", "avg"}  # 'frame' and year cues govern the paragraph


@dataclass(frozen=True)
class Cue:
    pos: int
    end: int
    kind: str          # year, yh1, h1, this, last, yend, whole, cum, weak, annual
    year: int | None
    role: str = ""     # compare, target or ""


@dataclass
class PeriodContext:
    doc_year: int | None          # the document's date (manifest, else a dateline near the top)
    doc_month: int | None
    subject_year: int | None      # the year a bulletin reports on (from its title)
    subject_h1: bool
    cues: list[Cue]
    cue_pos: list[int]
    opening: str | None = None    # period set by the body's opening cue (2010年, / 今年来,)
    first_whole: int = -1         # position of the first 全年

    @classmethod
    def build(cls, norm: str, title: str, published: str, mask: bytearray | None = None,
              first_figure: int | None = None) -> "PeriodContext":
        doc_year = doc_month = None
        m = _DATELINE.match(published or "")
        if not m:
            m = _DATELINE.search(norm[:400])
        if m:
            doc_year, doc_month = int(m.group(1)), int(m.group(2))
        head = title or norm.split("\n", 1)[0][:80]
        head = re.sub(r"《[^》]*》", "", head)
        ty = _TITLE_YEAR.search(head)
        subject_year = int(ty.group(1)) if ty and _BULLETIN.search(head) else None
        subject_h1 = "上半年" in head
        cues = []
        for m in _CUE_RE.finditer(norm):
            kind, year, role = m.lastgroup, None, ""
            lead = norm[max(0, m.start() - 4):m.start()]
            if kind in ("year", "yh1"):
                if mask is not None and mask[m.start()]:
                    continue
                year = int(_YEAR_IN.search(m.group(0)).group(0))
                if _BASIS.search(lead):
                    continue
                if _COMPARE.search(lead):
                    role = "compare"
                elif _TARGET_LEAD.search(lead) or _TARGET_TAIL.match(norm, m.end()):
                    role = "target"
            elif kind in ("this", "last", "h1"):
                if _REL_BLOCK_BEFORE.search(lead) or _REL_BLOCK_AFTER.match(norm, m.end()):
                    continue
                if kind == "this" and _THIS_BLOCK.search(lead):
                    continue
            elif kind in ("cum", "cumc", "weak") and _CUM_BLOCK.search(norm, max(0, m.start() - 3), m.start()):
                continue
            cues.append(Cue(m.start(), m.end(), kind, year, role))
        ctx = cls(doc_year, doc_month, subject_year, subject_h1, cues, [c.pos for c in cues])
        op = _OPENING.search(norm[:_OPENING_WINDOW])
        if op and (first_figure is None or op.end() <= first_figure):  # it opens the account
            word = op.group(1)
            y = _YEAR_IN.match(word)
            if y:
                ctx.opening = y.group(0)
            else:
                ctx.opening = ctx._rel("h1" if "上半年" in word else "last" if word == "去年" else "this")
        wholes = [c.pos for c in cues if c.kind == "whole"]
        ctx.first_whole = wholes[0] if wholes else -1
        return ctx

    @staticmethod
    def year_range(norm: str, pos: int, sent_start: int) -> tuple[int, int, int] | None:
        """(end, first year, last year) of a 'YYYY至YYYY年…分别' span before `pos` in its sentence."""
        found = None
        for m in _YEAR_RANGE.finditer(norm, sent_start, pos):
            found = m
        if not found or _YEAR_RANGE_MARKER not in norm[found.end():pos]:
            return None
        return found.end(), int(found.group(1)), int(found.group(2))

    def _before(self, pos: int, floor: int):
        cues = self.cues
        for i in range(bisect.bisect_left(self.cue_pos, pos) - 1, -1, -1):  # nearest first, no copy
            c = cues[i]
            if c.pos < floor:
                break
            if c.end <= pos:
                yield c

    def _rel(self, kind: str) -> str:
        base = self.doc_year
        if kind == "this":
            return str(base) if base else "relative:this_year"
        if kind == "last":
            return str(base - 1) if base else "relative:last_year"
        if kind == "h1":
            return f"{base}H1" if base else "relative:this_year_H1"
        return "unknown"

    def resolve_target(self, pos: int, para_start: int, sent_start: int, sent_end: int) -> str:
        for c in self._before(pos, para_start):
            if c.kind in ("year", "yh1") and c.role == "target":
                return f"target:{c.year}"
            if c.kind == "annual" and c.pos >= sent_start:
                return "target:annual"
            if c.kind == "yend" and self.doc_year:
                return f"target:{self.doc_year}"
        # a deadline may close the sentence (投入100万元…于年底前建成)
        i = bisect.bisect_left(self.cue_pos, pos)
        for c in self.cues[i:]:
            if c.pos >= sent_end:
                break
            if c.kind == "yend" and self.doc_year:
                return f"target:{self.doc_year}"
            if c.kind == "year" and c.role == "target":
                return f"target:{c.year}"
        return "target:unknown"

    def resolve(self, pos: int, para_start: int, sent_start: int, clause_start: int, is_change: bool,
                is_stock: bool = True) -> str:
        """The period of an actual figure at `pos`. Only counts and amounts (`is_stock`) can be
        running totals: a 累计 carries over to the following sentences for them, never for rates."""
        weak_seen = False
        for c in self._before(pos, para_start):
            if c.kind in ("cum", "cumc", "weak") and not is_stock:
                continue
            if c.kind in SENTENCE_SCOPED and c.pos < sent_start:
                continue
            if c.kind == "cumc" and c.pos < sent_start and not _CARRY:
                continue
            if c.kind == "weak":
                weak_seen = True
                continue
            if weak_seen and c.kind in ("cum", "cumc", "annual"):
                return "cumulative"
            if weak_seen and c.kind in ("year", "yh1", "h1", "this", "last") and c.pos < sent_start:
                return "cumulative"  # 先后出台… reaches back past a year named in an earlier sentence
            if c.kind in ("year", "yh1"):
                if c.role == "compare" and (is_change or c.pos < clause_start):
                    continue
                if c.role == "target":
                    continue
                return f"{c.year}H1" if c.kind == "yh1" else str(c.year)
            if c.kind in ("h1", "this", "last"):
                return self._rel(c.kind)
            if c.kind == "whole":
                if self.subject_year:
                    return str(self.subject_year)
                if self.doc_year and self.doc_month in _REVIEW_MONTHS:
                    return str(self.doc_year - 1)
                continue
            if c.kind in ("cum", "cumc", "frame", "avg"):
                return "cumulative"
            if c.kind == "annual":
                return "annual"
        if weak_seen:
            return self.opening or "cumulative"
        if 0 <= self.first_whole < pos:
            if self.subject_year:
                return str(self.subject_year)
            if self.doc_year and self.doc_month in _REVIEW_MONTHS:
                return str(self.doc_year - 1)
        if self.opening:
            return self.opening
        if self.subject_year:
            return f"{self.subject_year}H1" if self.subject_h1 else str(self.subject_year)
        if self.subject_h1:
            return self._rel("h1")
        return "unknown"

