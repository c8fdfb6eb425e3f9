"""Numbers as written: Arabic (thousands separators, decimals) and Chinese numerals."""
from __future__ import annotations

import math
import re
from functools import lru_cache

from extraction.lexicon_loader import load

try:
    import cn2an
except Exception:  # pragma: no cover
    cn2an = None

_CFG = load("numerals")
_DIGITS: dict = _CFG["digits"]
_UNITS: dict = _CFG["units"]

CN_CHARS = "".join(_DIGITS) + "".join(_UNITS)
# Bounded: the longest numeral a document writes (九千九百九十九万九千九百九十九) has 15 characters, and
# an unbounded `+` makes every pattern built on it rescan a long run ("亿" * 50000) from each position.
CN_NUMBER_MAX_CHARS = 24
CN_NUMBER = f"[{CN_CHARS}]{{1,{CN_NUMBER_MAX_CHARS}}}"
# An Arabic number: 1,234.5 or 1234.5 (not glued to another digit or decimal point). Written
# (?<![\d.])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?!\d) with its first digit taken out in front and the lookbehind
# after it (on the character before that digit): re then jumps from digit to digit, where a pattern opening
# with the lookbehind is tried at every position of the text (the same matches: see test_speedups).
ARABIC_RE = re.compile(r"\d(?<![\d.]\d)(?:\d{0,2}(?:,\d{3})+|\d*)(?:\.\d+)?(?!\d)")


# Above this a number has no finite canonical value (× a unit up to 万亿, 1e12; a double ends at 1.8e308).
MAX_REPRESENTABLE = 1e290


def representable(value: float | None) -> bool:
    """A number a figure can hold: finite, and finite once scaled to its canonical unit (None: no number)."""
    return value is None or (math.isfinite(value) and abs(value) <= MAX_REPRESENTABLE)


def parse_arabic(text: str) -> float:
    """The number written; inf for one beyond a double (400 digits): callers keep representable values only."""
    return float(text.replace(",", ""))


def _own_cn(text: str) -> float | None:
    """Small fallback converter for plain numerals up to 万 (一百二十, 两千, 十五)."""
    total, section, digit = 0, 0, None
    for ch in text:
        if ch in _DIGITS:
            digit = _DIGITS[ch]
        elif ch in _UNITS:
            mult = _UNITS[ch]
            if mult >= 10000:
                section = (section + (digit or 0)) * mult
                total, section = total + section, 0
            else:
                section += (1 if digit is None else digit) * mult
            digit = None
        else:
            return None
    return float(total + section + (digit or 0))


@lru_cache(maxsize=8192)  # numerals are few (一, 两, 十二, 三百): cn2an's strict parse is the cost
def cn_to_number(text: str) -> float | None:
    """Convert a Chinese numeral (六, 两, 十二, 一百二十) to a number, or None if it is not one."""
    if not text or any(ch not in _DIGITS and ch not in _UNITS for ch in text):
        return None
    if cn2an is not None:
        try:
            return float(cn2an.cn2an(text.replace("两", "二"), "strict"))
        except Exception:
            pass
    return _own_cn(text)
