"""Find numeric mentions in normalised text: Arabic numbers with units and ranges, ratios,
ranks, and the few Chinese-numeral forms that are figures (六次蝉联, 两个标准, 千亿级, 零事故)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from operator import attrgetter

from extraction import exclusions
from extraction.lexicon_loader import alternation, cheapest_first, compile_guarded, load, may_match, required_chars, required_words
from extraction.numerals import ARABIC_RE, CN_CHARS, CN_NUMBER, CN_NUMBER_MAX_CHARS, MAX_REPRESENTABLE, cn_to_number, parse_arabic
from extraction.qualifiers import RANGE_SEP, RANGE_SEP_FIRST, after_possible, qualifier_for
from extraction.units import IMPLIED_BY_METRIC, NO_UNIT, Unit, match_unit, match_unit_approx

_NUM = load("numerals")


@dataclass(slots=True, init=False)  # one per number of a text: slots make them cheaper to build and read
class Mention:
    num_start: int          # norm offset of the (first) number
    end: int                # norm offset after unit and trailing qualifier cue
    value: float
    value_max: float | None
    unit: Unit
    unit_span: tuple[int, int] | None   # norm span of the written unit, None if implied
    qualifier: str
    implied_unit: str       # unit_zh when the unit is not written (第八 → 位)
    kind_hint: str          # rank, ratio, table, streak, or ""
    extras: dict | None     # a table cell's metric and column (None: one dict per number costs)
    start: int              # norm offset where the mention's own text starts (≤ num_start)

    # written out, not generated: a generated __init__ would call a __post_init__ for `start`, twice the calls
    def __init__(self, num_start: int, end: int, value: float, value_max: float | None, unit: Unit,
                 unit_span: tuple[int, int] | None, qualifier: str, implied_unit: str = "", kind_hint: str = "",
                 extras: dict | None = None, start: int = -1):
        self.num_start = num_start
        self.end = end
        self.value = value
        self.value_max = value_max
        self.unit = unit
        self.unit_span = unit_span
        self.qualifier = qualifier
        self.implied_unit = implied_unit
        self.kind_hint = kind_hint
        self.extras = extras
        self.start = num_start if start < 0 else start


_RANGE_TAIL = re.compile(rf"\s*(?:{RANGE_SEP})\s*(?=\d)")
_MID = re.compile(r"\s?(多|余)")
# (?<![\d.:])\d+(?:\.\d+)?(?:\s*[:]\s*\d+(?:\.\d+)?){1,3}(?![\d:]) with its first digit in front and the lookbehind
# after it, as numerals.ARABIC_RE: re skips from digit to digit instead of trying a guard at every position
_RATIO = re.compile(r"\d(?<![\d.:]\d)\d*(?:\.\d+)?(?:\s*[:]\s*\d+(?:\.\d+)?){1,3}(?![\d:])")
_RATIO_NUM = re.compile(r"\d+(?:\.\d+)?")
# every _RATIO match holds a colon with a digit after it: a literal re jumps to (a digit-led scan tries every digit)
_RATIO_COLON = re.compile(r":\s*\d")
_RANK_LEAD = re.compile(rf"(?:{alternation(_NUM['rank_lead'])})\s*$")
_RANK_FOLLOWERS = set(_NUM["rank_followers"])
_ORD_TAIL = re.compile(rf"(?:{alternation(_NUM['ordinal_tails'])})")
_CN_RANK = re.compile(rf"第({CN_NUMBER})(位|名)?")
_AR_RANK = re.compile(r"第\s*(\d+)\s*(位|名|个)?")
_NO_RANK = re.compile(r"(?i)(?<![A-Za-z])NO\.\s*(\d+)")
_MOVE_RANK = re.compile(r"(?:前进|上升|后退|下降|提升|前移|跃升)了?\s*(\d+|[一二两三四五六七八九十]+)\s*(位|名)")
# (?<![第每这那之前一二两三四五六七八九十百千])(CN_NUMBER)(measure) with the numeral's first character in front and the
# lookbehind after it (inside the group, which still spans the whole numeral): re skips from numeral to numeral
_CN_COUNT = re.compile(rf"([{CN_CHARS}](?<![第每这那之前一二两三四五六七八九十百千][{CN_CHARS}])[{CN_CHARS}]{{0,{CN_NUMBER_MAX_CHARS - 1}}})"
                       rf"({alternation(_NUM['count_measures'])})")
_COUNT_HEADS = re.compile(alternation(_NUM["count_heads"]))
_COUNT_NONHEADS = re.compile(alternation(_NUM["count_nonheads"]))
_TIMES_VERBS = re.compile(alternation(_NUM["times_verbs"]))
_STREAK = compile_guarded(_NUM["streak"])
_ZERO = re.compile(rf"零({alternation(_NUM['zero_nouns'])})")
_MAG_CLASS = re.compile(rf"(?:{alternation(_NUM['magnitude_class_verbs'])})([百千万])亿(元)?级?")
_MAG_MORE_THAN = frozenset(_NUM["magnitude_class_more_than"])
# the lookbehind starts a match only at a run's first numeral: linear on a long run of numerals
_FRACTION = compile_guarded(r"(?<![一二两三四五六七八九十百])([一二两三四五六七八九十百]+)分之([一二两三四五六七八九十百]+)")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_IMPLIED = re.compile(rf"(?:{alternation(IMPLIED_BY_METRIC)})\s*(?:为|达|达到|是)?\s*$")
_SHARED_UNIT = re.compile(r"\s*[、和及]\s*(?:\d+(?:\.\d+)?\s*[、和及]\s*)*\d+(?:\.\d+)?(?=\s*[^\d\s、和及.])")
_POSITION_UNIT = re.compile(r"\s*(位|名)")
_TAIL_BREAK = re.compile(r"[,。;:、!?\n]")  # compiled once: split per Chinese count
# the characters a text must hold for these whole-text scans to find anything: a text without them skips the
# scan (each runs over every position of the text; most texts hold no 分之, and many no ratio colon)
_RATIO_NEEDS = required_chars(_RATIO.pattern)
_FRACTION_NEEDS = required_chars(_FRACTION.pattern)
_CN_COUNT_NEEDS = required_chars(_CN_COUNT.pattern)
# a rank's move (上升3位) and a magnitude class (超过千亿元级) need a 位/名 or a 亿 and one of their verbs: most texts
# lack one, and the scans, which stop at every 上/下 or 达, are skipped (measured: the two scans ~1/100 of a document)
_MOVE_RANK_NEEDS = cheapest_first(required_words(_MOVE_RANK.pattern))
_MAG_CLASS_NEEDS = cheapest_first(required_words(_MAG_CLASS.pattern))


def _no_rank_possible(norm: str) -> bool:
    """Can _NO_RANK match (case-insensitive, so required_chars lists nothing)? It needs a no. in any case. The
    scan, case-insensitive and opening with a lookbehind, is tried at every position (~140 µs a document);
    lower() maps no other character to n, o or '.' (test_speedups checks every code point)."""
    return "." in norm and ("o" in norm or "O" in norm) and "no." in norm.lower()


_NUM_START = attrgetter("num_start")  # the sort key of a text's mentions (a C call, not a lambda, per mention)


def _never(*_args) -> None:
    """A rule that cannot match the text (its words are not in it)."""
    return None


def _free(mask: bytearray, s: int, e: int) -> bool:
    return not any(mask[s:e])


def scan(norm: str, mask: bytearray) -> list[Mention]:
    out: list[Mention] = []
    taken = bytearray(len(norm))

    def add(m: Mention) -> None:
        # representable(), inlined (once per number): a chained comparison is False for nan and ±inf too
        v, vmax = m.value, m.value_max
        if not (v is None or -MAX_REPRESENTABLE <= v <= MAX_REPRESENTABLE) or \
                not (vmax is None or -MAX_REPRESENTABLE <= vmax <= MAX_REPRESENTABLE):
            return  # a number beyond a double (400 digits parse as inf) is not a figure
        out.append(m)
        taken[m.num_start:m.end] = b"\x01" * (m.end - m.num_start)

    _scan_streaks(norm, mask, add)
    _scan_ranks(norm, mask, add)
    _scan_ratios(norm, mask, taken, add)
    _scan_arabic(norm, mask, taken, add)
    _scan_chinese(norm, mask, taken, add)
    out.sort(key=_NUM_START)
    return out


def _scan_streaks(norm, mask, add):
    """连续14年, 连续八届: the count of a streak (its number reads as a duration to the exclusions)."""
    for m in _STREAK.finditer(norm):
        if mask[m.start()]:
            continue
        word = m.group(1)
        v = float(word) if word.isdigit() else cn_to_number(word)
        if v:
            add(Mention(m.start(1), m.end(), v, None, Unit(m.group(2), 1.0, "count"), (m.start(2), m.end(2)),
                        "exact", kind_hint="streak", start=m.start()))


def _scan_ranks(norm, mask, add):
    for m in _NO_RANK.finditer(norm) if _no_rank_possible(norm) else ():
        if _free(mask, m.start(), m.end()):
            add(Mention(m.start(1), m.end(), float(m.group(1)), None, NO_UNIT, None, "exact", "位", "rank", start=m.start()))
    for m in _MOVE_RANK.finditer(norm) if may_match(_MOVE_RANK_NEEDS, norm) else ():
        v = float(m.group(1)) if m.group(1).isdigit() else cn_to_number(m.group(1))
        if v is not None and _free(mask, m.start(1), m.end()):
            add(Mention(m.start(1), m.end(), v, None, Unit(m.group(2), 1.0, "rank"), (m.start(2), m.end(2)), "exact", kind_hint="rank"))
    for rx, arabic in ((_AR_RANK, True), (_CN_RANK, False)):
        for m in rx.finditer(norm):
            if not _free(mask, m.start(), m.end()):
                continue
            v = float(m.group(1)) if arabic else cn_to_number(m.group(1))
            if v is None:
                continue
            unit_word = m.group(2)
            lead = bool(_RANK_LEAD.search(norm, max(0, m.start() - 6), m.start()))
            nxt = norm[m.end():m.end() + 1]
            if unit_word == "个" and not lead:  # 全国第5个获批城市, but not 第一个…中心
                continue
            # a bare 第N is a rank after a scope word and before punctuation or a verb of moving (第7进到第6位)
            if not unit_word and (not lead or _ORD_TAIL.match(norm, m.end())
                                  or _CJK.match(nxt) and nxt not in _RANK_FOLLOWERS):
                continue
            unit = Unit(unit_word, 1.0, "rank") if unit_word else NO_UNIT
            span = (m.start(2), m.end(2)) if unit_word else None
            add(Mention(m.start(1), m.end(), v, None, unit, span, "exact", "" if unit_word else "位", "rank", start=m.start()))


def ratio_matches(norm: str):
    """`_RATIO.finditer(norm)`, tried only at the numbers before a colon with a digit after it. A match opens with
    digits, dots and spaces up to its first colon (\\d is isdecimal, \\s isspace): walking back over those from a
    colon reaches every start whose first colon it is, and no match starts inside that walk otherwise."""
    pos, match = 0, _RATIO.match  # no match starts in [pos, the next colon's walk) but those yielded
    for c in _RATIO_COLON.finditer(norm):
        colon = c.start()
        if colon < pos:
            continue
        s = colon
        while s > pos and ((ch := norm[s - 1]).isspace() or ch.isdecimal() or ch == "."):
            s -= 1
        m = None
        for i in range(s, colon):  # the digits _RATIO's lookbehind lets open a match, leftmost first
            if norm[i].isdecimal() and not (i and (norm[i - 1].isdecimal() or norm[i - 1] in ".:")):
                m = match(norm, i)
                if m:
                    break
        if m:
            yield m
            pos = m.end()
        else:
            pos = colon + 1


def _scan_ratios(norm, mask, taken, add):
    if not may_match(_RATIO_NEEDS, norm):
        return
    for m in ratio_matches(norm):
        if not _free(mask, m.start(), m.end()) or any(taken[m.start():m.end()]):
            continue
        nums = list(_RATIO_NUM.finditer(m.group(0)))
        # a structure ratio has 3 terms, or 2 terms written with decimals (not a 1:1 or a clock time)
        if len(nums) < 3 and not all("." in n.group(0) for n in nums):
            continue
        after = norm[m.end():m.end() + 1]
        if after and after in "%‰":
            continue
        for n in nums:
            s = m.start() + n.start()
            add(Mention(s, m.start() + n.end(), float(n.group(0)), None, NO_UNIT, None, "exact", "", "ratio"))


def _scan_arabic(norm, mask, taken, add):
    n = len(norm)
    # the rules' functions and patterns as locals: this loop runs once per number of the text
    is_date, bad_lead_last, bad_lead_before = exclusions.date_or_duration_at, exclusions.BAD_LEAD_LAST, exclusions.bad_lead_before
    date_first, range_first = exclusions.DATE_FOLLOWER_FIRST, RANGE_SEP_FIRST
    is_denominator, is_threshold = exclusions.is_denominator, exclusions.is_threshold
    mid_match, range_match, arabic_match = _MID.match, _RANGE_TAIL.match, ARABIC_RE.match
    # rules whose words a text may not hold at all: asked once per text, not once per number
    after = after_possible(norm)
    denominators = exclusions.denominator_possible(norm)
    thresholds = exclusions.threshold_possible(norm)
    mids = "多" in norm or "余" in norm
    for m in ARABIC_RE.finditer(norm):
        s, e = m.span()
        if taken[s] or mask[s]:
            continue
        # exclusions.latin_glued and is_bad_lead, inlined
        before, nxt = norm[s - 1] if s else "", norm[e:e + 1]
        if before.isascii() and before.isalpha() or nxt.isascii() and nxt.isalpha():
            continue
        if before in bad_lead_last and bad_lead_before(norm, max(0, s - 2), s):
            continue
        between = ""
        pos = e
        # _MID and is_date open with whitespace, 多/余 or a date word: after any other character neither can
        # match, and neither is tried (most numbers are followed by a unit)
        if nxt and (nxt in date_first or nxt.isspace()):
            mm = mid_match(norm, e) if mids else None
            if mm:
                between, pos = mm.group(1), mm.end()
            if is_date(norm, e):
                continue
        unit, uend, approx_in_unit = match_unit_approx(norm, pos)
        if not between and unit is not NO_UNIT:
            between = approx_in_unit
        value, value_max = float(m.group(0).replace(",", "")), None  # parse_arabic, inlined
        # range: N~M unit, N至M unit, 1万至60万元
        tail = uend if unit is not NO_UNIT else pos
        r = range_match(norm, tail) if not between and tail < n and (norm[tail] in range_first or norm[tail].isspace()) else None
        if r:
            m2 = arabic_match(norm, r.end())
            if m2 and not mask[m2.start()]:
                unit2, uend2 = match_unit(norm, m2.end())
                if unit2 is not NO_UNIT and (unit is NO_UNIT or unit.family == "count" and unit.text in ("万", "亿") or unit.text == unit2.text):
                    if is_date(norm, m2.end()):
                        continue
                    value_max = parse_arabic(m2.group(0))
                    if unit is not NO_UNIT and unit.text in ("万", "亿") and unit2.text != unit.text:
                        unit2 = Unit(unit.text + unit2.text[len(unit.text):] if unit2.text.startswith(unit.text) else unit2.text, unit2.multiplier, unit2.family)
                    unit, uend, e = unit2, uend2, m2.end()
                    if value_max < value:
                        value_max = None
        if unit is NO_UNIT:
            shared = _SHARED_UNIT.match(norm, e)
            if shared:  # 上升3.7、0.2个百分点: the unit is written once, after the last number
                unit, ue = match_unit(norm, shared.end())
                if unit is not NO_UNIT and not is_date(norm, shared.end()):
                    q, _ = qualifier_for(norm, s, between, e, False, after)
                    add(Mention(s, e, value, None, unit, (ue - len(unit.text), ue), q, "", "", None, s))
                continue
            imp = _IMPLIED.search(norm, max(0, s - 10), s)
            if not imp or mask[s]:
                continue
            word = next(w for w in IMPLIED_BY_METRIC if imp.group(0).lstrip().startswith(w) or w in imp.group(0))
            implied = IMPLIED_BY_METRIC[word]
            q, qend = qualifier_for(norm, s, between, e, False, after)
            add(Mention(s, qend, value, None, NO_UNIT, None, q, implied, "index" if implied == "" else "", None, s))
            continue
        family = unit.family
        if family == "rank":
            if not _POSITION_UNIT.match(norm, pos):
                continue
            # 3位专家 counts people; 第N位 and 前进N位 were taken by the rank scan
            unit = Unit(unit.text, unit.multiplier, "count")
            family = "count"
        if denominators and is_denominator(norm, uend) or thresholds and is_threshold(norm, s, uend):
            continue
        if uend < n and norm[uend] in "年" and family == "count":
            continue
        q, qend = qualifier_for(norm, s, between, uend, value_max is not None, after)
        written = len(unit.text) + (1 if approx_in_unit else 0)
        add(Mention(s, qend, value, value_max, unit, (uend - written, uend), q, "", "", None, s))


def _scan_chinese(norm, mask, taken, add):
    for m in _MAG_CLASS.finditer(norm) if may_match(_MAG_CLASS_NEEDS, norm) else ():
        s = m.start(1)
        if taken[s] or mask[s]:
            continue
        v = float(_NUM["magnitude_class_values"][m.group(1)])
        add(Mention(s, m.end(), v, None, Unit("亿元", 1e8, "money"), None, "more_than" if norm[m.start():s] in _MAG_MORE_THAN else "exact", implied_unit="亿元"))
    for m in _ZERO.finditer(norm):
        if not taken[m.start()] and not mask[m.start()]:
            add(Mention(m.start(), m.start() + 1, 0.0, None, NO_UNIT, None, "exact", start=m.start()))
    for m in _FRACTION.finditer(norm) if may_match(_FRACTION_NEEDS, norm) else ():
        if taken[m.start()] or mask[m.start()]:
            continue
        den, num = cn_to_number(m.group(1)), cn_to_number(m.group(2))
        if not den or num is None:
            continue
        if m.group(1) == "百":
            add(Mention(m.start(), m.end(), num, None, NO_UNIT, None, "exact", implied_unit="%", start=m.start()))
        else:
            add(Mention(m.start(), m.end(), round(num / den, 4), None, NO_UNIT, None, "exact", kind_hint="ratio", start=m.start()))
    for m in _CN_COUNT.finditer(norm) if may_match(_CN_COUNT_NEEDS, norm) else ():
        s, e = m.start(), m.end()
        if taken[s] or mask[s]:
            continue
        v = cn_to_number(m.group(1))
        if v is None or v == 0:
            continue
        measure = m.group(2)
        tail = norm[e:e + 8]
        tail = _TAIL_BREAK.split(tail)[0]
        if measure == "次":
            if not _TIMES_VERBS.match(norm, e):
                continue
        elif measure == "位":
            continue
        elif measure not in ("大类", "连冠"):
            if _COUNT_NONHEADS.match(norm, e) or not _COUNT_HEADS.search(tail[:6]):
                continue
        add(Mention(s, e, v, None, Unit(measure, 1.0, "count"), (m.start(2), e), "exact"))
