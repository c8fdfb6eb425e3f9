"""The faster forms of the rules give the same answers as the plain forms they replaced."""
from __future__ import annotations

import random
import re

import pytest

from extraction import categories, context, engine, exclusions, kinds, lexicon_loader, mentions, metrics, normalize, numerals, periods, qualifiers, regions, tables, units
from extraction.lexicon_loader import PrunedAlternation, compile_guarded, first_char_finditer, line_start_matches, may_match, required_chars, required_words

# characters the rules care about, plus filler: random texts hit cues, numbers and delimiters often
_ALPHABET = list("0123456789.,:;%‰()[]|\n 年月日号个家项元万亿全市省今去上半累计截至目前增长下降约超过以上左右的和、。,") + \
    ["比上年", "2015", "2020年", "1-6月", "同比增长", "个百分点", "《标题》", "〔2012〕54号", "...", "上一篇", "质(zhì)",
     "我市", "全县", "分之", "三", "一百", "第", "编号", "每", "余", "多", "以下", "不少于", "压减", "县市中", "年产值", "【"]


def _random_texts(seed: int, count: int, max_pieces: int = 40) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, max_pieces))) for _ in range(count)]


@pytest.mark.parametrize("guarded", [
    periods._CUE_RE, exclusions._SPANS, metrics._TRAIL, normalize._DELETE, mentions._FRACTION,
])
def test_guarded_patterns_find_what_the_plain_pattern_finds(guarded):
    # compile_guarded writes (?=[first characters])(?:pattern); the class escapes its parentheses
    assert guarded.pattern.startswith("(?=[")
    plain = re.compile(guarded.pattern.split(")(?:", 1)[1][:-1], guarded.flags)
    for text in _random_texts(1, 3000):
        assert [(m.span(), m.groups()) for m in guarded.finditer(text)] == \
            [(m.span(), m.groups()) for m in plain.finditer(text)], text
        for pos in range(0, len(text), 3):
            g, p = guarded.match(text, pos), plain.match(text, pos)
            assert (g and g.span()) == (p and p.span()), (text, pos)


@pytest.mark.parametrize("pattern", [
    r".x", r"[^a]b", r"a?", r"(?i)(?<!x)abc", r"(?m)(?<!x)^abc",  # first character unlistable, inline flags,
    r"(?<!x)(a?)\1",  # or a match may be empty
])
def test_unlistable_patterns_are_left_alone(pattern):
    assert compile_guarded(pattern).pattern == pattern


@pytest.mark.parametrize("pattern", [r"abc", r"[0-9]x", r"(?:ab|cd)e", r"(a)\1"])
def test_patterns_re_already_skips_for_are_left_alone(pattern):
    assert compile_guarded(pattern).pattern == pattern


def test_guard_lists_every_first_character():
    rx = compile_guarded(r"(?<!\d)(?:x?y|\s*z|[a-c\]-]q|(?:19|20)\d)")
    assert rx.pattern.startswith("(?=")
    for text in ["y", "xy", "  z", "z", "bq", "]q", "-q", "1999", "2000", "w"]:
        assert bool(rx.match(text)) == (text != "w"), text


def test_character_mapping_equals_translate():
    for text in _random_texts(2, 500) + ["，：；（）％～︰∶．－\u3000\u00a0〜！？｜／産於着彙囯"]:
        assert normalize._map_chars(text) == text.translate(normalize._TABLE)


def test_offsets_past_the_kept_identity_table():
    raw = "質(zhì)量" + "x" * (normalize._IDENTITY_MAX + 5)
    nt = normalize.normalize(raw)
    assert len(nt.to_raw) == len(nt.plain) + 1
    assert nt.to_raw[0] == 0 and nt.to_raw[1] == 6 and nt.to_raw[-2] == len(raw) - 1 and nt.to_raw[-1] == len(raw)


def _clause_start_reference(norm: str, pos: int, floor: int) -> int:
    """The character-by-character walk clause_start replaced."""
    i = pos
    if i - 2 >= floor and i > 0 and norm[i - 1] == "\n" and metrics._CJK.match(norm[i - 2]):
        i -= 1
    while i > floor and norm[i - 1] not in metrics._DELIMS:
        i -= 1
        if pos - i > 60:
            break
    return i


def test_clause_start_equals_the_walk():
    rng = random.Random(3)
    for text in _random_texts(3, 400, max_pieces=120):
        for pos in range(len(text) + 1):
            floor = rng.randint(0, pos)
            assert metrics.clause_start(text, pos, floor) == _clause_start_reference(text, pos, floor), (text, pos)


def test_clause_start_looks_back_at_most_61_characters():
    text = "甲" * 100
    assert metrics.clause_start(text, 100, 0) == 39
    assert metrics.clause_start("," + "甲" * 60, 61, 0) == 1


def test_is_substantive_counts_two_letters():
    for text, expected in {"": False, "甲": False, "甲乙": True, "甲1乙": True, "a": False, "ab": True,
                           "“甲”": False, "“甲乙”": True, "全市": False, "12": False}.items():
        assert metrics.is_substantive(text) is expected, text


