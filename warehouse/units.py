"""A figure's canonical unit and magnitude multiplier, read from the extractor's unit table (extraction.units).

One unit table for the whole project: the extractor decides value_canonical with it, and the warehouse
only names the canonical unit of the family the extractor assigns (money → yuan, percent, points, …) and
recomputes the multiplier for the value_max column and the value_canonical rule — so the two can never
disagree (a bare 万 is ×10000 in both: 户籍人口76.6万 → 766000).
"""
from __future__ import annotations

from functools import lru_cache

from extraction.normalize_script import to_simplified
from extraction.units import NO_UNIT, UNIT_RE, Unit, canonical, match_unit

# Canonical unit of each extractor unit family whose canonical unit does not depend on the figure's category.
# ‰ is folded into percent (canonical() divides by 10); 美元 stays a currency of its own.
FAMILY_UNIT = {"percent": "percent", "permille": "percent", "points": "points", "rank": "position"}
CURRENCY_UNIT = {"元": "yuan", "美元": "usd"}
# Units a category implies whatever is written (a rank of 第3名/位, a rate stated as an index) and the unit of
# an unwritten one (a growth rate without %).
CATEGORY_UNIT = {"rank": "position", "rate": "index"}
UNWRITTEN_UNIT = {"rank": "position", "rate": "index", "growth_rate": "percent"}
DEFAULT_UNIT = "count"


@lru_cache(maxsize=4096)  # called per distinct unit; a corpus writes a few hundred
def parse_unit(unit_zh: str | None) -> tuple[Unit, str]:
    """The extractor's reading of a written unit (Traditional folded to Simplified) and its base unit."""
    text = to_simplified((unit_zh or "").strip())
    match = UNIT_RE.fullmatch(text) if text else None
    if match is None:
        return NO_UNIT, text
    unit, _ = match_unit(text, 0)
    return unit, match.group("base") or ""


@lru_cache(maxsize=4096)
def canonical_unit(unit_zh: str | None, category: str) -> str:
    unit, base = parse_unit(unit_zh)
    if unit.family == "money":
        return CURRENCY_UNIT.get(base, "yuan")
    if unit.family in FAMILY_UNIT:
        return FAMILY_UNIT[unit.family]
    if not base:
        return UNWRITTEN_UNIT.get(category, DEFAULT_UNIT)
    if category in CATEGORY_UNIT:
        return CATEGORY_UNIT[category]
    if category == "amount_other":
        return base  # physical quantities keep their base unit (吨, 公顷, 公里)
    return DEFAULT_UNIT


def multiplier(unit_zh: str | None) -> float:
    """value_canonical / value for a written unit: 亿元 → 1e8, bare 万 → 1e4, ‰ → 0.1."""
    unit, _ = parse_unit(unit_zh)
    return canonical(1.0, unit)
