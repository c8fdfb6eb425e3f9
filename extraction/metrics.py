"""The metric phrase a number measures: the noun phrase before it in its clause, or the one after
it when the number comes first (422家企业通过质量体系认证)."""
from __future__ import annotations

import re
from functools import lru_cache

from extraction.lexicon_loader import alternation, compile_guarded, load

_CFG = load("metrics")
_DELIMS = set(_CFG["delimiters"])
_LEAD = re.compile(rf"^(?:\s|(?:{alternation(_CFG['strip_leading'])}))+")
_TRAIL = compile_guarded(rf"(?:\s|(?:{alternation(_CFG['strip_trailing'])}))+$")
_EMPTY = set(_CFG["empty_metric"])
_SCOPE_ONLY = re.compile(_CFG["scope_only"])
_CJK = re.compile(r"[\u4e00-\u9fffA-Za-z]")
_TWO_CJK = re.compile(r"[\u4e00-\u9fffA-Za-z][^\u4e00-\u9fffA-Za-z]*[\u4e00-\u9fffA-Za-z]")  # finds, not lists
_QUOTES = "“”\"‘’「」『』()[]【】"
_QUOTES_AND_SPACE = _QUOTES + " "
_CLAUSE_REACH = 61  # clause_start looks back at most this many characters
# Greedy up to the last delimiter of a window: its end is where the clause after it starts
_THROUGH_LAST_DELIMITER = re.compile("(?s:.*)[" + "".join(re.escape(d) for d in sorted(_DELIMS)) + "]")
_BRACKETS = re.compile(r"[()\[\]【】]+")
# Characters a leading cut can open with, and a trailing cut can end with: a phrase that opens (ends) with
# none of them, nor with a space, has nothing to cut there, and trim skips the pattern (it runs per figure)
_LEAD_FIRST = frozenset(w[0] for w in _CFG["strip_leading"]) | frozenset("()[]【】")
_BRACKET_FIRST = frozenset("()[]【】")
_TRAIL_LAST = frozenset(w[-1] for w in _CFG["strip_trailing"])


def clause_start(norm: str, pos: int, floor: int) -> int:
    """Start of the clause that ends at `pos` (after the last delimiter, not before `floor`)."""
    i = pos
    if i - 2 >= floor and i > 0 and norm[i - 1] == "\n" and _CJK.match(norm[i - 2]):
        i -= 1  # a line wrapped right before the number: the clause continues on the line above
    if i <= floor:
        return i
    # right after the last delimiter before i, but not before floor nor more than 61 characters back
    lo = max(floor, pos - _CLAUSE_REACH)
    m = _THROUGH_LAST_DELIMITER.match(norm, lo, i)
    return m.end() if m else lo


def clause_end(norm: str, pos: int, ceiling: int) -> int:
    i = pos
    while i < ceiling and norm[i] not in _DELIMS and norm[i] not in ",。;(" and not norm[i].isdigit() and i - pos < 40:
        i += 1
    return i


# The phrases a text's figures are read from repeat (同比增长, 比上年, a metric stated twice): their cuts and
# verdicts are remembered, a bounded number of them (per process, not per document).
_PHRASES = 4096


def trim(text: str, start: int) -> tuple[int, int]:
    """Offsets (relative to text start `start`) of `text` with leading/trailing cue words removed."""
    a, b = _trim(text)
    return start + a, start + b


@lru_cache(maxsize=_PHRASES)
def _trim(text: str) -> tuple[int, int]:
    a = 0
    if text and (text[0] in _LEAD_FIRST or text[0].isspace()):
        while True:  # brackets and cue words may alternate at the start: (全市为
            m = _LEAD.match(text, a) or _BRACKETS.match(text, a)
            if not m or m.end() == a:
                break
            a = m.end()
            # past the start only brackets can follow (_LEAD is anchored at ^)
            if a >= len(text) or text[a] not in _BRACKET_FIRST:
                break
    t = _TRAIL.search(text, a) if text and (text[-1] in _TRAIL_LAST or text[-1].isspace()) else None
    b = t.start() if t else len(text)
    return a, max(a, b)


@lru_cache(maxsize=_PHRASES)
def is_substantive(text: str) -> bool:
    core = text.strip(_QUOTES_AND_SPACE)
    return bool(_TWO_CJK.search(core)) and core not in _EMPTY and not _SCOPE_ONLY.match(core)


def left_metric(norm: str, num_start: int, floor: int, cs: int | None = None) -> tuple[int, int]:
    """`cs`: clause_start(norm, num_start, floor) when the caller has it already."""
    if cs is None:
        cs = clause_start(norm, num_start, floor)
    if cs == num_start and cs - 2 >= floor and norm[cs - 1] == "\n" and _CJK.match(norm[cs - 2]):
        cs = clause_start(norm, cs - 1, floor)  # a line wrapped between metric and number
        return trim(norm[cs:num_start - 1], cs)
    a, b = _trim(norm[cs:num_start])  # trim, inlined (once per figure)
    return cs + a, cs + b


def right_metric(norm: str, end: int, ceiling: int) -> tuple[int, int]:
    ce = clause_end(norm, end, ceiling)
    return trim(norm[end:ce], end)