def test_table_lines_are_the_lines_with_two_pipes():
    plain = re.compile(r"[^\n]*\|[^\n]*\|[^\n]*")
    rng = random.Random(4)
    for _ in range(5000):
        text = "".join(rng.choice("ab|\n\r |") for _ in range(rng.randint(0, 30)))
        assert [m.span() for m in tables._LINE.finditer(text)] == [m.span() for m in plain.finditer(text)], text
        assert tables.table_lines(text) == [m.span() for m in tables._LINE.finditer(text)], text


@pytest.mark.parametrize("breaks, plain", [
    (engine._SENTENCE_BREAKS, r"[。!?\n]"), (engine._PARAGRAPH_BREAKS, r"\n|\?\?"),
])
def test_sentence_and_paragraph_starts_are_the_ends_of_the_break_pattern(breaks, plain):
    plain = re.compile(plain)
    rng = random.Random(5)
    for _ in range(5000):
        text = "".join(rng.choice("ab。!??\n") for _ in range(rng.randint(0, 30)))
        assert engine._starts(text, breaks) == [0] + [m.end() for m in plain.finditer(text)], text


def test_units_are_shared_but_equal():
    a, _ = units.match_unit("3万元", 1)
    b, _ = units.match_unit("5万元", 1)
    assert a is b and a == units.Unit("万元", 10000.0, "money")


def test_qualifier_prefilter_keeps_rule_order():
    assert qualifiers.qualifier_for("超过100亿元以上", 2, "", 7, False) == ("more_than", 9)
    assert qualifiers.qualifier_for("下降100亿元左右", 2, "", 7, False) == ("decrease", 9)
    assert qualifiers.qualifier_for("共100亿元", 1, "", 6, False) == ("exact", 6)


def test_category_prefilter_keeps_rule_order():
    assert categories.categorize("count", "", "标准化试点", "", "") == "count_other"
    assert categories.categorize("count", "", "国家标准", "", "") == "standard_count"
    assert categories.categorize("count", "", "企业", "", "获得认证的企业") == "certification_count"
    assert categories.categorize("money", "", "企业", "", "") == "amount_other"


# ---- the fast paths of issue 16 item 5: each against the plain form it stands in front of ----------------

def _trim_reference(text: str, start: int) -> tuple[int, int]:
    a = 0
    while True:
        m = metrics._LEAD.match(text, a) or metrics._BRACKETS.match(text, a)
        if not m or m.end() == a:
            break
        a = m.end()
    t = metrics._TRAIL.search(text, a)
    b = t.start() if t else len(text)
    return start + a, start + max(a, b)


def test_trim_fast_paths_equal_the_plain_scan():
    for text in _random_texts(5, 3000, max_pieces=12) + ["(全市为", "((全市)共", "为", " ", "全市 ", "【其中】达到了\n"]:
        assert metrics.trim(text, 7) == _trim_reference(text, 7), text


def test_end_anchored_prefilters_equal_the_plain_search():
    for text in _random_texts(6, 3000, max_pieces=10):
        assert categories.is_growth(text) == bool(categories._GROWTH.search(text)), text
        for pos in range(len(text) + 1):
            assert exclusions.is_bad_lead(text, pos) == bool(exclusions._PRECEDED.search(text, max(0, pos - 2), pos)), (text, pos)


def _threshold_reference(norm: str, num_start: int, unit_end: int) -> bool:
    lead = exclusions._CLAUSE_DELIMITER.split(norm[max(0, num_start - exclusions._THRESHOLD_WINDOW):num_start])[-1]
    if not exclusions._THRESHOLD_LEAD.search(lead) and "超" not in lead:
        return False
    return bool(exclusions._THRESHOLD_TAIL.match(norm[unit_end:unit_end + 24]))


def _qualifier_reference(norm, num_start, between, tail_pos, is_range):
    lead = norm[max(0, num_start - 6):num_start]
    before = next((q for q, rx in qualifiers._BEFORE if rx.search(lead)), None) if qualifiers._ANY_BEFORE.search(lead) else None
    after_q, after_end = None, tail_pos
    for q, rx in qualifiers._AFTER:
        m = rx.match(norm, tail_pos)
        if m:
            after_q, after_end = q, m.end()
            break
    if before == "decrease":
        return "decrease", after_end
    if is_range:
        return "range", after_end
    if between in qualifiers.BETWEEN:
        return qualifiers.BETWEEN[between], after_end
    return (before or after_q or "exact"), after_end


def test_per_number_rules_equal_their_plain_forms():
    for text in _random_texts(7, 1500, max_pieces=16):
        after = qualifiers.after_possible(text)
        denominators = exclusions.denominator_possible(text)
        for pos in range(len(text) + 1):
            for end in (pos, min(len(text), pos + 2)):
                assert exclusions.is_threshold(text, pos, end) == _threshold_reference(text, pos, end), (text, pos)
                for between, is_range in (("", False), ("多", False), ("", True)):
                    assert qualifiers.qualifier_for(text, pos, between, end, is_range, after) == \
                        _qualifier_reference(text, pos, between, end, is_range), (text, pos, end)
            assert (exclusions.is_denominator(text, pos) and not denominators) is False
            assert (exclusions.is_threshold(text, pos, pos) and not exclusions.threshold_possible(text)) is False
            assert units.match_unit_approx(text, pos) == (*units.match_unit(text, pos), units.inner_approx(text, pos))


