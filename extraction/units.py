"""Units after a number: magnitude prefixes (万/亿/千), base units and their families."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from extraction.lexicon_loader import alternation, load

_CFG = load("units")
PREFIXES: dict = _CFG["prefixes"]
BASES: dict = _CFG["bases"]
BIG_MEASURES: list = _CFG["big_measures"]
IMPLIED_BY_METRIC: dict = _CFG["implied_by_metric"]

_PREFIX = alternation(PREFIXES)
_BASE = alternation(list(BASES) + BIG_MEASURES)
_BARE = alternation(_CFG["bare_prefixes"])
# [prefix] base, or a bare prefix not followed by another CJK measure
_NOT_BEFORE = {base: re.compile(alternation(words)) for base, words in _CFG["base_not_before"].items()}
# a count's alternative measure written after it in parentheses: 687台(套), 316个(件)
_COUNT_BASES = alternation(b for b, f in BASES.items() if f == "count")
_ALTERNATE = re.compile(rf"\((?:{_COUNT_BASES})\)")
UNIT_RE = re.compile(rf"(?P<prefix>{_PREFIX})?(?P<approx>多|余)?(?P<base>{_BASE})|(?P<bare>{_BARE})(?P<bare_approx>多|余)?")


@dataclass(frozen=True)
class Unit:
    text: str            # as matched in the normalised text
    multiplier: float    # magnitude prefix; ‰ handled in canonical()
    family: str          # money, percent, permille, points, count, physical, ratio, rank, none


NO_UNIT = Unit("", 1.0, "none")


@lru_cache(maxsize=4096)
def _unit(text: str, multiplier: float, family: str) -> Unit:
    """A shared Unit: building a frozen dataclass costs more than the lookup (a unit per number)."""
    return Unit(text, multiplier, family)


def match_unit(norm: str, pos: int) -> tuple[Unit, int]:
    """The unit starting at `pos` (after optional spaces), and its end; NO_UNIT if none."""
    return match_unit_approx(norm, pos)[:2]


# What a matched unit text reads as: UNIT_RE has no lookaround, so the groups of a match are those of its text wherever
# it is matched (a path that gives the same text is tried first in both places). Keyed by that text (a few hundred
# prefix × base combinations at most): the reading is made once, not once per number.
_BARE, _NONE, _BASE_UNIT = 0, 1, 2
_READINGS: dict[str, tuple] = {}


def _reading(m: re.Match) -> tuple:
    prefix, approx, base, bare, bare_approx = m.groups()
    approx_any = approx or bare_approx or ""
    if bare:
        return _BARE, approx_any, _unit(bare, float(PREFIXES[bare]), "count"), len(bare), None, "", 1.0, "", False
    if approx and not prefix:
        return _NONE, approx_any, NO_UNIT, 0, None, "", 1.0, "", False
    family = BASES.get(base, "count")
    mult = float(PREFIXES[prefix]) if prefix else 1.0
    if family == "ratio":
        mult = 1.0
    # 3万余人: the 余 sits inside the unit; report the unit without it (万人) and let the caller see it
    text = (prefix or "") + base
    return _BASE_UNIT, approx_any, _unit(text, mult, family), 0, _NOT_BEFORE.get(base), text, mult, family, family == "count"


def match_unit_approx(norm: str, pos: int) -> tuple[Unit, int, str]:
    """`match_unit(norm, pos)` and `inner_approx(norm, pos)` from one match of the unit pattern (the number
    scan wants both for every number)."""
    p = pos
    if norm.startswith(" ", p):  # up to two spaces before the unit
        p += 1
        if norm.startswith(" ", p):
            p += 1
    m = UNIT_RE.match(norm, p)
    if not m:
        return NO_UNIT, pos, ""
    key = m.group(0)
    reading = _READINGS.get(key)
    if reading is None:
        reading = _READINGS[key] = _reading(m)
    kind, approx_any, unit, bare_len, not_before, text, mult, family, is_count = reading
    # inner_approx matches at pos itself: after a space there is no unit there
    approx_in = approx_any if p == pos else ""
    if kind == _BARE:
        return unit, p + bare_len, approx_in  # the bare prefix opens the match: its end is p + its length
    if kind == _NONE:
        return NO_UNIT, pos, approx_in
    end = m.end()
    if not_before is not None and not_before.match(norm, end):
        return NO_UNIT, pos, approx_in
    if is_count:
        alt = _ALTERNATE.match(norm, end)
        if alt:
            return _unit(text + alt.group(0), mult, family), alt.end(), approx_in
    return unit, end, approx_in


def inner_approx(norm: str, pos: int) -> str:
    """多/余 written inside a unit (3万余人, 1.2万多户), or ''."""
    m = UNIT_RE.match(norm, pos)
    if not m:
        return ""
    return m.group("approx") or m.group("bare_approx") or ""


def unit_from_text(text: str) -> Unit:
    """A unit named in a table header, e.g. 亿元, %, 人."""
    m = UNIT_RE.fullmatch(text.strip())
    if not m:
        return NO_UNIT
    return match_unit(text.strip(), 0)[0]


def canonical(value: float | None, unit: Unit) -> float | None:
    if value is None:
        return None
    # 15 significant digits drop binary noise (632.8 × 1e8 = 63279999999.99999) and keep every written digit.
    x = value / 10 if unit.family == "permille" else value * unit.multiplier
    if x.is_integer() and -1e15 < x < 1e15:
        return x  # a whole number of at most 15 digits: the rounding below would give it back unchanged
    return float(f"{x:.15g}")
