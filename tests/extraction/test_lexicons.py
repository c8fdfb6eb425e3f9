"""The language resources are data: check their shape so a typo fails here, not in a rule."""
from __future__ import annotations

import re

from extraction.lexicon_loader import LEXICON_DIR, load
from extraction.models import CATEGORIES, QUALIFIERS
from extraction.numerals import cn_to_number

OWN = ["categories", "exclusions", "kinds", "metrics", "normalize", "numerals", "periods", "qualifiers", "units"]


def test_every_lexicon_loads():
    for name in OWN:
        assert (LEXICON_DIR / f"{name}.yaml").exists()
        assert isinstance(load(name), dict)


def test_unit_prefixes_are_powers_of_ten():
    for word, mult in load("units")["prefixes"].items():
        assert mult in (1000, 10000, 1000000, 10000000, 100000000, 1000000000000), word


def test_unit_families_are_known():
    families = {"money", "percent", "permille", "points", "ratio", "count", "physical", "rank"}
    assert set(load("units")["bases"].values()) <= families


def test_category_rules_name_real_categories():
    cfg = load("categories")
    for rule in cfg["money_rules"] + cfg["count_rules"]:
        assert rule["category"] in CATEGORIES


def test_qualifier_cues_name_real_qualifiers():
    cfg = load("qualifiers")
    for section in ("before", "between", "after"):
        assert set(cfg[section]) <= set(QUALIFIERS)


def test_numeral_table():
    digits = load("numerals")["digits"]
    assert [digits[c] for c in "零一二两三四五六七八九"] == [0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9]
    for text, value in {"六": 6, "两": 2, "十二": 12, "一百二十": 120, "三千": 3000}.items():
        assert cn_to_number(text) == value
    assert cn_to_number("三连") is None


def test_regexes_compile():
    cfg = load("exclusions")
    for pattern in cfg["spans"] + [cfg["teaser_line_end"]]:
        re.compile(pattern)
    for pattern in load("normalize")["deletions"]:
        re.compile(pattern)
    re.compile(load("periods")["year"])
    re.compile(load("periods")["opening_cue"])
