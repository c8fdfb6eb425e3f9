"""What is not a figure: dates, document numbers, titles, durations, ordinals, page furniture."""
from __future__ import annotations

import re

from extraction.lexicon_loader import PrunedAlternation, alternation, load, may_match, required_words

_CFG = load("exclusions")
_SPAN_RULES = PrunedAlternation(_CFG["spans"])
_SPANS = _SPAN_RULES.full  # every rule: what blocked_mask finds with the rules its text can match
_FOLLOWED = re.compile(rf"\s?(?:多|余)?(?:{alternation(_CFG['followed_by'])})")
_PRECEDED = re.compile(rf"(?:{alternation(_CFG['preceded_by'])})$")
_PRECEDED_LAST = frozenset(w[-1] for w in _CFG["preceded_by"]) | {"\n"}  # $ also matches before a final \n
_DENOM = re.compile(rf"(?:{alternation(_CFG['denominator_tails'])})")
_FURNITURE = re.compile(rf"^[\s?]*(?:{alternation(_CFG['furniture_lines'])})")
_TEASER = re.compile(_CFG["teaser_line_end"])
_THRESHOLD_LEAD = re.compile(rf"(?:{alternation(_CFG['threshold_lead'])})$")
_THRESHOLD_WORDS = tuple(_CFG["threshold_lead"])
# Matched per line: a multi-line `^[\s?]*` over the whole text rescans every following blank line from each
# line start (quadratic in "\n" * 100000).
_TAIL = re.compile(rf"[\s?]*(?:{alternation(_CFG['furniture_tail'])})")
# _TAIL and _FURNITURE open with [\s?]* and a word: a line opening with another character is matched by neither
_LINE_OPENERS = frozenset(w[0] for w in _CFG["furniture_lines"] + _CFG["furniture_tail"]) | {"?"}
_TEASER_NEEDS = required_words(_TEASER.pattern)  # a text without its ... has no teaser line
_THRESHOLD_WINDOW = int(_CFG["threshold_window"])
_CLAUSE_DELIMITER = re.compile(r"[,。;:!?\n]")
_THRESHOLD_TAIL = re.compile(r"(?:[、和及]?\s*[\d.]+\s*[万亿千]?元)*(以上)?的")


def blocked_mask(norm: str) -> bytearray:
    """1 for every character inside an excluded span or a page-furniture line. Linear in the text's length:
    every pattern either starts at a bounded number of positions (a digit run's first digit) or is
    matched once per line."""
    mask = bytearray(len(norm))
    spans = _SPAN_RULES.finditer_for(norm)
    for m in spans(norm) if spans else ():
        mask[m.start():m.end()] = b"\x01" * (m.end() - m.start())
    start = 0  # of each line: split, not a match object per line
    teasers = may_match(_TEASER_NEEDS, norm)
    for line in norm.split("\n"):
        end = start + len(line)
        if line:
            opens = line[0] in _LINE_OPENERS or line[0].isspace()
            if opens and _TAIL.match(line):  # from the first furniture-tail line to the end: page furniture
                mask[start:] = b"\x01" * (len(norm) - start)
                break
            if opens and _FURNITURE.match(line) or teasers and _TEASER.search(line):
                mask[start:end] = b"\x01" * (end - start)
        start = end + 1
    return mask


# is_date_or_duration's and is_bad_lead's tests as they are, for the number scan (once per number, no wrapper)
date_or_duration_at = _FOLLOWED.match
# what the text right after a date or duration number opens with, bar whitespace: after any other character
# the number scan need not try _FOLLOWED
DATE_FOLLOWER_FIRST = frozenset(w[0] for w in _CFG["followed_by"]) | frozenset("多余")
BAD_LEAD_LAST = _PRECEDED_LAST
bad_lead_before = _PRECEDED.search


def is_date_or_duration(norm: str, num_end: int) -> bool:
    """2016年, 5月, 10周年, 两年来: the number is a date, time or duration."""
    return bool(_FOLLOWED.match(norm, num_end))


def is_bad_lead(norm: str, num_start: int) -> bool:
    if num_start == 0 or norm[num_start - 1] not in _PRECEDED_LAST:
        return False  # no cue word ends right before the number: no need to scan
    return bool(_PRECEDED.search(norm, max(0, num_start - 2), num_start))


DENOMINATOR_TAILS = tuple(_CFG["denominator_tails"])


def denominator_possible(norm: str) -> bool:
    """Can `is_denominator` hold anywhere in the text? Once per text: most hold none of the tails."""
    return any(w in norm for w in DENOMINATOR_TAILS)


def is_denominator(norm: str, unit_end: int) -> bool:
    """全国362个县市中 / 沿岸18个县市第3位: a count that only sets the field of comparison."""
    return bool(_DENOM.match(norm, unit_end))


def threshold_possible(norm: str) -> bool:
    """Can `is_threshold` hold anywhere in the text (a cue word, or 超)? Once per text."""
    return "超" in norm or any(w in norm for w in _THRESHOLD_WORDS)


def is_threshold(norm: str, num_start: int, unit_end: int) -> bool:
    """超过1000亿元的名牌企业: an amount that defines a class of things, not a figure."""
    window = norm[max(0, num_start - _THRESHOLD_WINDOW):num_start]
    if "超" not in window and not window.endswith(_THRESHOLD_WORDS):
        return False  # the clause's lead is the window's tail: no cue in the window, none in the lead
    lead = _CLAUSE_DELIMITER.split(window)[-1]
    if not _THRESHOLD_LEAD.search(lead) and "超" not in lead:
        return False
    tail = norm[unit_end:unit_end + 24]
    m = _THRESHOLD_TAIL.match(tail)
    return bool(m)


def latin_glued(norm: str, start: int, end: int) -> bool:
    """PM2.5, Sw7, 4A级, GB18030: digits glued to Latin letters are codes, not figures."""
    if start > 0:
        before = norm[start - 1]
        if before.isascii() and before.isalpha():
            return True
    if end < len(norm):
        after = norm[end]
        return after.isascii() and after.isalpha()
    return False