def test_the_cue_nearest_the_end_is_the_last_match():
    for rules, _ in (categories._MONEY, categories._COUNT):
        for text in _random_texts(8, 500) + ["品牌示范区", "标准化试点示范区", "名牌产品名牌"]:
            for _cat, rx, _firsts in rules:
                plain = max(((x.end(), x.end() - x.start()) for x in rx.finditer(text)), default=None)
                last = None
                for last in rx.finditer(text):
                    pass
                assert plain == ((last.end(), last.end() - last.start()) if last else None), text


def test_chinese_numerals_are_cached_with_the_same_values():
    for text in ["一", "两", "十二", "一百二十", "三千零五", "零", "两万", "x", ""]:
        first, again = numerals.cn_to_number(text), numerals.cn_to_number(text)
        assert first == again
    assert numerals.cn_to_number("一百二十") == 120.0 and numerals.cn_to_number("x") is None


def _resolve_target_reference(pc, pos, para_start, sent_start, sent_end):
    """The walk over every cue of the paragraph that resolve_target replaced (quadratic on one long line)."""
    for c in pc._before(pos, para_start):
        found = pc._target_of(c, sent_start)
        if found:
            return found
    return pc._target_after(pos, sent_end)


def test_resolve_target_equals_the_walk_over_the_paragraph():
    from extraction.context import Decision, DocumentContext

    rng = random.Random(9)
    texts = _random_texts(10, 300, max_pieces=60) + ["到2020年,今年将新增10家。2021年目标100个,年底前完成。" * 3]
    for text in texts:
        for dated in (None, (2020, 5)):
            doc = DocumentContext(date=Decision(dated, "dateline") if dated else Decision(None))
            pc = periods.PeriodContext.build(text, doc, periods.find_cues(text))
            for pos in range(0, len(text) + 1, 2):
                para_start = rng.randint(0, pos)
                sent_start = rng.randint(para_start, pos)
                sent_end = rng.randint(pos, len(text))
                assert pc.resolve_target(pos, para_start, sent_start, sent_end) == \
                    _resolve_target_reference(pc, pos, para_start, sent_start, sent_end), (text, pos)


def test_canonical_whole_numbers_skip_the_rounding_but_equal_it():
    rng = random.Random(11)
    values = [0.0, -0.0, 1.0, 5.0, 410.0, 632.8, 1e14, 999999999999999.0, 1e15, 1e16, 2.5e20, 1e300, -3.0, 0.1]
    values += [float(rng.randint(0, 10 ** rng.randint(1, 18))) for _ in range(2000)]
    values += [round(rng.uniform(0, 1e6), rng.randint(0, 6)) for _ in range(2000)]
    for unit in (units.NO_UNIT, units.Unit("万元", 1e4, "money"), units.Unit("亿元", 1e8, "money"),
                 units.Unit("万亿元", 1e12, "money"), units.Unit("‰", 1.0, "permille")):
        for v in values:
            x = v / 10 if unit.family == "permille" else v * unit.multiplier
            got, plain = units.canonical(v, unit), float(f"{x:.15g}")
            assert got == plain and str(got) == str(plain), (v, unit)


def test_the_noun_after_a_number_is_the_class_the_engine_names():
    from extraction import engine

    for code in list(range(0x3000, 0xA000)) + [ord(c) for c in "\"“”'a1,。"]:
        ch = chr(code)
        assert bool(engine._FOLLOWS_NOUN.match(ch)) == ("\u4e00" <= ch <= "\u9fff" or ch in engine._FOLLOWS_NOUN_MARKS)


def test_the_inlined_range_check_is_representable():
    m = numerals.MAX_REPRESENTABLE
    for v in [0.0, -0.0, 1.0, m, -m, m * 1.0000001, -m * 1.0000001, float("inf"), float("-inf"), float("nan"), 1e308]:
        assert numerals.representable(v) == (-m <= v <= m), v


# texts that hold some of the rules' rarer characters and not others: the prefilters' answers vary
_PREFILTER_ALPHABET = _ALPHABET + list("〔〕[]【】《》·-—–~/至到之一分两三电话QqNnOo.") + ["No.3", "1:2:3", "3.5:2.5", "10:30", "2015至2017年"]


