"""Qualifiers: exact / at_least / at_most / more_than / approx / range / decrease."""
from __future__ import annotations

import re

from extraction.lexicon_loader import alternation, load

_CFG = load("qualifiers")
_BEFORE = [(q, re.compile(rf"(?:{alternation(words)})(?:了|到|达|至)?\s*$")) for q, words in _CFG["before"].items()]
_AFTER = [(q, re.compile(rf"\s*(?:{alternation(words)})")) for q, words in _CFG["after"].items()]
# Most numbers have no cue at all: one regex over every word says so before the rules are tried in order
_ANY_BEFORE = re.compile(rf"(?:{alternation(w for words in _CFG['before'].values() for w in words)})(?:了|到|达|至)?\s*$")
# what a lead that _ANY_BEFORE matches ends with, bar trailing spaces (most numbers have no cue before them)
_BEFORE_LAST = frozenset(w[-1] for words in _CFG["before"].values() for w in words) | frozenset("了到达至")
_ANY_AFTER = re.compile(rf"\s*(?:{alternation(w for words in _CFG['after'].values() for w in words)})")
BETWEEN = {w: q for q, words in _CFG["between"].items() for w in words}
RANGE_SEP = alternation(_CFG["range_separators"])
RANGE_SEP_FIRST = frozenset(w[0] for w in _CFG["range_separators"])  # what a range tail opens with, bar whitespace
_CLAUSE_DECREASE = re.compile(rf"^\s*(?:{alternation(_CFG['clause_decrease'])})")


CLAUSE_DECREASE_WORDS = tuple(_CFG["clause_decrease"])


def clause_decreases(clause_lead: str) -> bool:
    return bool(_CLAUSE_DECREASE.match(clause_lead))


AFTER_WORDS = tuple(w for words in _CFG["after"].values() for w in words)
_AFTER_FIRST = frozenset(w[0] for w in AFTER_WORDS)  # what a cue after a number opens with, bar whitespace


def after_possible(norm: str) -> bool:
    """Can a cue after a number (以上, 左右) occur in the text at all? Once per text, for `qualifier_for`."""
    return any(w in norm for w in AFTER_WORDS)


def qualifier_for(norm: str, num_start: int, between: str, tail_pos: int, is_range: bool,
                  after: bool = True) -> tuple[str, int]:
    """The qualifier of a number, and the end of any trailing cue (以上, 左右) it consumed. `after=False`:
    the text holds no cue after a number (after_possible), and none is looked for."""
    last = norm[num_start - 1] if num_start else ""
    if last in _BEFORE_LAST or last.isspace():  # else the lead's last character ends no cue: it is not cut out
        lead = norm[max(0, num_start - 6):num_start]
        tail = lead.rstrip()
        cued = bool(tail) and tail[-1] in _BEFORE_LAST and _ANY_BEFORE.search(lead)
        before = next((q for q, rx in _BEFORE if rx.search(lead)), None) if cued else None
    else:
        before = None
    after_q, after_end = None, tail_pos
    first = norm[tail_pos:tail_pos + 1]  # _ANY_AFTER opens with \s* then a cue word: most numbers have neither
    if after and first and (first in _AFTER_FIRST or first.isspace()) and _ANY_AFTER.match(norm, tail_pos):
        for q, rx in _AFTER:
            m = rx.match(norm, tail_pos)
            if m:
                after_q, after_end = q, m.end()
                break
    if before == "decrease":
        return "decrease", after_end
    if is_range:
        return "range", after_end
    if between in BETWEEN:
        return BETWEEN[between], after_end
    if before:
        return before, after_end
    if after_q:
        return after_q, after_end
    return "exact", after_end
