"""The gazetteer's alias scan (keyed by two-character prefixes for speed) is still leftmost-longest."""
import random

import pytest

from extraction.regions import _gaz


def leftmost_longest(text: str, aliases) -> list[tuple[int, str]]:
    """The reference: at each position the longest alias starting there, then continue after it."""
    longest = max(map(len, aliases))
    out, i = [], 0
    while i < len(text):
        for length in range(min(longest, len(text) - i), 0, -1):
            if text[i:i + length] in aliases:
                out.append((i, text[i:i + length]))
                i += length
                break
        else:
            i += 1
    return out


@pytest.mark.parametrize("text", [
    "", "上", "上海", "上海市", "海门市上海", "2020年海门市实现地区生产总值", "广东省深圳市龙华区", "新化县统计局",
])
def test_scan_matches_the_reference_on_examples(text):
    g = _gaz()
    assert list(g.scan(text)) == leftmost_longest(text, g.aliases)


def test_scan_matches_the_reference_on_random_alias_fragments():
    g = _gaz()
    aliases = sorted(g.aliases)
    rng = random.Random(8)
    for _ in range(500):
        pieces = []
        for _ in range(rng.randint(1, 6)):
            a = rng.choice(aliases)
            cut = rng.random()
            pieces.append(a if cut < 0.5 else a[:rng.randint(1, len(a))] if cut < 0.8 else a[rng.randint(0, len(a) - 1):])
        text = "的".join(pieces) if rng.random() < 0.3 else "".join(pieces)
        assert list(g.scan(text)) == leftmost_longest(text, g.aliases), text


def test_scan_finds_one_character_aliases_too():
    g = _gaz()
    g.single_chars.add("㐀")
    g.aliases["㐀"] = []
    try:
        assert list(g.scan("a㐀b")) == [(1, "㐀")]
    finally:
        g.single_chars.discard("㐀")
        del g.aliases["㐀"]
