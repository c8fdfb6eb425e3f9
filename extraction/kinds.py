"""Kind: `target` for goals and plans, `actual` for reported figures."""
from __future__ import annotations

import re

from extraction.lexicon_loader import alternation, load

_CFG = load("kinds")
_PLAN_TITLE = re.compile(_CFG["plan_title"])
_PLAN_BODY = re.compile(_CFG["plan_body"])
_PLAN_GOALS = re.compile(_CFG["plan_goal_cues"])
_SENTENCE = re.compile(alternation(_CFG["sentence_cues"]))
_SECTION = re.compile("|".join([alternation(_CFG["section_cues"])] + _CFG["section_patterns"]))
_ACTUAL = re.compile(alternation(_CFG["actual_cues"]))
_OUTLOOK = re.compile(_CFG["outlook_cues"])
_ANNOUNCES = re.compile(_CFG["goal_announcement"])
_REPORTED = re.compile(alternation(_CFG["reported_cues"]))


def reports_done(sentence: str) -> bool:
    """去年…, 已…, 累计…: the sentence reports what has been done."""
    return bool(_REPORTED.search(sentence))


def announces_goals(text: str) -> bool:
    """Does the text announce what its region will do (我市将开展…, 全县将重点…)?"""
    return bool(_ANNOUNCES.search(text))


def outlook_start(norm: str) -> int:
    """Where a forward-looking closing section starts (len(norm) if none)."""
    m = _OUTLOOK.search(norm)
    return m.start() if m else len(norm)


def document_is_plan(norm: str, title: str) -> bool:
    head = title or norm.split("\n", 1)[0][:120]
    head = re.sub(r"《[^》]*》|\([^)]*\)", "", head).strip()
    return bool((_PLAN_TITLE.search(head) or _PLAN_BODY.search(norm[:1500])) and _PLAN_GOALS.search(norm))


def target_basis(norm: str, pos: int, sentence_start: int, para_start: int) -> str | None:
    """`sentence` when a goal cue of the figure's sentence makes it a target, `section` when a goals
    section (主要目标, 今年将…, 到2020年) does; None for an actual."""
    sentence = norm[sentence_start:pos]
    if _ACTUAL.search(sentence):
        return None
    if _SENTENCE.search(sentence):
        return "sentence"
    return "section" if _SECTION.search(norm, para_start, pos) else None


def reports_actual(norm: str, start: int, pos: int) -> bool:
    """A cue of an actual (预计…) between `start` and `pos`."""
    return bool(_ACTUAL.search(norm, start, pos))


def is_target(norm: str, pos: int, sentence_start: int, para_start: int) -> bool:
    return target_basis(norm, pos, sentence_start, para_start) is not None