def _prefilter_texts(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    alphabet = _PREFILTER_ALPHABET
    texts = []
    for _ in range(count):
        keep = rng.sample(alphabet, rng.randint(5, len(alphabet)))  # leave some characters out entirely
        texts.append("".join(rng.choice(keep) for _ in range(rng.randint(0, 60))))
    return texts


def test_a_pruned_alternation_finds_what_the_whole_alternation_finds():
    rules = exclusions._SPAN_RULES
    for text in _prefilter_texts(3, 4000):
        pruned = rules.for_text(text)
        found = [(m.span(), m.groups()) for m in pruned.finditer(text)] if pruned else []
        assert found == [(m.span(), m.groups()) for m in rules.full.finditer(text)], text
    assert exclusions._SPANS is rules.full


@pytest.mark.parametrize("pattern", [
    mentions._RATIO, mentions._FRACTION, mentions._CN_COUNT, periods._YEAR_RANGE,
    *[re.compile(p) for p in exclusions._SPAN_RULES.patterns],
])
def test_a_text_a_pattern_matches_holds_its_required_characters(pattern):
    needs = required_chars(pattern.pattern, pattern.flags)
    assert needs  # each of these needs something: the prefilter is not a no-op
    for text in _prefilter_texts(4, 3000):
        if pattern.search(text):
            assert may_match(needs, text), (pattern.pattern, text)


@pytest.mark.parametrize("pattern", [
    kinds._OUTLOOK, context._GOAL_SECTION, mentions._RATIO, mentions._FRACTION, mentions._CN_COUNT, periods._YEAR_RANGE,
    mentions._MOVE_RANK, mentions._MAG_CLASS,
])
def test_a_text_a_pattern_matches_holds_its_required_words(pattern):
    needs = required_words(pattern.pattern, pattern.flags)
    assert needs
    words = sorted({w for ws in needs for w in ws})
    rng = random.Random(17)
    pieces = _PREFILTER_ALPHABET + words + [w[:-1] for w in words if len(w) > 1] + [w[1:] for w in words if len(w) > 1] \
        + ["\n", "接下来,", "。今后", "\n到2020年,", "1.力争到2025年", "至 2019 年", "20", "19", "年"]
    for _ in range(4000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))
        if pattern.search(text):
            assert may_match(needs, text), (pattern.pattern, text)
    assert any(pattern.search("".join(rng.choice(pieces) for _ in range(30))) for _ in range(2000))  # the texts hit it


def test_goal_sections_found_from_line_breaks_are_those_the_multiline_pattern_finds():
    rx = context._GOAL_SECTION
    fast = line_start_matches(rx)
    assert fast is not None
    rng = random.Random(21)
    pieces = _PREFILTER_ALPHABET + ["\n", "\n\n", " ", "\u3000", "到", "至", "力争到", "确保到", "2020", "1999", "年", "截", "5",
                                    "(一)", "1.", "三、", "目标:", "全市", ",", "。", "\n到2025年,", "\n 1.力争到2020年"]
    hits = 0
    for _ in range(4000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))
        plain = [(m.start(), m.groups(), m.span(1)) for m in rx.finditer(text)]
        assert [(start, m.groups(), m.span(1)) for start, m in fast(text)] == plain, text
        hits += bool(plain)
    assert hits > 100
    assert line_start_matches(re.compile(r"^a|b", re.M)) is None and line_start_matches(re.compile(r"^a")) is None
    assert line_start_matches(re.compile(r"x^a", re.M)) is None


def test_required_words_keep_runs_of_literals_whole():
    assert required_words(r"(?i)abc") == ()
    assert required_words(r"\d+[^x]\s*(?=y)(?<!z)") == ()
    assert required_words(r"a?b*(?:c|d?)") == ()
    assert required_words(r"xy(?:ab|c)[de]{1,2}z\d") == (frozenset(["xy"]), frozenset(["ab", "c"]), frozenset("de"), frozenset("z"))
    # 接下来 holds 下来: a text with 接下来 holds 下来, and the set asks only for the shorter word
    assert required_words(r"(?:^|[。\n])\s*(?:下来|接下来|下一步|今后)") == (frozenset(["下来", "下一步", "今后"]),)
    assert required_words(r"(?:有限公司|公司|集团)") == (frozenset(["公司", "集团"]),)


def test_the_skipped_searches_give_what_the_searches_give():
    rng = random.Random(18)
    pieces = _PREFILTER_ALPHABET + ["\n", "接下来,", "。今后", "下一步", "\n到2020年,", "1.力争到2025年", "\n(1)", "一是"]
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))
        m = kinds._OUTLOOK.search(text)
        assert kinds.outlook_start(text) == (m.start() if m else len(text)), text
        sections = context._goal_sections(text)
        assert (sections == []) or may_match(context._GOAL_SECTION_NEEDS, text)
        if not may_match(context._GOAL_SECTION_NEEDS, text):
            assert not context._GOAL_SECTION.search(text), text


@pytest.mark.parametrize("required, text", [
    ((), ""), ((), "x"), ((frozenset("a"),), ""), ((frozenset("a"),), "a"), ((frozenset("ab"),), "b"),
    ((frozenset("ab"), frozenset("c")), "ab"), ((frozenset("ab"), frozenset("c")), "bc"), ((frozenset(),), "abc"),
    ((frozenset(["下一步", "今后"]),), "今后将"), ((frozenset(["下一步", "今后"]),), "下一"), ((frozenset(["19", "20"]), frozenset("年")), "2020年"),
])
def test_may_match_is_all_of_any(required, text):
    assert may_match(required, text) == all(any(ch in text for ch in r) for r in required)


def test_required_characters_are_conservative():
    assert required_chars(r"(?i)abc") == ()
    assert required_chars(r"\d+[^x]\s*(?=y)(?<!z)") == ()
    assert required_chars(r"a?b*(?:c|d?)") == ()
    assert required_chars(r"x(?:ab|c)[de]{1,2}") == (frozenset("x"), frozenset("ac"), frozenset("de"))


