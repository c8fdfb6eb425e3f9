"""Canonical units and magnitude multipliers for written units (data in units.yaml)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from extraction.normalize_script import to_simplified

_DATA = Path(__file__).with_name("units.yaml")


@lru_cache(maxsize=1)
def _table() -> dict:
    data = yaml.safe_load(_DATA.read_text(encoding="utf-8"))
    data["_prefixes"] = sorted(data["magnitudes"].items(), key=lambda kv: -len(kv[0]))
    return data


@lru_cache(maxsize=4096)  # called per figure row; a corpus writes a few hundred distinct units
def split_unit(unit_zh: str | None) -> tuple[float, str]:
    """(multiplier, base unit) of a written unit: 亿元 → (1e8, 元); 万吨 → (1e4, 吨); ‰ → (0.1, ‰)."""
    unit = to_simplified((unit_zh or "").strip())
    table = _table()
    if unit in table["per_mille"]:
        return 0.1, unit
    if "/" in unit:  # 件/万人: the magnitude is in the denominator, not on the value
        return 1.0, unit
    for prefix, mult in table["_prefixes"]:
        if unit.startswith(prefix) and len(unit) > len(prefix):
            return float(mult), unit[len(prefix):]
    return 1.0, unit


@lru_cache(maxsize=4096)
def canonical_unit(unit_zh: str | None, category: str) -> str:
    _, base = split_unit(unit_zh)
    table = _table()
    if base in table["base_units"]:
        found = table["base_units"][base]
        if found != "position_or_count":
            return found
        return "position" if category == "rank" else "count"
    if base == "" or category in ("rank", "rate"):
        by_cat = table["canonical_by_category"].get(category)
        if by_cat:
            return by_cat
    if category == "amount_other" and base:
        return base  # physical quantities keep their base unit (吨, 公顷, 公里)
    return table["default"]


def multiplier(unit_zh: str | None) -> float:
    return split_unit(unit_zh)[0]
