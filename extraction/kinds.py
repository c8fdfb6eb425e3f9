"""Kind: `target` for goals and plans, `actual` for reported figures."""
from __future__ import annotations

import bisect
import re
from functools import cached_property

from extraction.lexicon_loader import alternation, compile_guarded, load, may_match, required_words

_CFG = load("kinds")
_PLAN_TITLE = re.compile(_CFG["plan_title"])
_PLAN_BODY = re.compile(_CFG["plan_body"])
_PLAN_GOALS = re.compile(_CFG["plan_goal_cues"])
_SENTENCE = re.compile(alternation(_CFG["sentence_cues"]))
# its patterns open with a literal, so re jumps from one first character to the next; compile_guarded guards
# it should a pattern of the lexicon open otherwise (re would try every branch at every position)
_SECTION = compile_guarded("|".join([alternation(_CFG["section_cues"])] + _CFG["section_patterns"]))
_ACTUAL = re.compile(alternation(_CFG["actual_cues"]))
_OUTLOOK = re.compile(_CFG["outlook_cues"])
# its cue words (下一步, 今后 …): a text holds none in most cases, and the search, which re tries at every
# position (it opens with a branch on ^), is skipped
_OUTLOOK_NEEDS = required_words(_OUTLOOK.pattern, _OUTLOOK.flags)
_ANNOUNCES = re.compile(_CFG["goal_announcement"])
_REPORTED = re.compile(alternation(_CFG["reported_cues"]))


def announces_goals(text: str) -> bool:
    """Does the text announce what its region will do (我市将开展…, 全县将重点…)?"""
    return bool(_ANNOUNCES.search(text))


def outlook_start(norm: str) -> int:
    """Where a forward-looking closing section starts (len(norm) if none)."""
    m = _OUTLOOK.search(norm) if may_match(_OUTLOOK_NEEDS, norm) else None
    return m.start() if m else len(norm)


def document_is_plan(norm: str, title: str) -> bool:
    head = title or norm.split("\n", 1)[0][:120]
    head = re.sub(r"《[^》]*》|\([^)]*\)", "", head).strip()
    return bool((_PLAN_TITLE.search(head) or _PLAN_BODY.search(norm[:1500])) and _PLAN_GOALS.search(norm))


class _Spans:
    """The matches of one cue regex over a document, found once: whether one lies inside [lo, hi) is a
    bisection (finditer's matches do not overlap, so their ends rise with their starts)."""

    def __init__(self, rx: re.Pattern, norm: str):
        found = [(m.start(), m.end()) for m in rx.finditer(norm)]
        self.starts = [a for a, _ in found]
        self.ends = [b for _, b in found]

    def within(self, lo: int, hi: int) -> bool:
        i = bisect.bisect_left(self.starts, lo)
        return i < len(self.starts) and self.ends[i] <= hi


class GoalCues:
    """The goal and actual cues of one document: each figure's kind is decided by bisections, so a rule
    stays linear in the document's length however long one sentence is."""

    def __init__(self, norm: str):
        self.norm = norm
        self.actual = _Spans(_ACTUAL, norm)
        self.sentence = _Spans(_SENTENCE, norm)
        self.section = _Spans(_SECTION, norm)

    @cached_property
    def reported(self) -> _Spans:
        # asked of a goals notice only (engine._target_basis): most documents never scan for these cues
        return _Spans(_REPORTED, self.norm)

    def target_basis(self, pos: int, sentence_start: int, para_start: int) -> str | None:
        """`sentence` when a goal cue of the figure's sentence makes it a target, `section` when a goals
        section (主要目标, 今年将…, 到2020年) does; None for an actual."""
        # _Spans.within, inlined (once per figure, three times)
        bisect_left = bisect.bisect_left
        spans = self.actual
        i = bisect_left(spans.starts, sentence_start)
        if i < len(spans.starts) and spans.ends[i] <= pos:
            return None
        spans = self.sentence
        i = bisect_left(spans.starts, sentence_start)
        if i < len(spans.starts) and spans.ends[i] <= pos:
            return "sentence"
        spans = self.section
        i = bisect_left(spans.starts, para_start)
        return "section" if i < len(spans.starts) and spans.ends[i] <= pos else None

    def reports_actual(self, start: int, pos: int) -> bool:
        """A cue of an actual (预计…) between `start` and `pos`."""
        return self.actual.within(start, pos)

    def reports_done(self, start: int, end: int) -> bool:
        """去年…, 已…, 累计… between `start` and `end`: the sentence reports what has been done."""
        return self.reported.within(start, end)