def test_the_no_rank_prefilter_holds_wherever_no_rank_matches():
    for text in _prefilter_texts(5, 3000):
        if mentions._NO_RANK.search(text):
            assert mentions._no_rank_possible(text), text
    for text in ("NO.1", "No. 3", "nO.2", "全国NO.1", "ANO.1", "no.", "N0.1", "NO,1", "N\u0130O.1"):
        assert not mentions._NO_RANK.search(text) or mentions._no_rank_possible(text), text


def test_only_n_o_and_the_dot_lower_to_n_o_or_a_dot():
    """What lets _no_rank_possible look for no. in norm.lower(): no other code point folds or lowers to one of them."""
    import sys

    n, o = re.compile("(?i)n"), re.compile("(?i)o")
    chars = map(chr, range(sys.maxunicode + 1))
    assert [c for c in chars if c not in "nNoO." and (n.fullmatch(c) or o.fullmatch(c) or set(c.lower()) & set("no."))] == []


@pytest.mark.parametrize("pattern, first", [
    (exclusions._FOLLOWED, exclusions.DATE_FOLLOWER_FIRST),
    (mentions._MID, exclusions.DATE_FOLLOWER_FIRST),  # the number scan tries _MID behind the same check
    (mentions._RANGE_TAIL, qualifiers.RANGE_SEP_FIRST),
    (qualifiers._ANY_AFTER, qualifiers._AFTER_FIRST),
])
def test_a_pattern_matches_only_where_its_first_character_check_holds(pattern, first):
    texts = _prefilter_texts(6, 1500) + [" 年", "多年", "余万", "\u3000至3", " 以上", "左右", "~5", "－5"]
    for text in texts:
        for pos in range(len(text) + 1):
            if pattern.match(text, pos):
                c = text[pos:pos + 1]
                assert c and (c in first or c.isspace()), (pattern.pattern, text, pos)


def test_a_text_with_nothing_deleted_keeps_every_offset():
    for raw in _random_texts(7, 500) + ["質(zhì)量3.\n9", "10535.51[1]亿元", ""]:
        nt = normalize.normalize(raw)
        assert len(nt.to_raw) == len(nt.plain) + 1 and nt.to_raw[-1] == len(raw)
        if not normalize._DELETE.search(raw):
            assert nt.plain == raw and list(nt.to_raw) == list(range(len(raw) + 1))
        assert all(nt.raw[nt.to_raw[i]] == ch for i, ch in enumerate(nt.plain))


class _Everything:
    """A set holding every character: the prefilters it stands in for then let every text through."""

    def __contains__(self, _item) -> bool:
        return True


def test_cues_found_with_the_lead_prefilter_equal_those_found_without(monkeypatch):
    texts = _prefilter_texts(8, 2000) + ["比2015年", "按2018年平均汇率", "力争到2020年", "较去年同期", "截至今年8月", "与 今年"]
    fast = [periods.find_cues(t) for t in texts]
    monkeypatch.setattr(periods, "_LEAD_CUE_LAST", _Everything())
    assert fast == [periods.find_cues(t) for t in texts]


def test_own_references_with_the_lookbehind_after_their_first_character_equal_the_plain_pattern():
    plain = re.compile(r"(?<![比较于居列在与同和])(?:全|我|本|该|此)(省|市|县|区|旗|州|盟)(?!场|域|份|级|长|为|平均|第|前|之|排|持平)")
    pieces = _ALPHABET + ["全市", "我县", "本省", "该区", "比全市", "居全省", "在本市", "全市为", "全县平均", "此旗", "与我州"]
    rng = random.Random(9)
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))
        assert [(m.span(), m.groups()) for m in regions.OWN_REF.finditer(text)] == \
            [(m.span(), m.groups()) for m in plain.finditer(text)], text


def test_self_references_from_one_scan_equal_the_two_findalls():
    pieces = _ALPHABET + ["全市", "我县", "本省", "该区", "比全市", "居全省", "在本市", "全市为", "全县平均", "此旗", "与我州",
                          "全市场", "我市长", "本市级", "全省第", "全全市", "市全县", "县我市"]
    rng = random.Random(20)
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))
        counts = []
        for rx in (regions.SELF_REF, regions.OWN_REF):
            found: dict[str, int] = {}
            for k in rx.findall(text):
                found[k] = found.get(k, 0) + 1
            counts.append(found)
        assert regions._self_references(text) == tuple(counts), text


def test_cached_phrase_verdicts_equal_the_plain_ones():
    pieces = _ALPHABET + ["地区生产总值", "财政收入", "名牌", "质量奖", "标准", "认证", "企业", "家", "项", "人"]
    rng = random.Random(10)
    for _ in range(2000):
        texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 8))) for _ in range(3)]
        family = rng.choice(["money", "count", "percent", "points", "physical", "rank", "ratio"])
        unit = rng.choice(["", "人", "家", "项"])
        assert categories.categorize(family, "", *texts, unit) == categories.categorize.__wrapped__(family, "", *texts, unit)
        assert categories.names_counted(texts[0]) == categories.names_counted.__wrapped__(texts[0])


