"""The faster forms of the rules give the same answers as the plain forms they replaced."""
from __future__ import annotations

import random
import re

import pytest

from extraction import categories, exclusions, metrics, normalize, numerals, periods, qualifiers, tables, units
from extraction.lexicon_loader import compile_guarded

# characters the rules care about, plus filler: random texts hit cues, numbers and delimiters often
_ALPHABET = list("0123456789.,:;%‰()[]|\n 年月日号个家项元万亿全市省今去上半累计截至目前增长下降约超过以上左右的和、。,") + \
    ["比上年", "2015", "2020年", "1-6月", "同比增长", "个百分点", "《标题》", "〔2012〕54号", "...", "上一篇", "质(zhì)"]


def _random_texts(seed: int, count: int, max_pieces: int = 40) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, max_pieces))) for _ in range(count)]


@pytest.mark.parametrize("guarded", [
    periods._CUE_RE, periods._YEAR_RANGE, exclusions._SPANS, numerals.ARABIC_RE, metrics._TRAIL,
    normalize._DELETE,
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