def test_the_number_pattern_with_its_first_digit_in_front_equals_the_plain_pattern():
    plain = re.compile(r"(?<![\d.])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\d])")
    pieces = _ALPHABET + ["1,234", "12,345,678.9", "1,23", ".5", "3.", "0.25", ",000", "٣", "1٢"]
    rng = random.Random(12)
    for _ in range(4000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 25)))
        assert [m.span() for m in numerals.ARABIC_RE.finditer(text)] == [m.span() for m in plain.finditer(text)], text
        for pos in range(len(text) + 1):
            a, b = numerals.ARABIC_RE.match(text, pos), plain.match(text, pos)
            assert (a and a.span()) == (b and b.span()), (text, pos)


def _scan_reference(g, text: str) -> list[tuple[int, str]]:
    """Leftmost-longest alias matches by trying every length at every position (tests/test_region_scan.py)."""
    from tests.test_region_scan import leftmost_longest

    return leftmost_longest(text, g.aliases)


def test_the_alias_scan_is_leftmost_longest():
    g = regions._gaz()
    names = sorted(g.aliases)
    rng = random.Random(13)
    pieces = ["市", "县", "区", "全", "的", "和", "、", "2020年", "海", "门", "南", "京"]
    for _ in range(1500):
        text = "".join(rng.choice(names) if rng.random() < 0.4 else rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        assert list(g.scan(text)) == _scan_reference(g, text), text


def test_the_alias_pair_candidates_are_the_pair_starts_that_open_a_prefix():
    g = regions._gaz()
    names = sorted(g.aliases)
    rng = random.Random(19)
    pieces = ["市", "县", "区", "全", "的", "和", "、", "2020年", "海", "门", "南", "京", "州"]
    for _ in range(3000):
        text = "".join(rng.choice(names) if rng.random() < 0.3 else rng.choice(pieces) for _ in range(rng.randint(0, 14)))
        plain = [m.start() for m in g.pair_starts.finditer(text) if text[m.start():m.start() + 2] in g.prefix_lens]
        assert g.pair_candidates(text) == plain, text


@pytest.mark.parametrize("fast, plain", [
    (mentions._RATIO, r"(?<![\d.:])\d+(?:\.\d+)?(?:\s*[:]\s*\d+(?:\.\d+)?){1,3}(?![\d:])"),
    (mentions._CN_COUNT, rf"(?<![第每这那之前一二两三四五六七八九十百千])({numerals.CN_NUMBER})"
                         rf"({mentions.alternation(mentions._NUM['count_measures'])})"),
    (periods._YEAR_RANGE, r"(?<!\d)((?:19|20)\d{2})\s*(?:至|到|-|—|~)\s*((?:19|20)\d{2})\s*年"),
    (kinds._SECTION, "|".join([mentions.alternation(kinds._CFG["section_cues"]), r"到\s*(?:19|20)\d{2}\s*年",
                               r"(?:今年|明年)\s*,\s*(?:[^,。;\d]{0,10})?将"])),
])
def test_scans_with_their_first_character_in_front_equal_the_plain_patterns(fast, plain):
    assert not fast.pattern.startswith("(?=[")  # re jumps to their first characters: compile_guarded left them alone
    plain = re.compile(plain)
    pieces = _ALPHABET + ["1:2:3", "3.5:2.5", "10:30", " : ", "一二三", "十五", "两个", "第三个", "每十家", "三百五十项",
                          "一" * 30, "九千九百九十九万", "个", "家", "项", "次", "连冠", "19", "20", "1", "2", "至", "到",
                          "—", "~", "今年", "明年", "将", "主要目标", "到2020年", "2015至2017年"]
    rng = random.Random(14)
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 20)))
        assert [(m.span(), m.groups()) for m in fast.finditer(text)] == [(m.span(), m.groups()) for m in plain.finditer(text)], text


def _t2s_entries() -> list[tuple[str, str]]:
    """(key, first value) of the dictionaries OpenCC's t2s reads, dumped by its own opencc_dict."""
    import importlib.util
    from pathlib import Path

    import opencc

    if not (Path(opencc.__file__).parent / "clib" / "bin" / "opencc_dict").exists():
        pytest.skip("this OpenCC build ships no opencc_dict")
    path = Path(normalize.__file__).parent / "lexicon" / "build_opencc_chars.py"
    spec = importlib.util.spec_from_file_location("build_opencc_chars", path)
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    return build.dictionary_entries(), build


def _t2s_dictionary_characters() -> set[str]:
    """Every character of a key or value of the dictionaries OpenCC's t2s reads."""
    entries, _ = _t2s_entries()
    assert entries
    return {c for key, value in entries for c in key + value}


def test_the_deleted_gloss_is_the_one_the_region_resolver_deletes():
    assert normalize._GLOSS.pattern == regions.PINYIN_GLOSS.pattern


def test_the_width_forms_are_in_no_opencc_dictionary():
    """What lets one conversion serve both normalize and the region resolver: OpenCC never reads or writes a
    width form or its ASCII (the variants it does read are checked per text, normalize._VARIANTS)."""
    widths = {c for a, b in normalize._CFG["width"].items() for c in (a, b)}
    chars = _t2s_dictionary_characters()
    assert not widths & chars
    assert {a for a, b in normalize._REPLACEMENTS} - set(normalize._VARIANTS) <= {a for a in normalize._CFG["width"]}


@pytest.mark.parametrize("raw", [
    "", "海门市", "海門市2020年完成地區生產總值410億元，同比增長8.8％。", "（一）憑藉產業，乾燥：深沈；",
    "産業於彙囯着", "産業發展，增長５％", "於是，全縣　２０２０年", "質(zhì)量強(qiáng)區(qū)", "3.\n9億元",
    "10535.51[1]亿元", "乾隆年間，著名的瞭望台！？", "｜／～－．︰∶\u00a0〜", "后来的後來", "\U0002f800\uf900",
    "質(zhì)量3.\n9億元", "產(chǎn)業(yè)於(yú)", "(ab)(cd)乾(qián)燥", "(1)(a1)",
])
def test_the_shared_conversion_equals_the_two_conversions_it_replaced(raw):
    nt = normalize.normalize(raw)
    plain = normalize._DELETE.sub("", raw)
    assert nt.norm == normalize._map_chars(normalize._to_simplified(normalize._map_chars(plain)))
    if nt.simplified is not None:
        assert nt.simplified == regions.normalize_text(raw)
    for text in _random_texts(15, 300):
        nt = normalize.normalize(raw + text)
        assert nt.norm == normalize._map_chars(normalize._to_simplified(normalize._map_chars(nt.plain)))
        assert nt.simplified is None or nt.simplified == regions.normalize_text(raw + text)


def test_the_list_of_characters_t2s_can_change_is_read_from_the_installed_opencc():
    import opencc

    entries, build = _t2s_entries()
    assert normalize._T2S_CHARS["opencc_version"] == opencc.__version__
    assert set("".join(normalize._T2S_CHARS["chars"])) == build.changing_chars(entries)
    assert normalize._T2S_MAY_CHANGE is not None


@pytest.mark.parametrize("text", [
    "", "海门市2020年完成地区生产总值410亿元", "海門市", "乾燥", "著名", "反覆", "什么", "\U0002f800", "\uf900", "産業",
    "发展，增长５％", "覆盖", "么", "于是", "（一）", "后来", "後來", "台湾", "臺灣", "系统", "係統", "里", "裡", "面积", "麵",
])
def test_a_text_t2s_cannot_change_is_its_own_conversion(text):
    if not normalize.t2s_may_change(text):
        assert normalize._T2S(text) == text
    for piece in _random_texts(16, 200):
        t = text + piece
        assert normalize.t2s_may_change(t) or normalize._T2S(t) == t
    assert normalize.t2s_may_change("海門市") and not normalize.t2s_may_change("海门市")


def test_every_character_t2s_changes_alone_is_listed():
    """Each BMP character converted on its own, against the list: what a wrong list would miss first."""
    chars = [chr(c) for c in range(0x3400, 0xA000)] + [chr(c) for c in range(0xF900, 0xFB00)]
    converted = normalize._T2S("\n".join(chars)).split("\n")
    assert len(converted) == len(chars)
    assert all(normalize.t2s_may_change(a) for a, b in zip(chars, converted) if a != b)


def _match_unit_approx_reference(norm: str, pos: int):
    """units.match_unit_approx as it read each match's groups anew (before the readings were kept by matched text)."""
    p = pos
    if norm.startswith(" ", p):
        p += 1
        if norm.startswith(" ", p):
            p += 1
    m = units.UNIT_RE.match(norm, p)
    if not m:
        return units.NO_UNIT, pos, ""
    prefix, approx, base, bare, bare_approx = m.groups()
    approx_in = (approx or bare_approx or "") if p == pos else ""
    if bare:
        return units.Unit(bare, float(units.PREFIXES[bare]), "count"), m.end("bare"), approx_in
    if approx and not prefix:
        return units.NO_UNIT, pos, approx_in
    family = units.BASES.get(base, "count")
    end = m.end()
    if base in units._NOT_BEFORE and units._NOT_BEFORE[base].match(norm, end):
        return units.NO_UNIT, pos, approx_in
    mult = float(units.PREFIXES[prefix]) if prefix else 1.0
    if family == "ratio":
        mult = 1.0
    text = (prefix or "") + base
    if family == "count":
        alt = units._ALTERNATE.match(norm, end)
        if alt:
            text, end = text + alt.group(0), alt.end()
    return units.Unit(text, mult, family), end, approx_in


@pytest.mark.parametrize("text", [
    "3万元", "3 万元", "3  万元", "3   万元", "3万余人", "3万多户", "3余万", "3多", "1.2万", "5亿", "5亿多", "687台(套)", "316个(件)",
    "10%", "5‰", "3个百分点", "2大产业", "2大类", "7家企业", "7家次", "3万千瓦时", "9千米", "12名", "1:2", "3", "3年", "3万亿元",
])
def test_unit_readings_kept_by_matched_text_equal_the_reading_of_each_match(text):
    for pos in range(len(text) + 1):
        assert units.match_unit_approx(text, pos) == _match_unit_approx_reference(text, pos), (text, pos)


def test_unit_readings_on_random_texts():
    names = list(units.PREFIXES) + list(units.BASES) + units.BIG_MEASURES + ["多", "余", " ", "(", ")", "台", "套", "件", "项"]
    rng = random.Random(22)
    for _ in range(4000):
        text = "3" + "".join(rng.choice(names) for _ in range(rng.randint(0, 5))) + rng.choice(["", "企业", "中", "X"])
        for pos in range(len(text) + 1):
            assert units.match_unit_approx(text, pos) == _match_unit_approx_reference(text, pos), (text, pos)


def test_ratios_found_from_their_colons_are_the_ratio_pattern_matches():
    pieces = ["1:2:3", "3.5:2.5", "10:30", " : ", ":", ".", " ", "\u3000", "1", "22", "3.", "时间:", "比", "a", "\n",
              "\u0663", "\u00b2", ":5", "1 :", "2. :3"]  # an Arabic-Indic digit (\d) and a superscript two (not \d)
    rng = random.Random(23)
    for _ in range(20000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 16)))
        assert [(m.span(), m.group(0)) for m in mentions.ratio_matches(text)] == \
            [(m.span(), m.group(0)) for m in mentions._RATIO.finditer(text)], text


@pytest.mark.parametrize("pattern", [
    periods._CUE_PATTERN, normalize._DELETE_PATTERN, exclusions._SPANS.pattern,
    *["|".join(f"(?:{p})" for p in exclusions._SPAN_RULES.patterns[i:j]) for i, j in [(2, 5), (2, 9), (4, 10), (0, 2)]],
    r"(?<!\d)(?:x?y|\s*z|[a-c\]-]q|(?:19|20)\d)", r"(?<=a)b|(?<!c)\n?d",
])
def test_scans_from_their_first_characters_find_what_the_pattern_finds(pattern):
    scan, plain = first_char_finditer(pattern), re.compile(pattern)
    assert scan != plain.finditer or compile_guarded(pattern).pattern == pattern
    pieces = _ALPHABET + ["a", "b", "c", "d", "x", "y", "z", "q", "\n", "(ab)", "3.\n9", "[1]", "〔2019〕3号", "12:30",
                          "2019-01-02", "2015—2017年", "截至2019年底", "1·2"]
    rng = random.Random(31)
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 24)))
        assert [(m.span(), m.groups(), m.lastgroup) for m in scan(text)] == \
            [(m.span(), m.groups(), m.lastgroup) for m in plain.finditer(text)], text


def test_a_pruned_alternation_scans_what_its_pattern_for_the_text_finds():
    rules = exclusions._SPAN_RULES
    for text in _prefilter_texts(3, 4000):
        pruned, scan = rules.for_text(text), rules.finditer_for(text)
        assert (pruned is None) == (scan is None)
        if scan is not None:
            assert [(m.span(), m.groups()) for m in scan(text)] == [(m.span(), m.groups()) for m in pruned.finditer(text)]


def test_cheapest_first_keeps_the_sets_and_asks_single_characters_first():
    needs = required_words(r"(?:上升|下降)了?\s*(\d+)\s*(位|名)")
    ordered = lexicon_loader.cheapest_first(needs)
    assert sorted(ordered, key=sorted) == sorted(needs, key=sorted) and ordered[0] == frozenset("位名")


def _mask_lines_reference(norm: str) -> bytearray:
    mask = bytearray(len(norm))
    start = 0
    for line in norm.split("\n"):
        end = start + len(line)
        if line and exclusions._TAIL.match(line):
            mask[start:] = b"\x01" * (len(norm) - start)
            break
        if line and (exclusions._FURNITURE.match(line) or exclusions._TEASER.search(line)):
            mask[start:end] = b"\x01" * (end - start)
        start = end + 1
    return mask


def test_furniture_lines_found_after_the_opening_check_are_those_the_patterns_find():
    words = exclusions._CFG["furniture_lines"] + exclusions._CFG["furniture_tail"]
    pieces = ["\n", " ", "\u3000", "?", "...", "... ", "市", "上", "下", "1", "关闭"] + words + [w[1:] for w in words if len(w) > 1]
    rng = random.Random(37)
    for _ in range(5000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 14)))
        spans = exclusions._SPAN_RULES.for_text(text)
        expected = _mask_lines_reference(text)
        for m in spans.finditer(text) if spans else ():
            expected[m.start():m.end()] = b"\x01" * (m.end() - m.start())
        assert exclusions.blocked_mask(text) == expected, text


def test_cues_from_the_form_and_word_scans_are_the_cue_pattern_matches():
    words = sorted(periods._WORD_KIND)
    pieces = _ALPHABET + words + [w[:-1] for w in words if len(w) > 1] + [w[1:] for w in words if len(w) > 1] + [
        "2019年", "2019年度", "2020年上半年", "截至2018年底", "截止到2017年5月", "1-6月", "(2019年", "12019年", "19", "20",
        "年", "今", "上", "全", "累", "年内完成", " ", "\n"]
    rng = random.Random(41)
    for _ in range(6000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 16)))
        assert [(m.span(), kind) for m, kind in periods.cue_matches(text)] == \
            [(m.span(), m.lastgroup) for m in periods._CUE_RE.finditer(text)], text
